//! Terraform's value model, cty-like: a [`Type`] (what a schema declares) and a [`Value`]
//! (what Terraform sends and expects back).
//!
//! A `Value` does not carry its type: the codec is always guided by the schema's `Type`,
//! which is how Terraform's own wire format works. Helpers such as [`Value::attr`],
//! [`Value::as_str`] and the `From` conversions keep resource code short:
//!
//! ```
//! use tfplugin::value::Value;
//! let network = Value::object_of([("cidr", Value::from("10.0.0.0/16"))]);
//! let state = Value::object_of([("network", network)]);
//! assert_eq!(state.attr("network").attr("cidr").as_str(), Some("10.0.0.0/16"));
//! assert!(state.attr("missing").is_null());
//! ```
//!
//! [`Type`] and its JSON syntax live in `types`; values and numbers here.

mod types;

use std::collections::BTreeMap;
use std::fmt;

pub use types::{Type, TypeError};

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
    /// as null, so paths chain: `state.attr("network").attr("cidr")`.
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
