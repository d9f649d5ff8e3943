//! The WordPress HA stack: what it is (`spec`), what exists (`state`), how to get from one to
//! the other on AWS (`engine`, `aws`). Knows nothing of Terraform's wire types.

pub mod aws;
pub mod cidr;
pub mod engine;
pub mod error;
pub mod graph;
pub mod naming;
pub mod plan;
pub mod secrets;
pub mod spec;
pub mod state;
pub mod tiers;
pub mod userdata;
pub mod validate;
pub mod wait;

pub use engine::Engine;
pub use error::{FieldPath, PartialFailure, PathStep, SpecError, StackError};
pub use spec::StackSpec;
pub use state::{StackOutputs, StackState};
