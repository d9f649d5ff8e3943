//! Properties of the codecs over generated types and values: msgpack round-trips any value
//! of any type, the JSON type syntax round-trips, arbitrary bytes never panic.

use proptest::prelude::*;
use tfplugin::codec::{decode_json, decode_msgpack, encode_msgpack};
use tfplugin::value::{Number, Type, Value};

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
            prop::collection::btree_map("[a-z_]{1,8}", inner.clone(), 0..4).prop_map(Type::Object),
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
