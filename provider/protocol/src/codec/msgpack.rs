//! The msgpack encoding of every `DynamicValue` Terraform sends or receives.

use std::collections::BTreeMap;

use rmpv::Value as Msgpack;

use super::{infer_type, parse_decimal, CodecError, ValuePath};
use crate::value::{Number, Type, Value};

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
