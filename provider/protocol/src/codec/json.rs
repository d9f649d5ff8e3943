//! The JSON encoding of stored state (`UpgradeResourceState`): decoding only, lenient about
//! attributes an older schema version had or lacked.

use std::collections::BTreeMap;

use super::{parse_decimal, CodecError, ValuePath};
use crate::value::{Number, Type, Value};

/// Decodes JSON (Terraform's stored state format) as a value of `ty`.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| CodecError::Malformed {
            format: "JSON",
            message: err.to_string(),
        })?;
    from_json(&json, ty, &ValuePath::default())
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
