//! The `wpstack/wordpress` Terraform provider: `wordpress_ha_stack` served over the generic
//! plugin-protocol crate (`tfplugin`), driving the AWS side in `stack_core`.
//!
//! - [`stack`]: the one place that knows both Terraform values and the core's stack model;
//!   [`stack::WordpressProvider`] is the `tfplugin::ProviderBackend` `main` serves.
//! - For people rather than Terraform: [`cli`] (the binary's `docs`, `diagram`, `version`
//!   commands), [`docs`] (registry docs rendered from `stack::schema`) and [`diagram`]
//!   (a Mermaid picture of a stack from `terraform show -json`).
//! - [`fuzzing`]: the entry points of the product's fuzz targets in `fuzz/` and of their
//!   corpus replay test.
//! - [`aws_engine`]: the stack glue's engine seam (`stack::engine`) implemented by
//!   `stack_core::Engine`.
//!
//! Invariant: nothing but the handshake line (written by `tfplugin::server`) is ever written
//! to stdout while serving Terraform.

use tfplugin::ProviderIdentity;

pub mod aws_engine;
pub mod cli;
pub mod diagram;
pub mod docs;
pub mod fuzzing;
pub mod stack;

/// Who this provider is, for the generic server's start-up line and its hclog lines.
pub const IDENTITY: ProviderIdentity = ProviderIdentity {
    name: "terraform-provider-wordpress",
    version: cli::VERSION,
    log_module: "provider.wordpress",
    // The product's crates (the model's too, whose graph executor logs steps).
    log_targets: &[
        "tfprovider",
        "terraform_provider_wordpress",
        "stack_core",
        "wordpress_core",
        "stack_model",
        "wordpress_model",
    ],
};
