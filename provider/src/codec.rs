//! Wire encodings of [`Value`]s, always guided by the schema's [`Type`]:
//!
//! - msgpack (every `DynamicValue` Terraform sends or receives): null is `nil`; unknown is
//!   any msgpack extension on input (including the refined unknowns of newer Terraform,
//!   extension type 12) and `d4 00 00` on output; objects carry every attribute of their
//!   type; dynamic-typed values travel as `[JSON type bytes, value]`.
//! - JSON (the stored state `UpgradeResourceState` receives): decoding only. Missing object
//!   attributes read as null and attributes the type doesn't know are dropped, so a state
//!   written by an older schema version still decodes.
//!
//! Malformed input is an error carrying the path to the offending value, never a panic.

use std::collections::BTreeMap;
use std::fmt;

use rmpv::Value as Msgpack;

use crate::value::{Number, Type, Value};

/// Where inside a value a codec error happened, e.g. `.network.availability_zones[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValuePath(Vec<String>);

impl ValuePath {
    fn attr(&self, name: &str) -> ValuePath {
        self.step(format!(".{name}"))
    }

    fn index(&self, index: usize) -> ValuePath {
        self.step(format!("[{index}]"))
    }

    fn key(&self, key: &str) -> ValuePath {
        self.step(format!("[{key:?}]"))
    }

    fn step(&self, step: String) -> ValuePath {
        let mut steps = self.0.clone();
        steps.push(step);
        ValuePath(steps)
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        f.write_str(&self.0.concat())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("malformed {format} data: {message}")]
    Malformed {
        format: &'static str,
        message: String,
    },
    #[error("at {path}: expected {expected}, found {found}")]
    Mismatch {
        path: ValuePath,
        expected: String,
        found: String,
    },
    #[error("at {path}: {message}")]
    Invalid { path: ValuePath, message: String },
}

impl CodecError {
    fn mismatch(path: &ValuePath, expected: &Type, found: impl fmt::Debug) -> CodecError {
        let mut found = format!("{found:?}");
        found.truncate(80);
        CodecError::Mismatch {
            path: path.clone(),
            expected: expected.to_string(),
            found,
        }
    }

    fn invalid(path: &ValuePath, message: impl Into<String>) -> CodecError {
        CodecError::Invalid {
            path: path.clone(),
            message: message.into(),
        }
    }
}

/// The extension Terraform reads as "unknown": type 0, one zero byte (`d4 00 00`).
const UNKNOWN_EXTENSION_TYPE: i8 = 0;

/// Decodes msgpack bytes as a value of `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader).map_err(|err| CodecError::Malformed {
        format: "msgpack",
        message: err.to_string(),
    })?;
    if !reader.is_empty() {
        return Err(CodecError::Malformed {
            format: "msgpack",
            message: format!("{} trailing bytes after the value", reader.len()),
        });
    }
    from_msgpack(&raw, ty, &ValuePath::default())
}

/// Encodes a value of `ty` as msgpack. Fails when the value does not fit the type (a bug in
/// the caller, reported rather than sent to Terraform).
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let raw = to_msgpack(value, ty, &ValuePath::default())?;
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &raw).map_err(|err| CodecError::Malformed {
        format: "msgpack",
        message: err.to_string(),
    })?;
    Ok(bytes)
}

/// Decodes JSON (Terraform's stored state format) as a value of `ty`.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| CodecError::Malformed {
            format: "JSON",
            message: err.to_string(),
        })?;
    from_json(&json, ty, &ValuePath::default())
}

fn from_msgpack(raw: &Msgpack, ty: &Type, path: &ValuePath) -> Result<Value, CodecError> {
    match raw {
        Msgpack::Ext(..) => return Ok(Value::Unknown),
        Msgpack::Nil => return Ok(Value::Null),
        _ => {}
    }
    match ty {
        Type::String => msgpack_string(raw)
            .map(Value::String)
            .ok_or_else(|| CodecError::mismatch(path, ty, raw)),
        Type::Bool => raw
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| CodecError::mismatch(path, ty, raw)),
        Type::Number => msgpack_number(raw, path).map(Value::Number),
        Type::List(element) => msgpack_items(raw, element, ty, path).map(Value::List),
        Type::Set(element) => msgpack_items(raw, element, ty, path).map(Value::Set),
        Type::Tuple(elements) => msgpack_tuple(raw, elements, ty, path),
        Type::Map(element) => msgpack_map(raw, element, ty, path),
        Type::Object(attributes) => msgpack_object(raw, attributes, ty, path),
        Type::Dynamic => msgpack_dynamic(raw, path),
    }
}

fn msgpack_string(raw: &Msgpack) -> Option<String> {
    match raw {
        Msgpack::String(text) => text.as_str().map(str::to_string),
        Msgpack::Binary(bytes) => String::from_utf8(bytes.clone()).ok(),
        _ => None,
    }
}

fn msgpack_number(raw: &Msgpack, path: &ValuePath) -> Result<Number, CodecError> {
    match raw {
        Msgpack::Integer(int) => Ok(match int.as_i64() {
            Some(small) => Number::Int(small),
            None => Number::Big(int.to_string()),
        }),
        Msgpack::F32(float) => finite(f64::from(*float), path),
        Msgpack::F64(float) => finite(*float, path),
        _ => match msgpack_string(raw) {
            Some(text) => parse_decimal(&text, path),
            None => Err(CodecError::mismatch(path, &Type::Number, raw)),
        },
    }
}

/// NaN and infinities are no Terraform numbers: accepting one would leave a value that cannot
/// be sent back (the msgpack round-trip property of `fuzzing` does not hold for them).
fn finite(float: f64, path: &ValuePath) -> Result<Number, CodecError> {
    if float.is_finite() {
        Ok(Number::Float(float))
    } else {
        Err(CodecError::invalid(
            path,
            format!("{float} is not a number"),
        ))
    }
}

/// Numbers beyond i64/f64 arrive as decimal text; keep the text, refuse non-numbers.
fn parse_decimal(text: &str, path: &ValuePath) -> Result<Number, CodecError> {
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() => Ok(Number::Big(text.to_string())),
        _ => Err(CodecError::invalid(
            path,
            format!("{text:?} is not a number"),
        )),
    }
}

fn msgpack_items(
    raw: &Msgpack,
    element: &Type,
    ty: &Type,
    path: &ValuePath,
) -> Result<Vec<Value>, CodecError> {
    let items = raw
        .as_array()
        .ok_or_else(|| CodecError::mismatch(path, ty, raw))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| from_msgpack(item, element, &path.index(index)))
        .collect()
}

fn msgpack_tuple(
    raw: &Msgpack,
    elements: &[Type],
    ty: &Type,
    path: &ValuePath,
) -> Result<Value, CodecError> {
    let items = raw
        .as_array()
        .filter(|items| items.len() == elements.len())
        .ok_or_else(|| CodecError::mismatch(path, ty, raw))?;
    items
        .iter()
        .zip(elements)
        .enumerate()
        .map(|(index, (item, element))| from_msgpack(item, element, &path.index(index)))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Tuple)
}

fn msgpack_entries<'a>(
    raw: &'a Msgpack,
    ty: &Type,
    path: &ValuePath,
) -> Result<Vec<(String, &'a Msgpack)>, CodecError> {
    let entries = raw
        .as_map()
        .ok_or_else(|| CodecError::mismatch(path, ty, raw))?;
    entries
        .iter()
        .map(|(key, value)| {
            msgpack_string(key)
                .map(|key| (key, value))
                .ok_or_else(|| CodecError::invalid(path, format!("map key {key} is not a string")))
        })
        .collect()
}

fn msgpack_map(
    raw: &Msgpack,
    element: &Type,
    ty: &Type,
    path: &ValuePath,
) -> Result<Value, CodecError> {
    msgpack_entries(raw, ty, path)?
        .into_iter()
        .map(|(key, value)| {
            let decoded = from_msgpack(value, element, &path.key(&key))?;
            Ok((key, decoded))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()
        .map(Value::Map)
}

fn msgpack_object(
    raw: &Msgpack,
    attributes: &BTreeMap<String, Type>,
    ty: &Type,
    path: &ValuePath,
) -> Result<Value, CodecError> {
    let mut object: BTreeMap<String, Value> = attributes
        .keys()
        .map(|name| (name.clone(), Value::Null))
        .collect();
    for (name, value) in msgpack_entries(raw, ty, path)? {
        let attribute_type = attributes
            .get(&name)
            .ok_or_else(|| CodecError::invalid(path, format!("unsupported attribute {name:?}")))?;
        let decoded = from_msgpack(value, attribute_type, &path.attr(&name))?;
        object.insert(name, decoded);
    }
    Ok(Value::Object(object))
}

/// A dynamic value is `[JSON type, value]` (null and unknown are sent bare).
fn msgpack_dynamic(raw: &Msgpack, path: &ValuePath) -> Result<Value, CodecError> {
    let pair = raw
        .as_array()
        .filter(|pair| pair.len() == 2)
        .ok_or_else(|| CodecError::mismatch(path, &Type::Dynamic, raw))?;
    let type_bytes = match &pair[0] {
        Msgpack::Binary(bytes) => bytes.as_slice(),
        Msgpack::String(text) => text.as_bytes(),
        other => return Err(CodecError::mismatch(path, &Type::Dynamic, other)),
    };
    let concrete = Type::from_json_bytes(type_bytes)
        .map_err(|err| CodecError::invalid(path, err.to_string()))?;
    from_msgpack(&pair[1], &concrete, path)
}

fn to_msgpack(value: &Value, ty: &Type, path: &ValuePath) -> Result<Msgpack, CodecError> {
    match (value, ty) {
        (Value::Null, _) => Ok(Msgpack::Nil),
        (Value::Unknown, _) => Ok(Msgpack::Ext(UNKNOWN_EXTENSION_TYPE, vec![0])),
        (_, Type::Dynamic) => dynamic_to_msgpack(value, path),
        (Value::String(text), Type::String) => Ok(Msgpack::from(text.as_str())),
        (Value::Bool(flag), Type::Bool) => Ok(Msgpack::Boolean(*flag)),
        (Value::Number(number), Type::Number) => number_to_msgpack(number, path),
        (Value::List(items), Type::List(element)) | (Value::Set(items), Type::Set(element)) => {
            items_to_msgpack(items, element, path)
        }
        (Value::Tuple(items), Type::Tuple(elements)) if items.len() == elements.len() => {
            tuple_to_msgpack(items, elements, path)
        }
        (Value::Map(entries), Type::Map(element)) => map_to_msgpack(entries, element, path),
        (Value::Object(attributes), Type::Object(attribute_types)) => {
            object_to_msgpack(attributes, attribute_types, path)
        }
        _ => Err(CodecError::mismatch(path, ty, value)),
    }
}

fn number_to_msgpack(number: &Number, path: &ValuePath) -> Result<Msgpack, CodecError> {
    match number {
        Number::Int(int) => Ok(Msgpack::from(*int)),
        Number::Float(float) if float.is_finite() => Ok(Msgpack::F64(*float)),
        Number::Float(float) => Err(CodecError::invalid(
            path,
            format!("{float} cannot be represented in Terraform"),
        )),
        Number::Big(text) => {
            parse_decimal(text, path)?;
            Ok(Msgpack::from(text.as_str()))
        }
    }
}

fn items_to_msgpack(
    items: &[Value],
    element: &Type,
    path: &ValuePath,
) -> Result<Msgpack, CodecError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| to_msgpack(item, element, &path.index(index)))
        .collect::<Result<Vec<_>, _>>()
        .map(Msgpack::Array)
}

fn tuple_to_msgpack(
    items: &[Value],
    elements: &[Type],
    path: &ValuePath,
) -> Result<Msgpack, CodecError> {
    items
        .iter()
        .zip(elements)
        .enumerate()
        .map(|(index, (item, element))| to_msgpack(item, element, &path.index(index)))
        .collect::<Result<Vec<_>, _>>()
        .map(Msgpack::Array)
}

fn map_to_msgpack(
    entries: &BTreeMap<String, Value>,
    element: &Type,
    path: &ValuePath,
) -> Result<Msgpack, CodecError> {
    entries
        .iter()
        .map(|(key, value)| {
            Ok((
                Msgpack::from(key.as_str()),
                to_msgpack(value, element, &path.key(key))?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Msgpack::Map)
}

/// Every attribute of the type is written (absent ones as nil): Terraform refuses objects
/// with missing attributes. Attributes the type doesn't declare are a caller bug.
fn object_to_msgpack(
    attributes: &BTreeMap<String, Value>,
    attribute_types: &BTreeMap<String, Type>,
    path: &ValuePath,
) -> Result<Msgpack, CodecError> {
    if let Some(extra) = attributes
        .keys()
        .find(|name| !attribute_types.contains_key(*name))
    {
        return Err(CodecError::invalid(
            path,
            format!("attribute {extra:?} is not in the schema"),
        ));
    }
    attribute_types
        .iter()
        .map(|(name, ty)| {
            let value = attributes.get(name).unwrap_or(&Value::Null);
            Ok((
                Msgpack::from(name.as_str()),
                to_msgpack(value, ty, &path.attr(name))?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Msgpack::Map)
}

fn dynamic_to_msgpack(value: &Value, path: &ValuePath) -> Result<Msgpack, CodecError> {
    let concrete = infer_type(value);
    let encoded = to_msgpack(value, &concrete, path)?;
    Ok(Msgpack::Array(vec![
        Msgpack::Binary(concrete.to_json_bytes()),
        encoded,
    ]))
}

/// The type a value in a dynamic position is sent as. Collections take the type of their
/// first element whose type is known; an empty or all-null collection holds `dynamic`.
pub fn infer_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(common_type(items.iter())),
        Value::Set(items) => Type::set(common_type(items.iter())),
        Value::Map(entries) => Type::map(common_type(entries.values())),
        Value::Object(attributes) => Type::Object(
            attributes
                .iter()
                .map(|(name, value)| (name.clone(), infer_type(value)))
                .collect(),
        ),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
    }
}

fn common_type<'a>(mut values: impl Iterator<Item = &'a Value>) -> Type {
    values
        .find_map(|value| Some(infer_type(value)).filter(|ty| *ty != Type::Dynamic))
        .unwrap_or(Type::Dynamic)
}

fn from_json(json: &serde_json::Value, ty: &Type, path: &ValuePath) -> Result<Value, CodecError> {
    use serde_json::Value as Json;
    match (json, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (_, Type::Dynamic) => json_dynamic(json, path),
        (Json::String(text), Type::String) => Ok(Value::String(text.clone())),
        (Json::Bool(flag), Type::String) => Ok(Value::String(flag.to_string())),
        (Json::Number(number), Type::String) => Ok(Value::String(number.to_string())),
        (Json::Bool(flag), Type::Bool) => Ok(Value::Bool(*flag)),
        (Json::Number(number), Type::Number) => Ok(Value::Number(json_number(number))),
        (Json::String(text), Type::Number) => parse_decimal(text, path).map(Value::Number),
        (Json::Array(items), Type::List(element)) => {
            json_items(items, element, path).map(Value::List)
        }
        (Json::Array(items), Type::Set(element)) => {
            json_items(items, element, path).map(Value::Set)
        }
        (Json::Array(items), Type::Tuple(elements)) if items.len() == elements.len() => items
            .iter()
            .zip(elements)
            .enumerate()
            .map(|(index, (item, element))| from_json(item, element, &path.index(index)))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Tuple),
        (Json::Object(entries), Type::Map(element)) => entries
            .iter()
            .map(|(key, value)| Ok((key.clone(), from_json(value, element, &path.key(key))?)))
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Value::Map),
        (Json::Object(entries), Type::Object(attributes)) => attributes
            .iter()
            .map(|(name, attribute_type)| {
                let value = match entries.get(name) {
                    Some(json) => from_json(json, attribute_type, &path.attr(name))?,
                    None => Value::Null,
                };
                Ok((name.clone(), value))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Value::Object),
        _ => Err(CodecError::mismatch(path, ty, json)),
    }
}

fn json_number(number: &serde_json::Number) -> Number {
    if let Some(int) = number.as_i64() {
        Number::Int(int)
    } else if number.is_u64() {
        Number::Big(number.to_string())
    } else {
        number
            .as_f64()
            .map_or_else(|| Number::Big(number.to_string()), Number::Float)
    }
}

fn json_items(
    items: &[serde_json::Value],
    element: &Type,
    path: &ValuePath,
) -> Result<Vec<Value>, CodecError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| from_json(item, element, &path.index(index)))
        .collect()
}

/// In JSON state a dynamic value is `{"value": ..., "type": ...}`.
fn json_dynamic(json: &serde_json::Value, path: &ValuePath) -> Result<Value, CodecError> {
    let (Some(value), Some(type_json)) = (json.get("value"), json.get("type")) else {
        return Err(CodecError::mismatch(path, &Type::Dynamic, json));
    };
    let concrete =
        Type::from_json(type_json).map_err(|err| CodecError::invalid(path, err.to_string()))?;
    from_json(value, &concrete, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack_type() -> Type {
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("zones", Type::list(Type::String)),
            ("tags", Type::map(Type::String)),
            (
                "network",
                Type::object([("cidr", Type::String), ("ids", Type::set(Type::String))]),
            ),
        ])
    }

    #[test]
    fn unknown_is_written_as_fixext1_type_0() {
        assert_eq!(
            encode_msgpack(&Value::Unknown, &Type::String),
            Ok(vec![0xd4, 0, 0])
        );
        assert_eq!(encode_msgpack(&Value::Null, &Type::String), Ok(vec![0xc0]));
    }

    #[test]
    fn every_extension_decodes_as_unknown() {
        // Refined unknown: ext type 12 with an int-keyed map payload ({1: true}).
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        assert_eq!(decode_msgpack(&refined, &Type::String), Ok(Value::Unknown));
        assert_eq!(
            decode_msgpack(&[0xd4, 0, 0], &Type::list(Type::String)),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn objects_carry_every_attribute_of_their_type() {
        let value = Value::object_of([("name", Value::from("blog"))]);
        let bytes = encode_msgpack(&value, &stack_type()).expect("encodes");
        let raw = rmpv::decode::read_value(&mut bytes.as_slice()).expect("valid msgpack");
        let keys: Vec<_> = raw
            .as_map()
            .expect("a map")
            .iter()
            .filter_map(|(key, _)| key.as_str())
            .collect();
        assert_eq!(
            keys,
            ["count", "enabled", "name", "network", "tags", "zones"]
        );
        let decoded = decode_msgpack(&bytes, &stack_type()).expect("decodes");
        assert_eq!(decoded.attr("name").as_str(), Some("blog"));
        assert!(decoded.attr("network").is_null());
    }

    #[test]
    fn values_that_do_not_fit_the_type_are_refused_with_a_path() {
        let value =
            Value::object_of([("network", Value::object_of([("cidr", Value::from(true))]))]);
        let err = encode_msgpack(&value, &stack_type()).expect_err("mismatch");
        assert!(err.to_string().contains(".network.cidr"), "{err}");
        let extra = Value::object_of([("bogus", Value::from(1))]);
        assert!(encode_msgpack(&extra, &stack_type()).is_err());
    }

    #[test]
    fn malformed_msgpack_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[0x92, 0x01][..],
            &[0xd9, 0x05, b'a'][..],
            &[0xc0, 0xc0][..],
            &[0x91][..],
        ] {
            let decoded = decode_msgpack(bytes, &Type::list(Type::Number));
            assert!(decoded.is_err(), "{bytes:02x?} decoded as {decoded:?}");
        }
        assert!(decode_msgpack(&[0xa1, b'x'], &Type::Number).is_err());
        assert!(decode_msgpack(&[0x81, 0xa1, b'z', 0x01], &stack_type()).is_err());
    }

    #[test]
    fn big_numbers_travel_as_decimal_text() {
        let big = Value::Number(Number::Big("123456789012345678901234567890".into()));
        let bytes = encode_msgpack(&big, &Type::Number).expect("encodes");
        assert_eq!(decode_msgpack(&bytes, &Type::Number), Ok(big));
        let huge_uint = [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            decode_msgpack(&huge_uint, &Type::Number),
            Ok(Value::Number(Number::Big(u64::MAX.to_string())))
        );
    }

    #[test]
    fn dynamic_values_are_wrapped_with_their_json_type() {
        let value = Value::list(["a", "b"]);
        let bytes = encode_msgpack(&value, &Type::Dynamic).expect("encodes");
        let raw = rmpv::decode::read_value(&mut bytes.as_slice()).expect("msgpack");
        let pair = raw.as_array().expect("pair");
        assert_eq!(pair[0], Msgpack::Binary(br#"["list","string"]"#.to_vec()));
        assert_eq!(decode_msgpack(&bytes, &Type::Dynamic), Ok(value));
    }

    #[test]
    fn json_state_decodes_leniently() {
        let json = br#"{"name":"blog","count":3,"zones":["a","b"],"old_field":1,
                        "network":{"cidr":"10.0.0.0/16","ids":null}}"#;
        let value = decode_json(json, &stack_type()).expect("decodes");
        assert_eq!(value.attr("count").as_i64(), Some(3));
        assert_eq!(value.attr("zones").string_items(), vec!["a", "b"]);
        assert!(value.attr("tags").is_null());
        assert!(value.get_attr("old_field").is_none());
        assert!(decode_json(br#"{"name": 5.5, "zones": "x"}"#, &stack_type()).is_err());
        assert!(decode_json(b"{", &stack_type()).is_err());
    }

    #[test]
    fn json_dynamic_uses_value_and_type() {
        let json = br#"{"value":["x"],"type":["list","string"]}"#;
        assert_eq!(decode_json(json, &Type::Dynamic), Ok(Value::list(["x"])));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn arb_type() -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![
            Just(Type::String),
            Just(Type::Number),
            Just(Type::Bool),
            Just(Type::Dynamic),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::btree_map("[a-z_]{1,8}", inner.clone(), 0..4)
                    .prop_map(Type::Object),
                prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
            ]
        })
    }

    fn arb_number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(Number::Int),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Number::Float),
            "[1-9][0-9]{20,30}".prop_map(Number::Big),
        ]
    }

    /// Values of a dynamic position: anything whose inferred type round-trips.
    fn arb_dynamic_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(Value::Unknown),
            any::<bool>().prop_map(Value::Bool),
            ".{0,12}".prop_map(Value::String),
            prop::collection::vec("[a-z]{0,5}", 0..3).prop_map(Value::list),
            prop::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..3).prop_map(Value::map),
        ]
    }

    fn arb_value(ty: &Type) -> BoxedStrategy<Value> {
        let known = arb_known_value(ty);
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    }

    fn arb_known_value(ty: &Type) -> BoxedStrategy<Value> {
        match ty {
            Type::String => ".{0,16}".prop_map(Value::String).boxed(),
            Type::Number => arb_number().prop_map(Value::Number).boxed(),
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Dynamic => arb_dynamic_value().boxed(),
            Type::List(element) => prop::collection::vec(arb_value(element), 0..4)
                .prop_map(Value::List)
                .boxed(),
            Type::Set(element) => prop::collection::vec(arb_value(element), 0..4)
                .prop_map(Value::Set)
                .boxed(),
            Type::Map(element) => prop::collection::btree_map(".{0,6}", arb_value(element), 0..4)
                .prop_map(Value::Map)
                .boxed(),
            Type::Tuple(elements) => elements
                .iter()
                .map(arb_value)
                .collect::<Vec<_>>()
                .prop_map(Value::Tuple)
                .boxed(),
            Type::Object(attributes) => attributes
                .iter()
                .map(|(name, ty)| {
                    let name = name.clone();
                    arb_value(ty).prop_map(move |v| (name.clone(), v))
                })
                .collect::<Vec<_>>()
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
                .boxed(),
        }
    }

    fn arb_typed_value() -> impl Strategy<Value = (Type, Value)> {
        arb_type().prop_flat_map(|ty| {
            let values = arb_value(&ty);
            (Just(ty), values)
        })
    }

    proptest! {
        #[test]
        fn msgpack_round_trips_any_value_of_any_type((ty, value) in arb_typed_value()) {
            let bytes = encode_msgpack(&value, &ty).expect("a value of the type encodes");
            prop_assert_eq!(decode_msgpack(&bytes, &ty), Ok(value));
        }

        #[test]
        fn json_type_syntax_round_trips(ty in arb_type()) {
            prop_assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()), Ok(ty));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
            let _ = decode_msgpack(&bytes, &ty);
            let _ = decode_json(&bytes, &ty);
        }
    }
}
