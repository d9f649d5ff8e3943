//! A msgpack resource configuration through spec conversion and every validation rule:
//! never panics, every diagnostic says something (`wp_resource::fuzzing::validate_config`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(violation) = wp_resource::fuzzing::validate_config(input) {
        panic!("{violation}");
    }
});
