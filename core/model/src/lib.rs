//! The WordPress HA stack as data: what it is (`spec`, checked by `validate`; what a plan adds checked against the account by
//! `preflight`), what exists
//! (`state`), what an apply will do (`plan`), in which order (`graph`), and the pure pieces the
//! AWS side renders from them (`naming`, `cidr`, `userdata`, `secrets`, `image`). Pure: no AWS SDK, no
//! Terraform wire types; `wordpress-core` (lib `stack_core`) drives AWS from these types.

pub mod alarm_settings;
pub mod alarms;
pub mod cidr;
pub mod engine_version;
pub mod error;
pub mod firewall;
pub mod graph;
pub mod image;
pub mod naming;
pub mod plan;
pub mod preflight;
pub mod pricing;
pub mod secrets;
pub mod settings;
pub mod spec;
pub mod state;
pub mod userdata;
pub mod validate;

pub use error::{FieldPath, PartialFailure, PathStep, SpecError, StackError};
pub use spec::StackSpec;
pub use state::{StackOutputs, StackState, StackWarning};
