//! msgpack DynamicValue decoding with an arbitrary type: never panics; what decodes
//! encodes back to the same value, stably (`tfprovider::fuzzing::msgpack_round_trip`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(violation) = tfprovider::fuzzing::msgpack_round_trip(input) {
        panic!("{violation}");
    }
});
