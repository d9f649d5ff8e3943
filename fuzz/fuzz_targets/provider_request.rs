//! A protobuf request body into the tfplugin6 service (validate, plan, upgrade, read,
//! apply, import) with no network: answers are diagnostics, never panics nor gRPC errors
//! (`wp_resource::fuzzing::provider_request`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(violation) = wp_resource::fuzzing::provider_request(input) {
        panic!("{violation}");
    }
});
