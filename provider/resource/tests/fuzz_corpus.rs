//! The kept fuzz corpus (`fuzz/corpus/<target>/`), replayed on stable Rust through the entry
//! points the fuzz targets reach (`wp_resource::fuzzing`, wrapping `tfplugin::fuzzing` for the codec
//! targets with this provider's types), so `cargo test` keeps every
//! input that once crashed fixed and every seed valid without cargo-fuzz or nightly flags.
//!
//! The seeds are generated from real configurations (the examples' shapes, an HTTPS + DNS
//! stack, broken variants of each, a planned and a stored state, and protocol requests
//! carrying them); a test fails when they are stale. Rewrite them after a schema change with
//! `FUZZ_WRITE_SEEDS=1 cargo test -p wordpress-resource --test fuzz_corpus`; inputs the
//! fuzzer found are added by hand (named `crash-…`) and never regenerated.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use prost::Message;
use tfplugin::codec;
use tfplugin::fuzzing::{selector, typed_input, Violation};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::value::{Type, Value};
use wp_resource::fuzzing::{self, request};
use wp_resource::stack::planning::{plan_computed, plan_configurable, PlanContext};
use wp_resource::stack::schema::{resource, Nesting, TYPE_NAME};

type Entry = fn(&[u8]) -> Result<(), Violation>;

const TARGETS: [(&str, Entry); 4] = [
    ("msgpack_value", fuzzing::msgpack_round_trip),
    ("json_value", fuzzing::json_decode),
    ("stack_config", fuzzing::validate_config),
    ("provider_request", fuzzing::provider_request),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_kept_input_passes_its_target() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, entry) in TARGETS {
        let files = corpus_files(target);
        assert!(!files.is_empty(), "the {target} corpus has inputs");
        for file in files {
            let input = std::fs::read(&file).expect("corpus file is readable");
            replayed += 1;
            match catch_unwind(AssertUnwindSafe(|| entry(&input))) {
                Ok(Ok(())) => {}
                Ok(Err(violation)) => failures.push(format!("{}: {violation}", file.display())),
                Err(_) => failures.push(format!("{}: panicked", file.display())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} corpus inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The seeds reach past the decoders: some decode, some carry a valid stack, some fail
/// validation (else the fuzzer would start from nothing but rejected bytes).
#[test]
fn the_corpus_reaches_decoding_and_validation() {
    let decoded = |target: &str, decode: fn(&[u8], &Type) -> Result<Value, codec::CodecError>| {
        corpus_files(target)
            .iter()
            .filter_map(|file| std::fs::read(file).ok())
            .filter(|input| {
                tfplugin::fuzzing::split_typed_input(input, Some(fuzzing::named_types()))
                    .is_some_and(|(ty, payload)| decode(payload, &ty).is_ok())
            })
            .count()
    };
    assert!(decoded("msgpack_value", codec::decode_msgpack) >= 5);
    assert!(decoded("json_value", codec::decode_json) >= 3);

    let configs: Vec<Value> = corpus_files("stack_config")
        .iter()
        .filter_map(|file| std::fs::read(file).ok())
        .filter_map(|input| codec::decode_msgpack(&input, fuzzing::resource_type()).ok())
        .collect();
    let zones: Vec<String> = ["us-east-1a", "us-east-1b", "us-east-1c"]
        .map(String::from)
        .to_vec();
    let (valid, invalid): (Vec<&Value>, Vec<&Value>) = configs.iter().partition(|config| {
        let (spec, _, errors) = wp_resource::stack::convert::spec_from_value(config);
        errors.is_empty() && stack_model::validate::validate(&spec, Some(&zones)).is_empty()
    });
    assert!(valid.len() >= 3, "valid stacks among the seeds");
    assert!(invalid.len() >= 5, "invalid stacks among the seeds");
}

/// The kept seeds are the ones the generator makes today (like the docs, they must not go
/// stale after a schema change). `FUZZ_WRITE_SEEDS=1` rewrites them instead of checking.
#[test]
fn generated_seeds_are_current() {
    let rewrite = std::env::var_os("FUZZ_WRITE_SEEDS").is_some();
    let mut stale = Vec::new();
    for (target, seeds) in generated_seeds() {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("corpus dir");
        for (name, bytes) in seeds {
            let path = dir.join(format!("seed-{name}"));
            if rewrite {
                std::fs::write(&path, bytes).expect("write seed");
            } else if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "fuzz seeds are stale; rewrite them with FUZZ_WRITE_SEEDS=1 cargo test -p \
         wordpress-resource --test fuzz_corpus: {stale:#?}"
    );
}

/// Target → (name, input) of every generated seed.
fn generated_seeds() -> BTreeMap<&'static str, Vec<(String, Vec<u8>)>> {
    let configs = seed_configs();
    let planned = planned_state(&configs[0].1);
    let stored = stored_state_json();
    BTreeMap::from([
        ("msgpack_value", msgpack_seeds(&configs, &planned)),
        ("json_value", json_seeds(&stored)),
        ("stack_config", stack_config_seeds(&configs)),
        (
            "provider_request",
            request_seeds(&configs, &planned, &stored),
        ),
    ])
}

/// A configuration as Terraform sends it: every attribute present (null when unset), GROUP
/// blocks as objects, SINGLE blocks null.
fn empty_config(name: &str) -> Value {
    let def = resource();
    let mut top: BTreeMap<String, Value> = def
        .attributes
        .iter()
        .map(|a| (a.name.to_string(), Value::Null))
        .collect();
    for block in &def.blocks {
        let value = match block.nesting {
            Nesting::Group => {
                Value::object_of(block.attributes.iter().map(|a| (a.name, Value::Null)))
            }
            Nesting::Single => Value::Null,
        };
        top.insert(block.name.to_string(), value);
    }
    top.insert("name".into(), Value::from(name));
    Value::object(top)
}

fn with(mut config: Value, block: &str, attribute: &str, value: Value) -> Value {
    if let Some(slot) = config.attr_mut(block) {
        slot.set_attr(attribute, value);
    }
    config
}

/// The examples' shapes and their broken variants, named.
fn seed_configs() -> Vec<(String, Value)> {
    let minimal = empty_config("blog");
    let default_example = [
        ("network", "vpc_cidr", Value::from("10.20.0.0/16")),
        (
            "network",
            "availability_zones",
            Value::list(["us-east-1a", "us-east-1b"]),
        ),
        ("network", "nat_gateways", Value::from("one_per_az")),
        (
            "bastion",
            "allowed_ssh_cidrs",
            Value::list(["203.0.113.0/24"]),
        ),
        ("wordpress", "image", Value::from("wordpress:6-apache")),
        ("wordpress", "instance_type", Value::from("t3.small")),
        ("autoscaling", "min_size", Value::from(2)),
        ("autoscaling", "max_size", Value::from(4)),
        ("autoscaling", "target_cpu_utilization", Value::from(60)),
        ("database", "instance_class", Value::from("db.t3.micro")),
        ("database", "multi_az", Value::from(true)),
        ("database", "skip_final_snapshot", Value::from(true)),
    ]
    .into_iter()
    .fold(empty_config("demo"), |c, (b, a, v)| with(c, b, a, v))
    .with_attr("tags", Value::map([("env", "demo")]));
    let https_dns = [
        (
            "load_balancer",
            "certificate_arn",
            Value::from("arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c"),
        ),
        ("load_balancer", "idle_timeout", Value::from(120)),
        ("database", "password", Value::from("Seed-Pass-1234")),
        ("storage", "throughput_mode", Value::from("bursting")),
        ("network", "nat_gateways", Value::from("single")),
    ]
    .into_iter()
    .fold(default_example.clone(), |c, (b, a, v)| with(c, b, a, v))
    .with_attr(
        "dns",
        Value::object_of([
            ("zone_id", Value::from("Z0123456789ABC")),
            ("record_name", Value::from("blog.example.com")),
        ]),
    )
    .with_attr(
        "timeouts",
        Value::object_of([
            ("create", Value::from("45m")),
            ("update", Value::Unknown),
            ("delete", Value::Null),
        ]),
    );
    let broken = |name: &str, block: &str, attribute: &str, value: Value| {
        (
            format!("invalid-{name}"),
            with(default_example.clone(), block, attribute, value),
        )
    };
    vec![
        ("default-example".to_string(), default_example.clone()),
        ("minimal".to_string(), minimal),
        ("https-dns".to_string(), https_dns),
        (
            "unknown-zones".to_string(),
            with(
                default_example.clone(),
                "network",
                "availability_zones",
                Value::Unknown,
            ),
        ),
        broken("cidr", "network", "vpc_cidr", Value::from("10.0.0.0/33")),
        broken(
            "one-zone",
            "network",
            "availability_zones",
            Value::list(["us-east-1a"]),
        ),
        broken("sizes", "autoscaling", "max_size", Value::from(1)),
        broken(
            "world-ssh",
            "bastion",
            "allowed_ssh_cidrs",
            Value::list(["0.0.0.0/0"]),
        ),
        broken(
            "password",
            "database",
            "password",
            Value::from("bad/pass@word"),
        ),
        broken(
            "class",
            "database",
            "instance_class",
            Value::from("m5.large"),
        ),
        broken("big-number", "autoscaling", "min_size", Value::from(1e300)),
        (
            "invalid-name-and-tags".to_string(),
            default_example
                .clone()
                .with_attr("name", Value::from("-Bad_Name"))
                .with_attr("tags", Value::map([("wordpress-ha:stack", "x")])),
        ),
    ]
}

/// What planning makes of a configuration: defaults filled, apply-time values unknown.
fn planned_state(config: &Value) -> Value {
    let def = resource();
    let ctx = PlanContext {
        prior: &Value::Null,
        default_zones: Some(vec!["us-east-1a".into(), "us-east-1b".into()]),
    };
    let mut planned = plan_configurable(&def, config, &ctx);
    let (spec, _, _) = wp_resource::stack::convert::spec_from_value(&planned);
    let plan = stack_model::plan::plan_create(&spec);
    let name = planned.attr("name").clone();
    plan_computed(&def, &mut planned, &Value::Null, &plan, &name);
    planned
}

/// A state as Terraform stores it (JSON), from the `terraform show -json` fixture.
fn stored_state_json() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/show-state-default.json");
    let show: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture JSON");
    let values = show
        .pointer("/values/root_module/resources/0/values")
        .cloned()
        .expect("the fixture holds one resource");
    serde_json::to_vec(&values).expect("JSON")
}

fn msgpack(value: &Value, ty: &Type) -> Vec<u8> {
    codec::encode_msgpack(value, ty).expect("seed values fit their type")
}

fn msgpack_seeds(configs: &[(String, Value)], planned: &Value) -> Vec<(String, Vec<u8>)> {
    let resource_type = fuzzing::resource_type();
    let mut seeds: Vec<(String, Vec<u8>)> = configs
        .iter()
        .take(3)
        .map(|(name, config)| {
            let input = typed_input(selector::RESOURCE, &msgpack(config, resource_type));
            (format!("config-{name}"), input)
        })
        .collect();
    seeds.push((
        "planned-state".into(),
        typed_input(selector::RESOURCE, &msgpack(planned, resource_type)),
    ));
    let provider = Value::object_of([
        ("region", Value::from("us-east-1")),
        ("endpoint_url", Value::from("http://127.0.0.1:5000")),
        ("default_tags", Value::map([("team", "web")])),
        ("max_retries", Value::from(5)),
    ]);
    seeds.push((
        "provider-config".into(),
        typed_input(
            selector::PROVIDER,
            &msgpack(&provider, fuzzing::provider_type()),
        ),
    ));
    // list(object({a0 = number, a1 = map(bool)})), then a value with a big number and an unknown.
    let compact_type = [4u8, 7, 2, 0, 1, 1, 6, 2];
    let ty = tfplugin::fuzzing::type_from_bytes(&mut compact_type.as_slice(), 0);
    let value = Value::List(vec![
        Value::object_of([
            (
                "a0",
                Value::Number(tfplugin::value::Number::Big(
                    "123456789012345678901234567890".into(),
                )),
            ),
            ("a1", Value::map([("x", true)])),
        ]),
        Value::Unknown,
    ]);
    let mut compact = vec![selector::COMPACT];
    compact.extend_from_slice(&compact_type);
    compact.extend(msgpack(&value, &ty));
    seeds.push(("compact-list-of-objects".into(), compact));
    // A dynamic value: [JSON type, value].
    let dynamic = Value::Tuple(vec![Value::from("x"), Value::from(3.5)]);
    let mut input = vec![selector::COMPACT, 3];
    input.extend(msgpack(&dynamic, &Type::Dynamic));
    seeds.push(("compact-dynamic-tuple".into(), input));
    let json_type = br#"["set",["tuple",["string","bool"]]]"#;
    let set = Value::Set(vec![Value::Tuple(vec![
        Value::from("a"),
        Value::from(false),
    ])]);
    let mut input = vec![selector::JSON_TYPE, json_type.len() as u8];
    input.extend_from_slice(json_type);
    input.extend(msgpack(
        &set,
        &Type::from_json_bytes(json_type).expect("valid type"),
    ));
    seeds.push(("json-type-set-of-tuples".into(), input));
    // The default config cut short: a malformed message.
    let mut truncated = typed_input(selector::RESOURCE, &msgpack(&configs[0].1, resource_type));
    truncated.truncate(truncated.len() / 2);
    seeds.push(("truncated-config".into(), truncated));
    seeds
}

fn json_seeds(stored: &[u8]) -> Vec<(String, Vec<u8>)> {
    let typed_json = |json_type: &[u8], payload: &[u8]| {
        let mut input = vec![selector::JSON_TYPE, json_type.len() as u8];
        input.extend_from_slice(json_type);
        input.extend_from_slice(payload);
        input
    };
    vec![
        (
            "stored-state".into(),
            typed_input(selector::RESOURCE, stored),
        ),
        (
            "provider-config".into(),
            typed_input(
                selector::PROVIDER,
                br#"{"region":"us-east-1","default_tags":{"team":"web"},"max_retries":3}"#,
            ),
        ),
        (
            "dynamic".into(),
            typed_json(
                br#""dynamic""#,
                br#"{"value":[1,"2",3.25],"type":["tuple",["number","string","number"]]}"#,
            ),
        ),
        (
            "map-of-strings".into(),
            typed_json(br#"["map","string"]"#, br#"{"a":"b","c":true,"d":12}"#),
        ),
        (
            "list-of-big-numbers".into(),
            typed_json(
                br#"["list","number"]"#,
                br#"[1, 18446744073709551616, "2.5"]"#,
            ),
        ),
    ]
}

fn stack_config_seeds(configs: &[(String, Value)]) -> Vec<(String, Vec<u8>)> {
    configs
        .iter()
        .map(|(name, config)| (name.clone(), msgpack(config, fuzzing::resource_type())))
        .collect()
}

fn dynamic(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: bytes,
        json: Vec::new(),
    })
}

fn request_seeds(
    configs: &[(String, Value)],
    planned: &Value,
    stored: &[u8],
) -> Vec<(String, Vec<u8>)> {
    let ty = fuzzing::resource_type();
    let config = msgpack(&configs[0].1, ty);
    let planned = msgpack(planned, ty);
    let state_value = codec::decode_json(stored, ty).expect("the fixture decodes");
    let state = msgpack(&state_value, ty);
    let seed = |name: &str, kind: u8, body: Vec<u8>| (name.to_string(), typed_input(kind, &body));
    vec![
        seed(
            "validate-resource",
            request::VALIDATE_RESOURCE_CONFIG,
            pb::validate_resource_config::Request {
                type_name: TYPE_NAME.into(),
                config: dynamic(config.clone()),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        seed(
            "plan-create",
            request::PLAN_RESOURCE_CHANGE,
            pb::plan_resource_change::Request {
                type_name: TYPE_NAME.into(),
                prior_state: None,
                proposed_new_state: dynamic(config.clone()),
                config: dynamic(config.clone()),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        seed(
            "plan-update",
            request::PLAN_RESOURCE_CHANGE,
            pb::plan_resource_change::Request {
                type_name: TYPE_NAME.into(),
                prior_state: dynamic(state.clone()),
                proposed_new_state: dynamic(state.clone()),
                config: dynamic(config.clone()),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        seed(
            "plan-destroy",
            request::PLAN_RESOURCE_CHANGE,
            pb::plan_resource_change::Request {
                type_name: TYPE_NAME.into(),
                prior_state: dynamic(state.clone()),
                proposed_new_state: dynamic(vec![0xc0]),
                config: dynamic(vec![0xc0]),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        seed(
            "validate-provider",
            request::VALIDATE_PROVIDER_CONFIG,
            pb::validate_provider_config::Request {
                config: dynamic(vec![0x81, 0xa6, b'r', b'e', b'g', b'i', b'o', b'n', 0xc0]),
            }
            .encode_to_vec(),
        ),
        seed(
            "upgrade-state",
            request::UPGRADE_RESOURCE_STATE,
            pb::upgrade_resource_state::Request {
                type_name: TYPE_NAME.into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: stored.to_vec(),
                    ..Default::default()
                }),
            }
            .encode_to_vec(),
        ),
        seed(
            "read",
            request::READ_RESOURCE,
            pb::read_resource::Request {
                type_name: TYPE_NAME.into(),
                current_state: dynamic(state.clone()),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        seed(
            "apply-create",
            request::APPLY_RESOURCE_CHANGE,
            pb::apply_resource_change::Request {
                type_name: TYPE_NAME.into(),
                planned_state: dynamic(planned),
                config: dynamic(config),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        seed(
            "import",
            request::IMPORT_RESOURCE_STATE,
            pb::import_resource_state::Request {
                type_name: TYPE_NAME.into(),
                id: "blog".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
    ]
}
