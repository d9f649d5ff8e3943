//! What a provider tells the generic server about itself: the server names nothing of its
//! own, so its start-up log line and log lines carry what the product passes here.

/// A provider's name, version and logging identity, given to [`crate::server::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderIdentity {
    /// The binary's name, e.g. `terraform-provider-example`, logged at start-up.
    pub name: &'static str,
    /// The provider's version (usually the product's `CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// hclog's `@module` of every log line, e.g. `provider.example`.
    pub log_module: &'static str,
    /// Crates (tracing targets) whose events are logged at the level Terraform asks for;
    /// every other crate logs warnings only (info at TRACE). This crate is always included.
    pub log_targets: &'static [&'static str],
}
