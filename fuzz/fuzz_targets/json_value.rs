//! JSON state decoding (UpgradeResourceState) with an arbitrary type: never panics; what
//! decodes encodes as msgpack and round-trips (`tfprovider::fuzzing::json_decode`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(violation) = tfprovider::fuzzing::json_decode(input) {
        panic!("{violation}");
    }
});
