//! The reliability scenarios, shared by the `reliability` binary (the full 20 + 10
//! runs, `target/reliability.md`) and the seeded CI subset (`tests/tests/reliability.rs`).
//!
//! - **Fault run**: apply a realistic stack (bastion, DNS, two or three zones, a NAT gateway per
//!   zone) through the fault proxy with `configs/faults-10pct.json` reseeded per run and the
//!   AWS-behaviour presets of `configs/aws-realistic.json` on (instances that boot, IAM that
//!   propagates late, RDS states, instance refreshes: [`FAULTS_FILE`], [`PRESETS_FILE`]); then a
//!   plan must be empty, moto must hold exactly the objects the configuration asks for (counted
//!   directly, not through the proxy), destroy must succeed and leave nothing tagged.
//! - **Kill run**: the same stack, the provider SIGKILLed (alone, or with Terraform) after a
//!   seeded number of AWS calls of its apply; the next apply must converge, then the same checks.
//!
//! Each run owns its moto, proxy and Terraform dir, so runs go side by side (`jobs`). A failed
//! run's Terraform output and fault log go to `target/reliability-logs/<run>.log`.

mod faults;
mod jobs;
mod report;
mod run;
mod shape;

use std::time::Duration;

use crate::inspect::InspectError;

pub use faults::{
    calls_since, drop_after_each, faults_config, kill_config, write_operations, FAULTS_FILE,
    PRESETS_FILE,
};
pub use jobs::{run_all, run_jobs, Job, Options, DEFAULT_TYPICAL_CALLS};
pub use report::{diagnostic_detail, Figure, Report};
pub use run::{fault_run, kill_point, kill_run, run_scenario, KillPoint, RunRecord, Scenario};
pub use shape::{duplicates, missing, StackShape};

/// The stack name every run uses (each run has its own moto).
pub const STACK: &str = "reliable";
/// The DNS record the stack manages in its hosted zone.
const RECORD_NAME: &str = "blog.example.com";
/// How long the provider may take to start before a kill run gives up on it.
const PROVIDER_START_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a single Terraform command of a run may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(900);

/// The proxy's pending states are AWS's durations at one real second per AWS minute; the
/// provider's waiters scale their intervals the same way (read by the provider from
/// `WORDPRESS_HA_TIME_SCALE`), or a NAT gateway pending 0.3 s would be polled again after 45 s.
pub const TIME_SCALE: f64 = 1.0 / 60.0;
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not set up the run: {0}")]
    Setup(String),
    #[error("could not inspect moto: {0}")]
    Inspect(#[from] InspectError),
}
