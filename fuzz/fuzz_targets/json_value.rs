//! JSON state decoding (UpgradeResourceState) with an arbitrary type: never panics; what
//! decodes encodes as msgpack and round-trips (`tfplugin::fuzzing::json_decode`; no schema is linked,
//! so every selector reads its type from the input).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(violation) = tfplugin::fuzzing::json_decode(input, None) {
        panic!("{violation}");
    }
});
