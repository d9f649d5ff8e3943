//! Micro-benchmarks of the provider's hot paths that need no AWS, run with
//! `cargo bench -p terraform-provider-wordpress --bench micro`.
//!
//! Benchmark ids (stable: the benchmark runner reads
//! `target/criterion/<id>/new/estimates.json`):
//! - `get_provider_schema`: build the provider's schemas and the GetProviderSchema response
//!   from nothing, answer the RPC and encode the reply as protobuf (target ≤ 1 ms);
//! - `decode_stack_config`: msgpack → value of a full 3-zone stack configuration;
//! - `encode_stack_state`: value → msgpack of the planned state of that stack;
//! - `plan_resource_change`: the PlanResourceChange RPC of a create of that stack, from the
//!   msgpack request to the msgpack planned state (no AWS: the provider is not configured);
//! - `core_plan_create`: `stack_core::plan::plan_create` of the stack's spec;
//! - `critical_path`: the stack's apply graph (`stack_core::engine::apply_graph`) and its
//!   critical path under AWS's usual durations (`stack_core::graph::critical_path`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use prost::Message;
use stack_core::engine::apply_graph;
use stack_core::graph::critical_path;
use stack_core::plan::plan_create;
use stack_core::spec::{DnsSpec, NatMode, StackSpec};
use tfplugin::codec::{decode_msgpack, encode_msgpack};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider;
use tfplugin::service::{ProviderBackend, ProviderService};
use tfplugin::value::{Type, Value};
use tfprovider::aws_engine::AwsConnector;
use tokio::runtime::Runtime;
use wp_resource::stack::WordpressProvider;

const TYPE_NAME: &str = "wordpress_ha_stack";
const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// A typical configuration: 3 zones, a NAT per zone, bastion, Multi-AZ database, DNS.
const CONFIG_JSON: &str = r#"{
  "name": "blog",
  "network": {
    "vpc_cidr": "10.20.0.0/16",
    "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
    "nat_gateways": "one_per_az"
  },
  "bastion": { "enabled": true, "allowed_ssh_cidrs": ["203.0.113.0/24"] },
  "wordpress": { "image": "wordpress:6-php8.2-apache", "instance_type": "t3.small" },
  "autoscaling": { "min_size": 2, "max_size": 6 },
  "database": { "multi_az": true, "instance_class": "db.t3.micro" },
  "dns": { "zone_id": "Z0123456789ABC", "record_name": "blog.example.com" },
  "tags": { "env": "prod", "team": "web" }
}"#;

fn resource_type(backend: &WordpressProvider) -> Type {
    backend.resource_schemas()[TYPE_NAME].value_type()
}

fn config_value(ty: &Type) -> Value {
    tfplugin::codec::decode_json(CONFIG_JSON.as_bytes(), ty).expect("the config decodes")
}

fn dynamic(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: bytes,
        json: Vec::new(),
    })
}

fn plan_request(config: &[u8], null: &[u8]) -> pb::plan_resource_change::Request {
    pb::plan_resource_change::Request {
        type_name: TYPE_NAME.to_string(),
        prior_state: dynamic(null.to_vec()),
        proposed_new_state: dynamic(config.to_vec()),
        config: dynamic(config.to_vec()),
        ..Default::default()
    }
}

fn three_zone_spec() -> StackSpec {
    let mut spec = StackSpec::with_name("blog");
    spec.network.availability_zones = Some(ZONES.iter().map(|z| z.to_string()).collect());
    spec.network.nat_gateways = NatMode::OnePerAz;
    spec.bastion.enabled = true;
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
    spec.database.multi_az = true;
    spec.dns = Some(DnsSpec {
        zone_id: "Z0123456789ABC".into(),
        record_name: "blog.example.com".into(),
        allow_overwrite: false,
    });
    spec
}

/// AWS's usual time for what a step waits out, in seconds, as the step declares it; a second
/// for plain API steps.
fn usual_seconds(usual_wait: Duration) -> f64 {
    if usual_wait.is_zero() {
        1.0
    } else {
        usual_wait.as_secs_f64()
    }
}

fn provider_benches(c: &mut Criterion) {
    let runtime = Runtime::new().expect("a runtime");
    let backend = Arc::new(WordpressProvider::new(Arc::new(AwsConnector)));
    let ty = resource_type(&backend);
    let config = config_value(&ty);
    let config_bytes = encode_msgpack(&config, &ty).expect("the config encodes");
    let null = encode_msgpack(&Value::Null, &ty).expect("null encodes");
    let service = ProviderService::new(backend.clone());

    c.bench_function("get_provider_schema", |b| {
        b.iter(|| {
            let service =
                ProviderService::new(Arc::new(WordpressProvider::new(Arc::new(AwsConnector))));
            let request = tonic::Request::new(pb::get_provider_schema::Request::default());
            let reply = runtime
                .block_on(service.get_provider_schema(request))
                .expect("a schema");
            black_box(reply.into_inner().encode_to_vec())
        })
    });

    c.bench_function("decode_stack_config", |b| {
        b.iter(|| black_box(decode_msgpack(black_box(&config_bytes), &ty).expect("decodes")))
    });

    let planned = runtime
        .block_on(
            service.plan_resource_change(tonic::Request::new(plan_request(&config_bytes, &null))),
        )
        .expect("a plan")
        .into_inner();
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    let planned_state = decode_msgpack(
        &planned.planned_state.expect("a planned state").msgpack,
        &ty,
    )
    .expect("the plan decodes");
    c.bench_function("encode_stack_state", |b| {
        b.iter(|| black_box(encode_msgpack(black_box(&planned_state), &ty).expect("encodes")))
    });

    c.bench_function("plan_resource_change", |b| {
        b.iter(|| {
            let request = tonic::Request::new(plan_request(&config_bytes, &null));
            let reply = runtime
                .block_on(service.plan_resource_change(request))
                .expect("a plan");
            black_box(reply.into_inner().encode_to_vec())
        })
    });
}

fn core_benches(c: &mut Criterion) {
    let spec = three_zone_spec();
    let zones: Vec<String> = ZONES.iter().map(|z| z.to_string()).collect();
    c.bench_function("core_plan_create", |b| {
        b.iter(|| black_box(plan_create(black_box(&spec))))
    });
    c.bench_function("critical_path", |b| {
        b.iter(|| {
            let steps = apply_graph(black_box(&spec), &zones);
            let edges: Vec<(String, Vec<String>)> = steps
                .iter()
                .map(|s| (s.id.clone(), s.deps.clone()))
                .collect();
            let weight = |id: &str| {
                let usual = steps
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.usual_wait)
                    .unwrap_or_default();
                usual_seconds(usual)
            };
            black_box(critical_path(&edges, weight).expect("a DAG"))
        })
    });
}

criterion_group!(benches, provider_benches, core_benches);
criterion_main!(benches);
