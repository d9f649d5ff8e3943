//! `wordpress_ha_stack`: the only module that knows both Terraform values and the core's
//! stack model.
//!
//! - `schema`: every attribute declared once (type, mode, default, replaces, description);
//! - `to_schema`: that table as the protocol layer's `Schema`;
//! - `provider_config`: the provider block → `AwsSettings`;
//! - `convert`: values ⇄ `StackSpec` / `StackState`;
//! - `planning`: defaults, unknowns, drift overlay — schema-driven walks over values;
//! - `images`: plan-time image checks (architecture of a pinned AMI, type changes);
//! - `private`: the private state (the secret's ARN and version, never a value);
//! - `preflight`: what a plan adds, checked against the account (quotas, offerings, DNS,
//!   key pairs, certificate);
//! - `diagnose`: core errors → diagnostics with attribute paths;
//! - `upgrade`: stored states of older schema versions → the current one;
//! - `write_only`: `database.password_wo`, its client check and when it is applied;
//! - `engine`: the `StackEngine` / `EngineConnector` seam the backend calls (only model types);
//! - `new_attributes`: attributes a stored state lacks, read as what such a state stands for;
//! - `identity`, `data_source`, `functions`: the resource identity, the data source and
//!   `provider::wordpress::subnet_plan`; `lookups`: import and the data source's read;
//! - `backend`: `ProviderBackend`, calling a `StackEngine`.

pub mod backend;
pub mod convert;
pub mod data_source;
pub mod diagnose;
pub mod engine;
pub mod functions;
pub mod identity;
pub mod images;
mod lookups;
pub mod new_attributes;
pub mod planning;
pub mod preflight;
pub mod private;
pub mod provider_config;
pub mod schema;
pub mod to_schema;
pub mod upgrade;
pub mod write_only;

pub use backend::WordpressProvider;
pub use engine::{EngineConnector, Offline, StackEngine};

#[cfg(test)]
mod tests;
