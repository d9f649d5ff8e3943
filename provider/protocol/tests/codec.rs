//! The codec's wire rules: unknowns, objects with every attribute, paths in errors, big
//! numbers, dynamic values, lenient JSON state.

use rmpv::Value as Msgpack;
use tfplugin::codec::{decode_json, decode_msgpack, encode_msgpack};
use tfplugin::value::{Number, Type, Value};

fn sample_type() -> Type {
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
    let bytes = encode_msgpack(&value, &sample_type()).expect("encodes");
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
    let decoded = decode_msgpack(&bytes, &sample_type()).expect("decodes");
    assert_eq!(decoded.attr("name").as_str(), Some("blog"));
    assert!(decoded.attr("network").is_null());
}

#[test]
fn values_that_do_not_fit_the_type_are_refused_with_a_path() {
    let value = Value::object_of([("network", Value::object_of([("cidr", Value::from(true))]))]);
    let err = encode_msgpack(&value, &sample_type()).expect_err("mismatch");
    assert!(err.to_string().contains(".network.cidr"), "{err}");
    let extra = Value::object_of([("bogus", Value::from(1))]);
    assert!(encode_msgpack(&extra, &sample_type()).is_err());
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
    assert!(decode_msgpack(&[0x81, 0xa1, b'z', 0x01], &sample_type()).is_err());
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
    let value = decode_json(json, &sample_type()).expect("decodes");
    assert_eq!(value.attr("count").as_i64(), Some(3));
    assert_eq!(value.attr("zones").string_items(), vec!["a", "b"]);
    assert!(value.attr("tags").is_null());
    assert!(value.get_attr("old_field").is_none());
    assert!(decode_json(br#"{"name": 5.5, "zones": "x"}"#, &sample_type()).is_err());
    assert!(decode_json(b"{", &sample_type()).is_err());
}

#[test]
fn json_dynamic_uses_value_and_type() {
    let json = br#"{"value":["x"],"type":["list","string"]}"#;
    assert_eq!(decode_json(json, &Type::Dynamic), Ok(Value::list(["x"])));
}
