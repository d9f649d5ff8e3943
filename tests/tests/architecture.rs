//! The layering ARCHITECTURE.md promises, checked: which crate may depend on which (through
//! `cargo metadata`, transitively, normal and build dependencies), and no import circle between
//! sibling modules of any production crate.

mod architecture_support;

use architecture_support::{module_cycles, workspace_dependencies};

/// What each layer must never reach, transitively. A name ending in `*` is a prefix.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The generic plugin-protocol crate: reusable by any Rust provider.
    (
        "terraform-plugin-protocol",
        &[
            "terraform-provider-wordpress",
            "wordpress-resource",
            "wordpress-core",
            "wordpress-model",
            "aws-sdk-*",
            "aws-config",
        ],
    ),
    // The pure model: no AWS SDK, no gRPC.
    (
        "wordpress-model",
        &[
            "aws-sdk-*",
            "aws-config",
            "aws-types",
            "aws-smithy-*",
            "tonic*",
            "prost*",
            "rmpv",
            "terraform-plugin-protocol",
            "wordpress-core",
        ],
    ),
    // The resource's Terraform face: the protocol and the model, never the AWS side.
    (
        "wordpress-resource",
        &["aws-sdk-*", "aws-config", "wordpress-core"],
    ),
    // The AWS side knows nothing of Terraform's wire format.
    (
        "wordpress-core",
        &[
            "terraform-plugin-protocol",
            "wordpress-resource",
            "terraform-provider-wordpress",
            "tonic*",
            "prost*",
            "rmpv",
        ],
    ),
];

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

#[test]
fn crates_depend_only_downwards() {
    let graph = workspace_dependencies();
    let mut broken = Vec::new();
    for (krate, forbidden) in FORBIDDEN {
        let reached = graph
            .get(*krate)
            .unwrap_or_else(|| panic!("crate {krate} is not in the workspace"));
        for name in reached {
            if forbidden.iter().any(|pattern| matches(pattern, name)) {
                broken.push(format!("{krate} -> {name}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "forbidden dependencies (see ARCHITECTURE.md, Invariants):\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn the_protocol_layer_names_no_product() {
    let graph = workspace_dependencies();
    // The product is allowed to reach everything below it; this guards the test itself.
    let product = graph
        .get("terraform-provider-wordpress")
        .expect("the provider binary crate");
    for layer in [
        "terraform-plugin-protocol",
        "wordpress-resource",
        "wordpress-core",
        "wordpress-model",
    ] {
        assert!(product.contains(layer), "the binary should reach {layer}");
    }
}

#[test]
fn no_import_circle_between_sibling_modules() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for source in [
        "core/src",
        "core/model/src",
        "provider/src",
        "provider/protocol/src",
        "provider/resource/src",
        "tests/proxy/src",
    ] {
        let dir = root.join(source);
        assert!(dir.is_dir(), "{} is missing", dir.display());
        for cycle in module_cycles(&dir) {
            found.push(format!("{source}: {}", cycle.join(" -> ")));
        }
    }
    assert!(
        found.is_empty(),
        "import circles:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_circle_check_sees_a_circle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("tiers")).expect("dirs");
    let files = [
        ("lib.rs", "pub mod tiers;\n"),
        (
            "tiers/mod.rs",
            "pub mod a;\npub mod b;\npub mod c;\nuse a::Thing;\n",
        ),
        (
            "tiers/a.rs",
            "use super::{b::helper, Shared};\npub struct Thing;\n",
        ),
        (
            "tiers/b.rs",
            "pub fn helper() { crate::tiers::a::Thing; }\n",
        ),
        // c names a but nothing names c: no circle through it; a comment is no import
        (
            "tiers/c.rs",
            "// crate::tiers::b\nuse super::a::Thing as T;\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).expect("write");
    }
    assert_eq!(
        module_cycles(src),
        vec![vec!["tiers::a".to_string(), "tiers::b".to_string()]]
    );
}
