//! Entry points for fuzzers, and for the test that replays their kept corpus on stable Rust.
//!
//! Each function takes raw bytes, feeds them through the code Terraform's requests reach,
//! and returns `Err(Violation)` only when a property that must hold for *every* input is
//! broken. Rejecting an input (a decode error, a validation diagnostic) is fine; a panic
//! is a finding by itself. `fuzz/` (cargo fuzz) turns a `Violation` into a crash;
//! `tests/fuzz_corpus.rs` asserts there is none for every file of `fuzz/corpus/`.
//!
//! | entry point | what it drives |
//! | --- | --- |
//! | [`msgpack_round_trip`] | `codec::decode_msgpack` with a chosen type; on success encode∘decode must be stable |
//! | [`json_decode`] | `codec::decode_json` (stored state) with a chosen type |
//! | [`validate_config`] | msgpack resource configuration → `StackSpec` → every validation rule |
//! | [`provider_request`] | a protobuf request body → the tfplugin6 service (no network: the provider is never configured) |
//!
//! Typed inputs (the first two) begin with a type selector, see [`split_typed_input`].

use std::sync::{Arc, OnceLock};

use prost::Message;
use tonic::Request;

use crate::codec::{self, CodecError};
use crate::proto::tfplugin6::provider_server::Provider;
use crate::service::{ProviderBackend, ProviderService};
use crate::stack::convert::spec_from_value;
use crate::stack::schema::TYPE_NAME;
use crate::stack::{provider_config, WordpressProvider};
use crate::value::Type;

/// A property every input must satisfy was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{property}: {detail}")]
pub struct Violation {
    /// The property, in a few words.
    pub property: &'static str,
    pub detail: String,
}

impl Violation {
    fn new(property: &'static str, detail: impl Into<String>) -> Violation {
        Violation {
            property,
            detail: detail.into(),
        }
    }
}

/// How deep a type built by the compact grammar may nest.
const MAX_TYPE_DEPTH: usize = 6;

/// Zones the validator is given, as if the region listed them.
const REGION_ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// The type of the `wordpress_ha_stack` resource, as its schema declares it.
pub fn resource_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| {
        WordpressProvider::new()
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

/// Splits a typed input into the type it names and the payload to decode. The first byte
/// (modulo 4) selects:
/// - `0`: the resource type, payload = the rest;
/// - `1`: the provider block's type, payload = the rest;
/// - `2`: a type read from the next bytes by a compact grammar ([`type_from_bytes`]);
/// - `3`: a type in Terraform's JSON syntax: one length byte `n`, `n` bytes of JSON.
///
/// `None` when the input is too short or the JSON type is invalid.
pub fn split_typed_input(input: &[u8]) -> Option<(Type, &[u8])> {
    let (&selector, rest) = input.split_first()?;
    match selector % 4 {
        0 => Some((resource_type().clone(), rest)),
        1 => Some((provider_type().clone(), rest)),
        2 => {
            let mut cursor = rest;
            let ty = type_from_bytes(&mut cursor, 0);
            Some((ty, cursor))
        }
        _ => {
            let (&length, rest) = rest.split_first()?;
            let length = usize::from(length).min(rest.len());
            let (json, payload) = rest.split_at(length);
            Type::from_json_bytes(json).ok().map(|ty| (ty, payload))
        }
    }
}

/// Reads a type from `cursor`, one byte per node (modulo 9): string, number, bool,
/// dynamic, list, set, map (each followed by its element), object (a count byte, then per
/// attribute a name byte and a type), tuple (a count byte, then the element types).
/// Running out of bytes or nesting deeper than [`MAX_TYPE_DEPTH`] yields `string`.
pub fn type_from_bytes(cursor: &mut &[u8], depth: usize) -> Type {
    let Some(code) = take_byte(cursor) else {
        return Type::String;
    };
    if depth >= MAX_TYPE_DEPTH {
        return Type::String;
    }
    let next = depth + 1;
    match code % 9 {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        3 => Type::Dynamic,
        4 => Type::list(type_from_bytes(cursor, next)),
        5 => Type::set(type_from_bytes(cursor, next)),
        6 => Type::map(type_from_bytes(cursor, next)),
        7 => {
            let count = take_byte(cursor).unwrap_or(0) % 5;
            Type::object((0..count).map(|_| {
                let name = format!("a{}", take_byte(cursor).unwrap_or(0) % 8);
                (name, type_from_bytes(cursor, next))
            }))
        }
        _ => {
            let count = take_byte(cursor).unwrap_or(0) % 4;
            Type::Tuple((0..count).map(|_| type_from_bytes(cursor, next)).collect())
        }
    }
}

fn take_byte(cursor: &mut &[u8]) -> Option<u8> {
    let (&byte, rest) = cursor.split_first()?;
    *cursor = rest;
    Some(byte)
}

/// Decodes the payload as msgpack of the selected type. When it decodes, encoding the value
/// must succeed, decoding that must give the same value, and encoding again the same bytes.
pub fn msgpack_round_trip(input: &[u8]) -> Result<(), Violation> {
    let Some((ty, payload)) = split_typed_input(input) else {
        return Ok(());
    };
    match codec::decode_msgpack(payload, &ty) {
        Ok(value) => check_round_trip(&value, &ty),
        Err(err) => check_error_text(&err),
    }
}

fn check_round_trip(value: &crate::value::Value, ty: &Type) -> Result<(), Violation> {
    let encoded = codec::encode_msgpack(value, ty).map_err(|err| {
        Violation::new(
            "a decoded value encodes",
            format!("{err} (value {value:?}, type {ty})"),
        )
    })?;
    let decoded = codec::decode_msgpack(&encoded, ty)
        .map_err(|err| Violation::new("an encoded value decodes", format!("{err} (type {ty})")))?;
    if &decoded != value {
        return Err(Violation::new(
            "decode(encode(v)) == v",
            format!("{value:?} came back as {decoded:?} (type {ty})"),
        ));
    }
    let encoded_again = codec::encode_msgpack(&decoded, ty)
        .map_err(|err| Violation::new("a decoded value encodes", err.to_string()))?;
    if encoded_again != encoded {
        return Err(Violation::new(
            "encoding is stable",
            format!("{encoded:02x?} then {encoded_again:02x?} (type {ty})"),
        ));
    }
    Ok(())
}

/// Error texts end up in diagnostics: they must say something and stay short enough to
/// read even when the input is huge.
fn check_error_text(err: &CodecError) -> Result<(), Violation> {
    const LONGEST_USEFUL_MESSAGE: usize = 4096;
    let text = err.to_string();
    if text.trim().is_empty() || text.len() > LONGEST_USEFUL_MESSAGE {
        return Err(Violation::new(
            "codec errors are short and non-empty",
            format!("{} characters: {:.200}", text.len(), text),
        ));
    }
    Ok(())
}

/// Decodes the payload as JSON state of the selected type (as UpgradeResourceState does).
/// A value that decodes must also encode as msgpack of that type: the provider sends the
/// upgraded state back that way.
pub fn json_decode(input: &[u8]) -> Result<(), Violation> {
    let Some((ty, payload)) = split_typed_input(input) else {
        return Ok(());
    };
    match codec::decode_json(payload, &ty) {
        Ok(value) => check_round_trip(&value, &ty),
        Err(err) => check_error_text(&err),
    }
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
    let rule_errors = stack_core::validate::validate(&spec, Some(&zones))
        .into_iter()
        .chain(stack_core::validate::validate(&spec, None));
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

/// The backend every entry point shares: built once, never configured.
fn service_backend() -> &'static Arc<WordpressProvider> {
    static BACKEND: OnceLock<Arc<WordpressProvider>> = OnceLock::new();
    BACKEND.get_or_init(|| Arc::new(WordpressProvider::new()))
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

/// A typed fuzz input: `selector` then `payload` (see [`split_typed_input`]), for building
/// seeds.
pub fn typed_input(selector: u8, payload: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(payload.len() + 1);
    input.push(selector);
    input.extend_from_slice(payload);
    input
}

/// Selector bytes of [`split_typed_input`].
pub mod selector {
    /// The resource type.
    pub const RESOURCE: u8 = 0;
    /// The provider block's type.
    pub const PROVIDER: u8 = 1;
    /// A type in the compact grammar follows.
    pub const COMPACT: u8 = 2;
    /// A JSON type (length byte + JSON) follows.
    pub const JSON_TYPE: u8 = 3;
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
    use crate::proto::tfplugin6 as pb;
    use crate::value::Value;

    #[test]
    fn compact_grammar_builds_nested_types_and_stops_at_the_end() {
        let mut cursor: &[u8] = &[4, 7, 1, 3, 1, 0xff];
        let ty = type_from_bytes(&mut cursor, 0);
        assert_eq!(
            ty,
            Type::list(Type::object([("a3", Type::Number)])),
            "list of object with one number attribute"
        );
        assert_eq!(cursor, &[0xff]);
        let mut empty: &[u8] = &[];
        assert_eq!(type_from_bytes(&mut empty, 0), Type::String);
    }

    #[test]
    fn json_selector_reads_the_type_then_the_payload() {
        let json = br#"["list","bool"]"#;
        let mut input = vec![selector::JSON_TYPE, json.len() as u8];
        input.extend_from_slice(json);
        input.push(0x90);
        let (ty, payload) = split_typed_input(&input).expect("valid");
        assert_eq!(ty, Type::list(Type::Bool));
        assert_eq!(payload, &[0x90]);
    }

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
    fn a_value_that_cannot_be_encoded_back_is_a_violation() {
        // A non-finite float is the kind of value Terraform can neither send nor accept.
        let value = Value::from(f64::NAN);
        assert!(check_round_trip(&value, &Type::Number).is_err());
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
