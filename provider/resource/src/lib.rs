//! The Terraform face of `wordpress_ha_stack`: everything the provider says and checks in
//! Terraform's terms, over an engine it is handed, so it builds, tests and fuzzes without the
//! AWS SDK.
//!
//! - [`stack`]: the one place that knows both Terraform values (`tfplugin`) and the stack model
//!   (`stack_model`); [`stack::WordpressProvider`] is the `tfplugin::ProviderBackend` the
//!   binary serves, calling a [`stack::StackEngine`] it connects at ConfigureProvider.
//! - For people rather than Terraform: [`docs`] and [`docs_pages`] (registry docs rendered from
//!   `stack::schema`, the data source, the function and the compatibility table),
//!   [`diagram`] (a Mermaid picture of a stack from `terraform show -json`), and
//!   [`review`] (a saved plan's changes grouped by risk, priced, for a CI gate).
//! - [`fuzzing`]: the entry points of the product's fuzz targets in `fuzz/` and of their
//!   corpus replay test; they run the real schema with the [`stack::Offline`] connector.
//!
//! Never depends on `wordpress-core` (`stack_core`) nor on any AWS SDK crate: the engine that
//! talks to AWS is implemented in the binary package (`terraform-provider-wordpress`).

pub mod diagram;
pub mod docs;
pub mod docs_pages;
pub mod fuzzing;
pub mod review;
pub mod stack;
