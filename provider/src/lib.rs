//! The `wpstack/wordpress` Terraform provider binary's library: `wordpress_ha_stack`
//! (`wp_resource`) served over the generic plugin-protocol crate (`tfplugin`), driving AWS
//! through `stack_core`.
//!
//! - [`aws_engine`]: `wp_resource`'s engine seam (`wp_resource::stack::engine`) implemented by
//!   `stack_core::Engine`; the only place the Terraform face meets the AWS side.
//! - [`cli`]: the binary's commands for people (`docs`, `diagram`, `version`).
//!
//! Invariant: nothing but the handshake line (written by `tfplugin::server`) is ever written
//! to stdout while serving Terraform.

use tfplugin::ProviderIdentity;

pub mod aws_engine;
pub mod cli;

/// Who this provider is, for the generic server's start-up line and its hclog lines.
pub const IDENTITY: ProviderIdentity = ProviderIdentity {
    name: "terraform-provider-wordpress",
    version: cli::VERSION,
    log_module: "provider.wordpress",
    // The product's crates (the model's too, whose graph executor logs steps).
    log_targets: &[
        "tfprovider",
        "terraform_provider_wordpress",
        "wp_resource",
        "wordpress_resource",
        "stack_core",
        "wordpress_core",
        "stack_model",
        "wordpress_model",
    ],
};
