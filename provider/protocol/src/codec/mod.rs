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
//!
//! `msgpack` and `json` hold one encoding each; this module their shared error and path
//! types and the rules both follow (numbers, dynamic types).

mod json;
mod msgpack;

use std::fmt;

use crate::value::{Number, Type, Value};

pub use json::decode_json;
pub use msgpack::{decode_msgpack, encode_msgpack};

/// Where inside a value a codec error happened, e.g. `.network.subnets[1]`.
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
