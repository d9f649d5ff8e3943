//! The Terraform plugin-protocol layer (protocol 6), generic: it knows Terraform's wire
//! format and nothing of AWS or of any particular resource.
//!
//! - [`value`]: the cty-like [`value::Type`] and [`value::Value`] model, with accessors.
//! - [`codec`]: msgpack and JSON encodings of values, guided by a type.
//! - [`schema`]: schemas, attributes, nested blocks; `value_type()`; protocol conversion.
//! - [`diagnostics`]: errors/warnings with attribute paths.
//! - [`service`]: the `tfplugin6.Provider` gRPC service over a [`service::ProviderBackend`],
//!   the trait resource code implements.
//! - [`server`]: go-plugin handshake, AutoMTLS, lifecycle; [`server::serve`] /
//!   [`server::run`] are what `main` calls.
//! - [`logging`]: hclog JSON lines on stderr, levels from TF_LOG_PROVIDER / TF_LOG.
//! - [`proto`]: the generated protocol types (servers and clients).
//!
//! Beside it, for people rather than Terraform: [`cli`] (the binary's `docs`, `diagram`,
//! `version` commands), [`docs`] (registry docs rendered from `stack::schema`) and [`diagram`]
//! (a Mermaid picture of a stack from `terraform show -json`). [`fuzzing`] holds the entry
//! points of the fuzz targets in `fuzz/` and of their corpus replay test.
//!
//! Invariant: nothing but the handshake line is ever written to stdout.

pub mod cli;
pub mod codec;
pub mod diagnostics;
pub mod diagram;
pub mod docs;
pub mod fuzzing;
pub mod logging;
pub mod schema;
pub mod server;
pub mod service;
pub mod stack;
mod tls;
pub mod value;

pub use server::{run, serve};
pub use service::ProviderBackend;

/// Code generated from `proto/` at build time.
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
