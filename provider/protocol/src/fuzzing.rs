//! Fuzz entry points over the codecs, for any provider's types, and the pieces a provider's
//! own entry points share ([`Violation`], the typed-input grammar).
//!
//! Each function takes raw bytes and returns `Err(Violation)` only when a property that must
//! hold for *every* input is broken. Rejecting an input (a decode error) is fine; a panic is
//! a finding by itself.
//!
//! | entry point | what it drives |
//! | --- | --- |
//! | [`msgpack_round_trip`] | `codec::decode_msgpack` with a chosen type; on success encode∘decode must be stable |
//! | [`json_decode`] | `codec::decode_json` (stored state) with a chosen type |
//!
//! Typed inputs begin with a type selector, see [`split_typed_input`].

use crate::codec::{self, CodecError};
use crate::value::{Type, Value};

/// A property every input must satisfy was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{property}: {detail}")]
pub struct Violation {
    /// The property, in a few words.
    pub property: &'static str,
    pub detail: String,
}

impl Violation {
    pub fn new(property: &'static str, detail: impl Into<String>) -> Violation {
        Violation {
            property,
            detail: detail.into(),
        }
    }
}

/// The types selectors 0 and 1 name: a provider's resource type and its provider block's
/// type. Without them those selectors read a compact-grammar type, as selector 2 does.
#[derive(Debug, Clone, Copy)]
pub struct NamedTypes<'a> {
    pub resource: &'a Type,
    pub provider: &'a Type,
}

/// How deep a type built by the compact grammar may nest.
const MAX_TYPE_DEPTH: usize = 6;

/// Splits a typed input into the type it names and the payload to decode. The first byte
/// (modulo 4) selects:
/// - `0`: the resource type, payload = the rest;
/// - `1`: the provider block's type, payload = the rest;
/// - `2`: a type read from the next bytes by a compact grammar ([`type_from_bytes`]);
/// - `3`: a type in Terraform's JSON syntax: one length byte `n`, `n` bytes of JSON.
///
/// `None` when the input is too short or the JSON type is invalid.
pub fn split_typed_input<'a>(
    input: &'a [u8],
    named: Option<NamedTypes<'_>>,
) -> Option<(Type, &'a [u8])> {
    let (&selector, rest) = input.split_first()?;
    match (selector % 4, named) {
        (0, Some(named)) => Some((named.resource.clone(), rest)),
        (1, Some(named)) => Some((named.provider.clone(), rest)),
        (0..=2, _) => {
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
/// Running out of bytes or nesting deeper than `MAX_TYPE_DEPTH` yields `string`.
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
pub fn msgpack_round_trip(input: &[u8], named: Option<NamedTypes<'_>>) -> Result<(), Violation> {
    let Some((ty, payload)) = split_typed_input(input, named) else {
        return Ok(());
    };
    match codec::decode_msgpack(payload, &ty) {
        Ok(value) => check_round_trip(&value, &ty),
        Err(err) => check_error_text(&err),
    }
}

fn check_round_trip(value: &Value, ty: &Type) -> Result<(), Violation> {
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
pub fn json_decode(input: &[u8], named: Option<NamedTypes<'_>>) -> Result<(), Violation> {
    let Some((ty, payload)) = split_typed_input(input, named) else {
        return Ok(());
    };
    match codec::decode_json(payload, &ty) {
        Ok(value) => check_round_trip(&value, &ty),
        Err(err) => check_error_text(&err),
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let (ty, payload) = split_typed_input(&input, None).expect("valid");
        assert_eq!(ty, Type::list(Type::Bool));
        assert_eq!(payload, &[0x90]);
    }

    #[test]
    fn named_selectors_read_a_compact_type_when_no_types_are_named() {
        let input = [selector::RESOURCE, 1, 0x05];
        let (ty, payload) = split_typed_input(&input, None).expect("valid");
        assert_eq!(ty, Type::Number);
        assert_eq!(payload, &[0x05]);
        assert_eq!(msgpack_round_trip(&input, None), Ok(()));
    }

    #[test]
    fn a_value_that_cannot_be_encoded_back_is_a_violation() {
        // A non-finite float is the kind of value Terraform can neither send nor accept.
        let value = Value::from(f64::NAN);
        assert!(check_round_trip(&value, &Type::Number).is_err());
    }
}
