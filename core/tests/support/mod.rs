//! Shared helpers of the core's moto integration tests: a private moto server, an `Engine`
//! pointed at it, a raw EC2 client to look at what really exists, and small spec builders.

#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use stack_core::aws::AwsSettings;
use stack_core::naming::STACK_TAG;
use stack_core::spec::NatMode;
use stack_core::{Engine, StackSpec};
use stack_tests::{FaultConfig, FaultProxy, Moto};

pub const REGION: &str = "us-east-1";

/// One test's world: its moto server, an engine, and an EC2 client for assertions.
pub struct World {
    /// Between the engine and moto when the test needs AWS behaviour moto lacks.
    pub proxy: Option<FaultProxy>,
    pub moto: Moto,
    pub engine: Engine,
    pub ec2: aws_sdk_ec2::Client,
}

fn set_fake_credentials() {
    // Every test sets the same values, so concurrent tests cannot disagree.
    for (key, value) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(key, value);
    }
}

pub async fn world() -> World {
    world_with(None).await
}

/// A world whose engine talks to moto through the fault proxy running `faults` (e.g. the
/// instance-refresh API moto lacks).
pub async fn world_through_proxy(faults: FaultConfig) -> World {
    world_with(Some(faults)).await
}

/// A world behind the proxy that plays only the instance-refresh API moto lacks, finishing each
/// refresh quickly: for tests whose updates change the launch template.
pub async fn world_with_quick_refreshes() -> World {
    let refreshes = r#"{"instance_refresh": {"pending_ms": 0, "duration_ms": 200}}"#;
    world_through_proxy(FaultConfig::from_json(refreshes).expect("a proxy config")).await
}

async fn world_with(faults: Option<FaultConfig>) -> World {
    set_fake_credentials();
    let moto = Moto::start_async().await.expect("moto starts");
    let proxy = faults.map(|f| FaultProxy::start(&moto.endpoint(), f).expect("proxy starts"));
    let engine_endpoint = proxy
        .as_ref()
        .map_or_else(|| moto.endpoint(), FaultProxy::endpoint);
    let settings = AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(engine_endpoint),
        default_tags: BTreeMap::from([("team".to_string(), "web".to_string())]),
        max_retries: Some(2),
        ..AwsSettings::default()
    };
    let engine = Engine::connect(settings).await.expect("engine connects");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(moto.endpoint())
        .load()
        .await;
    World {
        ec2: aws_sdk_ec2::Client::new(&config),
        proxy,
        moto,
        engine,
    }
}

/// A stack over `zones` with the given NAT mode; bastion on with one SSH source.
pub fn spec(name: &str, zones: &[&str], nat: NatMode, bastion: bool) -> StackSpec {
    let mut spec = StackSpec::with_name(name);
    spec.network.vpc_cidr = "10.20.0.0/16".into();
    spec.network.availability_zones = Some(zones.iter().map(|z| z.to_string()).collect());
    spec.network.nat_gateways = nat;
    spec.bastion.enabled = bastion;
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
    spec.bastion.key_name = None;
    spec.tags = BTreeMap::from([("env".to_string(), "test".to_string())]);
    spec
}

pub fn tag_filter(stack: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{STACK_TAG}"))
        .values(stack)
        .build()
}

pub fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

pub fn tags_of(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Counts of live tagged objects of the EC2 tiers by kind, for duplicate checks.
pub async fn inventory(ec2: &aws_sdk_ec2::Client, stack: &str) -> BTreeMap<&'static str, usize> {
    let vpcs = ec2
        .describe_vpcs()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let subnets = ec2
        .describe_subnets()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let igws = ec2
        .describe_internet_gateways()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let tables = ec2
        .describe_route_tables()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let eips = ec2
        .describe_addresses()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let nats = ec2
        .describe_nat_gateways()
        .filter(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let groups = ec2
        .describe_security_groups()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap();
    let bastion_name = format!("{stack}-bastion");
    let instances = ec2
        .describe_instances()
        .filters(tag_filter(stack))
        .filters(filter("tag:Name", &bastion_name))
        .send()
        .await
        .unwrap();
    let live_nats = nats
        .nat_gateways()
        .iter()
        .filter(|n| {
            n.state()
                .is_some_and(|s| matches!(s.as_str(), "pending" | "available"))
        })
        .count();
    let live_instances = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            i.state()
                .and_then(|s| s.name())
                .is_some_and(|n| !matches!(n.as_str(), "terminated" | "shutting-down"))
        })
        .count();
    BTreeMap::from([
        ("vpc", vpcs.vpcs().len()),
        ("subnet", subnets.subnets().len()),
        ("internet_gateway", igws.internet_gateways().len()),
        ("route_table", tables.route_tables().len()),
        ("eip", eips.addresses().len()),
        ("nat_gateway", live_nats),
        ("security_group", groups.security_groups().len()),
        ("bastion_instance", live_instances),
    ])
}
