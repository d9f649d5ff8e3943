//! The WordPress HA stack on AWS: how to get from what exists (`state`) to what is wanted
//! (`spec`) through the `engine`, its `tiers` and the `aws` adapters. Knows nothing of
//! Terraform's wire types. The pure model lives in `wordpress-model` (lib `stack_model`) and
//! is re-exported here at its old paths, so `stack_core::spec::StackSpec` keeps working.

pub mod account;
pub mod aws;
pub mod engine;
pub mod tiers;
pub mod wait;

pub use stack_model::{
    alarms, cidr, engine_version, error, firewall, graph, image, naming, plan, preflight, secrets,
    settings, spec, state, userdata, validate,
};

pub use engine::Engine;
pub use error::{FieldPath, PartialFailure, PathStep, SpecError, StackError};
pub use spec::StackSpec;
pub use state::{StackOutputs, StackState};
