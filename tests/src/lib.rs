//! The end-to-end harness and its runners. The crate's layout says what each part is:
//!
//! - [`harness`]: what a test drives: a private moto server per test ([`harness::moto`]) and a
//!   Terraform work dir running the real CLI against the freshly built provider
//!   ([`harness::terraform`]).
//! - [`inspect`]: what a test asserts on: AWS as the SDK sees it (the census of tagged objects,
//!   the inventory of everything a stack owns, hosted zones, per-object look-ups).
//! - [`runners`]: long runs built on both, with their own binaries in `src/bin/`: the
//!   reliability runs ([`runners::reliability`]); the benchmark lives in `src/bench/`, compiled
//!   into `src/bin/bench.rs`.
//! - `tests/*.rs`: the promises, one test binary each, named after what they check; the
//!   stack shapes and checks several of them share are in `tests/{common,service_support,
//!   crash_support,fault_support}/`, built on [`inspect`].
//!
//! The end-to-end tests drive the real `terraform` binary against the provider that
//! `cargo build` left next to the test binary (`<target>/debug/terraform-provider-wordpress`;
//! `./scripts/test` builds it first).
//!
//! Knobs (environment):
//! - `WORDPRESS_PROVIDER_BIN`: use this provider executable instead.
//! - `MOTO_SERVER`: run this `moto_server` executable instead of the venv's moto.
//! - `E2E_KEEP_DIRS=1`: keep work dirs and moto logs of passing tests too (failing tests always
//!   keep theirs under `target/e2e/`, and say where).
//! - `E2E_TERRAFORM_TIMEOUT_SECS`: kill a Terraform command after this long (default 600).

pub mod harness;
pub mod inspect;
pub mod runners;

use std::path::PathBuf;

pub use aws_fault_proxy::{FaultConfig, FaultProxy};
pub use harness::moto::{Moto, MotoError};

/// The region every test stack lives in.
pub const REGION: &str = "us-east-1";

/// The repository root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
