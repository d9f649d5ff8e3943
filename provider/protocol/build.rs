//! Compiles the protocol definitions in `proto/` with protox (pure Rust, so no system
//! `protoc` is needed) and generates tonic servers and clients (the clients serve our tests).

use std::path::PathBuf;

const PROTO_FILES: &[&str] = &["tfplugin6.proto", "plugin.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    for file in PROTO_FILES {
        println!("cargo:rerun-if-changed={}", proto_dir.join(file).display());
    }
    let descriptors = protox::compile(PROTO_FILES, [&proto_dir])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
