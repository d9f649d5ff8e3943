//! msgpack DynamicValue decoding with an arbitrary type: never panics; what decodes
//! encodes back to the same value, stably (`tfplugin::fuzzing::msgpack_round_trip`; no schema is linked,
//! so every selector reads its type from the input).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(violation) = tfplugin::fuzzing::msgpack_round_trip(input, None) {
        panic!("{violation}");
    }
});
