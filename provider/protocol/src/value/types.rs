//! Terraform's type constraints and their JSON syntax (`["list","string"]`), as schemas
//! declare them and dynamic values carry them.

use std::collections::BTreeMap;
use std::fmt;

/// A Terraform type constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
    /// Any type; values of it travel with their concrete type on the wire.
    Dynamic,
}

/// A type description Terraform sent or we were asked to parse is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type description {description}: {reason}")]
pub struct TypeError {
    pub description: String,
    pub reason: String,
}

impl TypeError {
    fn new(description: &serde_json::Value, reason: impl Into<String>) -> Self {
        TypeError {
            description: description.to_string(),
            reason: reason.into(),
        }
    }
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `Type::object([("id", Type::String), ("size", Type::Number)])`.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// The type in Terraform's JSON type syntax, e.g. `["list","string"]`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as Json};
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(element) => json!(["list", element.to_json()]),
            Type::Set(element) => json!(["set", element.to_json()]),
            Type::Map(element) => json!(["map", element.to_json()]),
            Type::Object(attributes) => {
                let attributes: serde_json::Map<String, Json> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                json!(["object", attributes])
            }
            Type::Tuple(elements) => {
                json!([
                    "tuple",
                    elements.iter().map(Type::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// The JSON type syntax as bytes, as a schema attribute's `type` field carries it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses Terraform's JSON type syntax. Optional-attribute markers of object types
    /// (`["object", {...}, ["attr"]]`) are accepted and ignored.
    pub fn from_json(json: &serde_json::Value) -> Result<Type, TypeError> {
        use serde_json::Value as Json;
        match json {
            Json::String(name) => Self::primitive_from_name(json, name),
            Json::Array(parts) => Self::composite_from_parts(json, parts),
            _ => Err(TypeError::new(json, "expected a string or an array")),
        }
    }

    /// Parses the JSON type syntax from bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, TypeError> {
        let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| TypeError {
            description: String::from_utf8_lossy(bytes).into_owned(),
            reason: err.to_string(),
        })?;
        Type::from_json(&json)
    }

    fn primitive_from_name(json: &serde_json::Value, name: &str) -> Result<Type, TypeError> {
        match name {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(TypeError::new(json, format!("unknown type {other:?}"))),
        }
    }

    fn composite_from_parts(
        json: &serde_json::Value,
        parts: &[serde_json::Value],
    ) -> Result<Type, TypeError> {
        let kind = parts
            .first()
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| TypeError::new(json, "missing type kind"))?;
        let argument = parts
            .get(1)
            .ok_or_else(|| TypeError::new(json, "missing type argument"))?;
        match kind {
            "list" => Ok(Type::list(Type::from_json(argument)?)),
            "set" => Ok(Type::set(Type::from_json(argument)?)),
            "map" => Ok(Type::map(Type::from_json(argument)?)),
            "object" => {
                let attributes = argument
                    .as_object()
                    .ok_or_else(|| TypeError::new(json, "object attributes must be a map"))?;
                let attributes = attributes
                    .iter()
                    .map(|(name, ty)| Ok((name.clone(), Type::from_json(ty)?)))
                    .collect::<Result<BTreeMap<_, _>, TypeError>>()?;
                Ok(Type::Object(attributes))
            }
            "tuple" => {
                let elements = argument
                    .as_array()
                    .ok_or_else(|| TypeError::new(json, "tuple elements must be an array"))?;
                let elements = elements
                    .iter()
                    .map(Type::from_json)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Type::Tuple(elements))
            }
            other => Err(TypeError::new(json, format!("unknown type kind {other:?}"))),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}
