//! `wordpress_ha_stack`: the only module that knows both Terraform values and the core's
//! stack model.
//!
//! - `schema`: every attribute declared once (type, mode, default, replaces, description);
//! - `to_schema`: that table as the protocol layer's `Schema`;
//! - `provider_config`: the provider block → `AwsSettings`;
//! - `convert`: values ⇄ `StackSpec` / `StackState`;
//! - `planning`: defaults, unknowns, drift overlay — schema-driven walks over values;
//! - `images`: plan-time image checks (architecture of a pinned AMI, type changes);
//! - `preflight`: what a plan adds, checked against the account (quotas, offerings, DNS,
//!   key pairs, certificate);
//! - `diagnose`: core errors → diagnostics with attribute paths;
//! - `engine`: the `StackEngine` / `EngineConnector` seam the backend calls (only model types);
//! - `upgrade`: states written before an attribute existed, read as what they stand for;
//! - `backend`: `ProviderBackend`, calling a `StackEngine`.

pub mod backend;
pub mod convert;
pub mod diagnose;
pub mod engine;
pub mod images;
pub mod planning;
pub mod preflight;
pub mod provider_config;
pub mod schema;
pub mod to_schema;
pub mod upgrade;

pub use backend::WordpressProvider;
pub use engine::{EngineConnector, Offline, StackEngine};

#[cfg(test)]
mod tests;
