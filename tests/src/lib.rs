//! The end-to-end harness: a private moto server per test ([`moto`]), a Terraform work dir that
//! drives the real CLI against the freshly built provider ([`terraform`]), and AWS inspection
//! through the SDK to assert on what really exists ([`aws`]).

pub mod aws;
pub mod moto;
pub mod terraform;

use std::path::PathBuf;

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
