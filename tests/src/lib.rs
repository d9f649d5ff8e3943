//! The end-to-end harness: a private moto server per test ([`moto`]), a Terraform work dir that
//! drives the real CLI against the freshly built provider ([`terraform`]), and AWS inspection
//! through the SDK to assert on what really exists ([`aws`]).
//!
//! The end-to-end tests in `tests/tests/` are named after the promise they check and drive the
//! real `terraform` binary against the provider that `cargo build` left next to the test binary
//! (`<target>/debug/terraform-provider-wordpress`; `./scripts/test` builds it first).
//!
//! Knobs (environment):
//! - `WORDPRESS_PROVIDER_BIN`: use this provider executable instead.
//! - `MOTO_SERVER`: run this `moto_server` executable instead of the venv's moto.
//! - `E2E_KEEP_DIRS=1`: keep work dirs and moto logs of passing tests too (failing tests always
//!   keep theirs under `target/e2e/`, and say where).
//! - `E2E_TERRAFORM_TIMEOUT_SECS`: kill a Terraform command after this long (default 600).

pub mod aws;
pub mod moto;
pub mod reliability;
pub mod terraform;

use std::path::PathBuf;

pub use aws_fault_proxy::{FaultConfig, FaultProxy};
pub use moto::{Moto, MotoError};

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
