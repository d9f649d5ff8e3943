//! The value model: the JSON type syntax, attribute paths, Terraform's equality (numbers by
//! value, sets regardless of order), knownness and the string helpers.

use std::collections::BTreeMap;

use serde_json::json;
use tfplugin::value::{Number, Type, Value};

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
