//! A Terraform plugin-protocol 6 server, generic: it knows Terraform's wire format and
//! go-plugin's launch rules, and nothing of any particular provider or resource.
//!
//! It must never depend on a product crate, on a cloud SDK (no `aws-sdk-*`, no
//! `aws-config`) or on anything that names a product: what is product-specific (binary
//! name, version, log module, the resources themselves) is passed in through
//! [`ProviderIdentity`] and the [`ProviderBackend`] trait.
//!
//! - [`value`]: the cty-like [`value::Type`] and [`value::Value`] model, with accessors.
//! - [`codec`]: msgpack and JSON encodings of values, guided by a type.
//! - [`schema`]: schemas, attributes, nested blocks; `value_type()`; protocol conversion.
//! - [`diagnostics`]: errors/warnings with attribute paths.
//! - [`function`]: provider-defined functions' signatures and errors.
//! - [`resource_identity`]: identity schemas of managed resources (protocol 6.9).
//! - [`service`]: the `tfplugin6.Provider` gRPC service over a [`service::ProviderBackend`],
//!   the trait resource code implements.
//! - [`server`]: go-plugin handshake, AutoMTLS, lifecycle; [`server::run`] is what a
//!   provider's `main` calls.
//! - [`logging`]: hclog JSON lines on stderr, levels from TF_LOG_PROVIDER / TF_LOG.
//! - [`fuzzing`]: fuzz entry points over the codecs, for any schema's types.
//! - [`proto`]: the generated protocol types (servers and clients).
//!
//! Invariant: nothing but the handshake line is ever written to stdout.

pub mod codec;
pub mod diagnostics;
pub mod function;
pub mod fuzzing;
mod identity;
pub mod logging;
pub mod resource_identity;
pub mod schema;
pub mod server;
pub mod service;
mod tls;
pub mod value;

pub use identity::ProviderIdentity;
pub use server::{run, serve};
pub use service::ProviderBackend;

/// Code generated from the repository's `proto/` at build time.
pub mod proto {
    /// Terraform plugin protocol 6.
    #[allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's controller service.
    #[allow(clippy::all, missing_docs)]
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
