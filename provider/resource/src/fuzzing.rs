//! The product's fuzz entry points, and those the test replaying the kept corpus on stable
//! Rust calls.
//!
//! Each function takes raw bytes, feeds them through the code Terraform's requests reach,
//! and returns `Err(Violation)` only when a property that must hold for *every* input is
//! broken. Rejecting an input (a decode error, a validation diagnostic) is fine; a panic
//! is a finding by itself. `fuzz/` (cargo fuzz) turns a `Violation` into a crash;
//! `tests/fuzz_corpus.rs` asserts there is none for every file of `fuzz/corpus/`.
//!
//! | entry point | what it drives |
//! | --- | --- |
//! | [`msgpack_round_trip`] | `tfplugin::fuzzing::msgpack_round_trip` with this provider's resource and provider block types |
//! | [`json_decode`] | `tfplugin::fuzzing::json_decode` with the same types |
//! | [`validate_config`] | msgpack resource configuration → `StackSpec` → every validation rule |
//! | [`provider_request`] | a protobuf request body → the tfplugin6 service (no network: the provider is never configured) |
//!
//! Typed inputs (the first two) begin with a type selector, see
//! `tfplugin::fuzzing::split_typed_input`.

use std::sync::{Arc, OnceLock};

use prost::Message;
use tfplugin::codec;
use tfplugin::fuzzing::{NamedTypes, Violation};
use tfplugin::proto::tfplugin6::provider_server::Provider;
use tfplugin::service::{ProviderBackend, ProviderService};
use tfplugin::value::Type;
use tonic::Request;

use crate::stack::convert::spec_from_value;
use crate::stack::schema::TYPE_NAME;
use crate::stack::{provider_config, Offline, WordpressProvider};

/// Zones the validator is given, as if the region listed them.
const REGION_ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// The type of the `wordpress_ha_stack` resource, as its schema declares it.
pub fn resource_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| {
        WordpressProvider::new(Arc::new(Offline))
            .resource_schemas()
            .get(TYPE_NAME)
            .map_or(Type::Dynamic, |schema| schema.value_type())
    })
}

/// The type of the provider block.
pub fn provider_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| provider_config::schema().value_type())
}

/// The types the typed selectors 0 and 1 name: the resource's and the provider block's.
pub fn named_types() -> NamedTypes<'static> {
    NamedTypes {
        resource: resource_type(),
        provider: provider_type(),
    }
}

/// `tfplugin::fuzzing::msgpack_round_trip` with this provider's [`named_types`].
pub fn msgpack_round_trip(input: &[u8]) -> Result<(), Violation> {
    tfplugin::fuzzing::msgpack_round_trip(input, Some(named_types()))
}

/// `tfplugin::fuzzing::json_decode` with this provider's [`named_types`].
pub fn json_decode(input: &[u8]) -> Result<(), Violation> {
    tfplugin::fuzzing::json_decode(input, Some(named_types()))
}

/// Decodes msgpack as the resource's configuration, converts it to a `StackSpec` and runs
/// every validation rule, with and without the region's zones, then the backend's own
/// validation (what ValidateResourceConfig answers). Every diagnostic must say something.
pub fn validate_config(input: &[u8]) -> Result<(), Violation> {
    let Ok(config) = codec::decode_msgpack(input, resource_type()) else {
        return Ok(());
    };
    let (spec, _unresolved, conversion_errors) = spec_from_value(&config);
    let zones: Vec<String> = REGION_ZONES.iter().map(|zone| zone.to_string()).collect();
    let rule_errors = stack_model::validate::validate(&spec, Some(&zones))
        .into_iter()
        .chain(stack_model::validate::validate(&spec, None));
    for error in conversion_errors.iter().cloned().chain(rule_errors) {
        if error.summary.trim().is_empty() {
            return Err(Violation::new(
                "validation errors have a summary",
                format!("{error:?}"),
            ));
        }
    }
    let diagnostics = block_on(service_backend().validate_resource_config(TYPE_NAME, &config))?;
    match diagnostics.iter().find(|d| d.summary.trim().is_empty()) {
        Some(empty) => Err(Violation::new(
            "diagnostics have a summary",
            format!("{empty:?}"),
        )),
        None => Ok(()),
    }
}

/// The tfplugin6 RPCs a fuzz input can reach without a configured provider (so without
/// any network): the first byte (modulo the count) picks one, the rest is its protobuf body.
const REQUEST_KINDS: u8 = 7;

/// Decodes a protobuf request body and hands it to the provider service, as tonic would
/// after reading it off the wire. The service must answer every request that decodes with
/// a response (problems as diagnostics), never with a gRPC error status.
pub fn provider_request(input: &[u8]) -> Result<(), Violation> {
    let Some((&selector, body)) = input.split_first() else {
        return Ok(());
    };
    let service = service();
    let answered = match selector % REQUEST_KINDS {
        0 => call(body, |r| service.validate_resource_config(r))?,
        1 => call(body, |r| service.plan_resource_change(r))?,
        2 => call(body, |r| service.validate_provider_config(r))?,
        3 => call(body, |r| service.upgrade_resource_state(r))?,
        4 => call(body, |r| service.read_resource(r))?,
        5 => call(body, |r| service.apply_resource_change(r))?,
        _ => call(body, |r| service.import_resource_state(r))?,
    };
    match answered {
        Some(Err(status)) => Err(Violation::new(
            "errors are diagnostics, not gRPC statuses",
            status.to_string(),
        )),
        _ => Ok(()),
    }
}

/// Decodes `body` as `M` and runs the RPC; `None` when the body is not a valid `M`.
fn call<M, R, F>(
    body: &[u8],
    rpc: impl FnOnce(Request<M>) -> F,
) -> Result<Option<Result<(), tonic::Status>>, Violation>
where
    M: Message + Default,
    F: std::future::Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let Ok(message) = M::decode(body) else {
        return Ok(None);
    };
    let reply = block_on(rpc(Request::new(message)))?;
    Ok(Some(reply.map(|_| ())))
}

/// The backend every entry point shares: built once, never configured (and with no AWS
/// engine to configure).
fn service_backend() -> &'static Arc<WordpressProvider> {
    static BACKEND: OnceLock<Arc<WordpressProvider>> = OnceLock::new();
    BACKEND.get_or_init(|| Arc::new(WordpressProvider::new(Arc::new(Offline))))
}

fn service() -> &'static ProviderService {
    static SERVICE: OnceLock<ProviderService> = OnceLock::new();
    SERVICE.get_or_init(|| ProviderService::new(service_backend().clone()))
}

/// Runs a future to completion on a runtime shared by every input (building one per input
/// would dominate a fuzzer's time).
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Violation> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()
    });
    match runtime {
        Some(runtime) => Ok(runtime.block_on(future)),
        None => Err(Violation::new(
            "a runtime starts",
            "could not build a tokio runtime",
        )),
    }
}

/// Selector bytes of [`provider_request`].
pub mod request {
    pub const VALIDATE_RESOURCE_CONFIG: u8 = 0;
    pub const PLAN_RESOURCE_CHANGE: u8 = 1;
    pub const VALIDATE_PROVIDER_CONFIG: u8 = 2;
    pub const UPGRADE_RESOURCE_STATE: u8 = 3;
    pub const READ_RESOURCE: u8 = 4;
    pub const APPLY_RESOURCE_CHANGE: u8 = 5;
    pub const IMPORT_RESOURCE_STATE: u8 = 6;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::fuzzing::{selector, typed_input};
    use tfplugin::proto::tfplugin6 as pb;
    use tfplugin::value::Value;

    #[test]
    fn a_valid_resource_value_round_trips() {
        let value = Value::object_of([("name", Value::from("blog"))]);
        let bytes = codec::encode_msgpack(&value, resource_type()).expect("encodes");
        assert_eq!(
            msgpack_round_trip(&typed_input(selector::RESOURCE, &bytes)),
            Ok(())
        );
        assert_eq!(validate_config(&bytes), Ok(()));
    }
    #[test]
    fn plan_request_without_configuration_answers_with_diagnostics() {
        let config = Value::object_of([("name", Value::from("blog"))]);
        let msgpack = codec::encode_msgpack(&config, resource_type()).expect("encodes");
        let request = pb::plan_resource_change::Request {
            type_name: TYPE_NAME.into(),
            config: Some(pb::DynamicValue {
                msgpack: msgpack.clone(),
                json: Vec::new(),
            }),
            proposed_new_state: Some(pb::DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
            ..Default::default()
        };
        let input = typed_input(request::PLAN_RESOURCE_CHANGE, &request.encode_to_vec());
        assert_eq!(provider_request(&input), Ok(()));
    }
}
