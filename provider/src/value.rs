//! Terraform's value model, cty-like: a [`Type`] (what a schema declares) and a [`Value`]
//! (what Terraform sends and expects back).
//!
//! A `Value` does not carry its type: the codec is always guided by the schema's `Type`,
//! which is how Terraform's own wire format works. Helpers such as [`Value::attr`],
//! [`Value::as_str`] and the `From` conversions keep resource code short:
//!
//! ```
//! use tfprovider::value::Value;
//! let network = Value::object_of([("vpc_cidr", Value::from("10.0.0.0/16"))]);
//! let state = Value::object_of([("network", network)]);
//! assert_eq!(state.attr("network").attr("vpc_cidr").as_str(), Some("10.0.0.0/16"));
//! assert!(state.attr("missing").is_null());
//! ```

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

/// A Terraform number. Integers and floats are kept as such; a value that fits neither
/// (a huge integer, a long decimal) is kept as its decimal text.
#[derive(Debug, Clone)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A decimal number in text, as Terraform sends numbers beyond i64/f64.
    Big(String),
}

impl Number {
    /// The number as i64 when it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(int) => Some(*int),
            Number::Float(float) if float.fract() == 0.0 && float.abs() < 9.2e18 => {
                Some(*float as i64)
            }
            Number::Float(_) => None,
            Number::Big(text) => text.parse().ok(),
        }
    }

    /// The number as f64 (possibly rounded).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(int) => Some(*int as f64),
            Number::Float(float) => Some(*float),
            Number::Big(text) => text.parse().ok(),
        }
    }
}

/// Numbers compare by value: `Int(2) == Float(2.0)`.
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Big(a), Number::Big(b)) => a == b,
            (Number::Big(_), _) | (_, Number::Big(_)) => match (self.as_i64(), other.as_i64()) {
                (Some(a), Some(b)) => a == b,
                _ => self.as_f64() == other.as_f64(),
            },
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(int) => write!(f, "{int}"),
            Number::Float(float) => write!(f, "{float}"),
            Number::Big(text) => f.write_str(text),
        }
    }
}

/// A Terraform value. Which variant is valid where is decided by the schema's [`Type`].
///
/// Equality is Terraform's: numbers compare by value and sets ignore element order.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    /// Known only after apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

static NULL: Value = Value::Null;

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => same_elements(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

/// Multiset equality: every element of `a` pairs with a distinct equal element of `b`.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut unmatched: Vec<&Value> = b.iter().collect();
    a.iter().all(
        |element| match unmatched.iter().position(|candidate| *candidate == element) {
            Some(position) => {
                unmatched.swap_remove(position);
                true
            }
            None => false,
        },
    )
}

impl Value {
    /// An object from its attributes (so `.collect()` can build the argument).
    pub fn object(attributes: BTreeMap<String, Value>) -> Value {
        Value::Object(attributes)
    }

    /// An object from (name, value) pairs:
    /// `Value::object_of([("name", Value::from("blog")), ("tags", Value::Null)])`.
    pub fn object_of<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        )
    }

    /// A string value: `Value::string("blog")`.
    pub fn string(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    /// An empty list (`Value::list` can't infer an element type from nothing).
    pub fn empty_list() -> Value {
        Value::List(Vec::new())
    }

    /// A list from anything convertible to values: `Value::list(["a", "b"])`.
    pub fn list<T: Into<Value>>(elements: impl IntoIterator<Item = T>) -> Value {
        Value::List(elements.into_iter().map(Into::into).collect())
    }

    /// A set from anything convertible to values.
    pub fn set<T: Into<Value>>(elements: impl IntoIterator<Item = T>) -> Value {
        Value::Set(elements.into_iter().map(Into::into).collect())
    }

    /// A map from (key, value) pairs: `Value::map([("env", "prod")])`.
    pub fn map<K: Into<String>, T: Into<Value>>(
        entries: impl IntoIterator<Item = (K, T)>,
    ) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        )
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            _ => true,
        }
    }

    /// The attribute of an object (or entry of a map), if present.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attributes) | Value::Map(attributes) => attributes.get(name),
            _ => None,
        }
    }

    /// Like [`Value::get_attr`], but an absent attribute (or a null/unknown parent) reads
    /// as null, so paths chain: `state.attr("network").attr("vpc_cidr")`.
    pub fn attr(&self, name: &str) -> &Value {
        self.get_attr(name).unwrap_or(&NULL)
    }

    /// Mutable access to an object attribute, inserting null when absent. `None` when this
    /// value is not an object or map.
    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attributes) | Value::Map(attributes) => {
                Some(attributes.entry(name.to_string()).or_default())
            }
            _ => None,
        }
    }

    /// Sets an attribute; a null value becomes an empty object first. Returns false (and
    /// changes nothing) when this value is neither an object, a map, nor null.
    pub fn set_attr(&mut self, name: &str, value: impl Into<Value>) -> bool {
        if self.is_null() {
            *self = Value::Object(BTreeMap::new());
        }
        match self.attr_mut(name) {
            Some(slot) => {
                *slot = value.into();
                true
            }
            None => false,
        }
    }

    /// Builder form of [`Value::set_attr`].
    pub fn with_attr(mut self, name: &str, value: impl Into<Value>) -> Value {
        self.set_attr(name, value);
        self
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// Elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// Entries of a map or attributes of an object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The strings of a list/set of strings, skipping anything else (nulls, unknowns).
    pub fn string_items(&self) -> Vec<&str> {
        self.as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .collect()
    }

    /// The string entries of a map of strings, skipping anything else.
    pub fn string_entries(&self) -> BTreeMap<&str, &str> {
        self.as_map()
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| Some((key.as_str(), value.as_str()?)))
            .collect()
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::String(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::String(text)
    }
}

impl From<&String> for Value {
    fn from(text: &String) -> Value {
        Value::String(text.clone())
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<i64> for Value {
    fn from(int: i64) -> Value {
        Value::Number(Number::Int(int))
    }
}

impl From<i32> for Value {
    fn from(int: i32) -> Value {
        Value::Number(Number::Int(i64::from(int)))
    }
}

impl From<u32> for Value {
    fn from(int: u32) -> Value {
        Value::Number(Number::Int(i64::from(int)))
    }
}

impl From<f64> for Value {
    fn from(float: f64) -> Value {
        Value::Number(Number::Float(float))
    }
}

impl From<Number> for Value {
    fn from(number: Number) -> Value {
        Value::Number(number)
    }
}

/// `None` becomes null.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(option: Option<T>) -> Value {
        option.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_json_syntax_round_trips() {
        let ty = Type::object([
            ("name", Type::String),
            ("zones", Type::list(Type::String)),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::Number)),
            ("pair", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
        ]);
        let json = ty.to_json();
        assert_eq!(json[0], json!("object"));
        assert_eq!(json[1]["zones"], json!(["list", "string"]));
        assert_eq!(json[1]["pair"], json!(["tuple", ["bool", "dynamic"]]));
        assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()), Ok(ty));
    }

    #[test]
    fn object_type_with_optional_markers_parses() {
        let parsed = Type::from_json(&json!(["object", {"a": "string"}, ["a"]]));
        assert_eq!(parsed, Ok(Type::object([("a", Type::String)])));
    }

    #[test]
    fn malformed_types_are_refused() {
        for bad in [
            json!("text"),
            json!(["list"]),
            json!(["frob", "string"]),
            json!(["object", ["a"]]),
            json!(42),
        ] {
            assert!(Type::from_json(&bad).is_err(), "{bad} accepted");
        }
        assert!(Type::from_json_bytes(b"{not json").is_err());
    }

    #[test]
    fn attr_paths_chain_through_missing_parts() {
        let value = Value::object_of([("a", Value::object_of([("b", Value::from(3))]))]);
        assert_eq!(value.attr("a").attr("b").as_i64(), Some(3));
        assert!(value.attr("x").attr("y").is_null());
        assert!(Value::Unknown.attr("a").is_null());
    }

    #[test]
    fn set_attr_builds_objects_and_refuses_scalars() {
        let value = Value::Null.with_attr("id", "x").with_attr("n", 2);
        assert_eq!(value.attr("id").as_str(), Some("x"));
        let mut scalar = Value::from(true);
        assert!(!scalar.set_attr("a", 1));
        assert_eq!(scalar, Value::Bool(true));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Number::Int(2), Number::Float(2.0));
        assert_eq!(Number::Big("12".into()), Number::Int(12));
        assert_ne!(Number::Int(2), Number::Float(2.5));
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(Number::Float(3.5).as_i64(), None);
    }

    #[test]
    fn sets_compare_regardless_of_order_lists_do_not() {
        assert_eq!(Value::set(["a", "b", "a"]), Value::set(["a", "a", "b"]));
        assert_ne!(Value::set(["a", "b", "b"]), Value::set(["a", "a", "b"]));
        assert_ne!(Value::set(["a"]), Value::set(["a", "a"]));
        assert_ne!(Value::list(["a", "b"]), Value::list(["b", "a"]));
        assert_ne!(Value::list(["a"]), Value::set(["a"]));
        assert_ne!(Value::Map(BTreeMap::new()), Value::Object(BTreeMap::new()));
    }

    #[test]
    fn wholly_known_looks_inside_collections() {
        assert!(Value::list(["a"]).is_wholly_known());
        assert!(!Value::List(vec![Value::Unknown]).is_wholly_known());
        assert!(!Value::object_of([("a", Value::Unknown)]).is_wholly_known());
    }

    #[test]
    fn string_helpers_skip_non_strings() {
        let list = Value::List(vec![Value::from("a"), Value::Null, Value::from("b")]);
        assert_eq!(list.string_items(), vec!["a", "b"]);
        let map = Value::map([("k", "v")]);
        assert_eq!(map.string_entries().get("k"), Some(&"v"));
        assert_eq!(Value::from(Some("x")), Value::from("x"));
        assert_eq!(Value::from(None::<String>), Value::Null);
    }
}
