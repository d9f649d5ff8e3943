//! Shared by `crash_resume.rs` and `stop_and_timeouts.rs`: a stack with every kind of object,
//! run through the fault proxy so a test can hold one object pending (and so the apply at a
//! chosen point), watch moto directly for that point, and check that whatever interrupted the
//! run, the next apply converges to exactly one of each object, plans clean and destroys clean.
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::{assert_nothing_tagged, assert_state_owns_every_tagged_object, Network};
use serde_json::Value;
use stack_tests::harness::terraform::{RunningCommand, TerraformDir, TfOutput};
use stack_tests::inspect::inventory::ExpectedStack;
use stack_tests::inspect::{AwsInspector, Inventory};
use stack_tests::{FaultConfig, FaultProxy, Moto};

pub const ADDRESS: &str = "wordpress_ha_stack.site";
pub const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];
pub const VPC_CIDR: &str = "10.50.0.0/16";
/// Longer than any case needs: a held object stays pending until the test releases it.
pub const HOLD_MS: u64 = 300_000;
/// How long a point may take to be reached, and Terraform to exit after a kill.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(120);
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// A stack with every kind of object (two NAT gateways with their EIPs, bastion, DNS record)
/// at lean sizes (single-AZ database, one app instance); `extra` goes inside the resource
/// block (e.g. a `timeouts` block).
pub fn stack_hcl(name: &str, zone_id: &str, extra: &str) -> String {
    crate::common::lean_stack_hcl(
        name,
        VPC_CIDR,
        "one_per_az",
        &format!("{name}.example.com"),
        zone_id,
        extra,
    )
}

/// What that configuration must own in AWS, exactly, per kind.
pub fn expected_inventory() -> BTreeMap<&'static str, usize> {
    ExpectedStack {
        zones: ZONES.len(),
        nat_per_zone: true,
        app_instances: 1,
        dns: true,
        waf: true,
        alarms: 8,
        logs: true,
    }
    .counts()
}

/// One case's work dir, proxy, inspector (on moto directly, so polling is neither slowed nor
/// faulted) and moto. Field order: the work dir reports moto's log before moto goes.
pub struct Case {
    pub stack: &'static str,
    pub zone: String,
    pub tf: TerraformDir,
    pub proxy: FaultProxy,
    pub aws: AwsInspector,
    pub moto: Moto,
}

/// Instance refreshes (which moto lacks) that succeed at once: a resumed apply may roll the group.
const QUICK_REFRESHES: &str = r#"{"pending_ms": 0, "duration_ms": 200}"#;

/// No fault, and the AWS APIs moto lacks played by the proxy.
fn aws_as_usual() -> FaultConfig {
    FaultConfig::from_json(&format!(r#"{{"instance_refresh": {QUICK_REFRESHES}}}"#))
        .expect("a valid proxy config")
}

impl Case {
    /// A fresh moto, a hosted zone, a proxy with no fault, and `main.tf` for `stack`.
    pub async fn start(stack: &'static str, extra_hcl: &str) -> Case {
        let moto = Moto::start_async().await.expect("moto starts");
        let aws = AwsInspector::for_moto(&moto).await;
        let zone = aws
            .create_hosted_zone("example.com")
            .await
            .expect("hosted zone");
        let proxy = FaultProxy::start(&moto.endpoint(), aws_as_usual()).expect("proxy");
        let tf = TerraformDir::with_endpoint(&format!("crash-{stack}"), &moto, &proxy.endpoint())
            .expect("terraform dir");
        let case = Case {
            stack,
            zone,
            tf,
            proxy,
            aws,
            moto,
        };
        case.write(extra_hcl);
        case
    }

    /// Rewrite `main.tf` with `extra_hcl` inside the resource block.
    pub fn write(&self, extra_hcl: &str) {
        self.tf
            .write_stack(&stack_hcl(self.stack, &self.zone, extra_hcl))
            .expect("write main.tf");
    }

    /// Hold objects pending as `pending` (the proxy config's `pending` section, JSON) says.
    pub fn hold(&self, pending: &str) {
        let config = FaultConfig::from_json(&format!(
            r#"{{"pending": {pending}, "instance_refresh": {QUICK_REFRESHES}}}"#
        ))
        .expect("pending config");
        self.proxy.set_config(config).expect("set proxy config");
    }

    /// Let every held object finish at once.
    pub fn release(&self) {
        self.proxy
            .set_config(aws_as_usual())
            .expect("clear proxy config");
    }

    /// Poll moto until `point` is reached (true) or `REACH_TIMEOUT` passes (false).
    pub async fn wait_until(&self, point: Point) -> bool {
        let started = Instant::now();
        while started.elapsed() < REACH_TIMEOUT {
            if point.reached(&self.aws, self.stack).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// `terraform apply` from wherever the last run stopped, then check: exactly the
    /// expected objects, all owned by the state, the network as designed, an empty plan.
    /// Returns the state's values.
    pub async fn assert_apply_converges(&self) -> Value {
        self.tf.apply().assert_success();
        let state = self.tf.resource_values(ADDRESS);
        assert_eq!(
            self.inventory_counts().await,
            expected_inventory(),
            "[{}] exactly one of each object after the resumed apply",
            self.stack
        );
        assert_state_owns_every_tagged_object(&self.aws, self.stack, &state).await;
        Network::observe(&self.aws, self.stack)
            .await
            .assert_all(&state, VPC_CIDR, &ZONES, true);
        self.tf.plan().assert_code(0);
        state
    }

    /// `terraform destroy` leaves nothing tagged and no DNS record.
    pub async fn assert_destroy_leaves_nothing(&self) {
        self.tf.destroy().assert_success();
        assert_nothing_tagged(&self.aws, self.stack).await;
        let left = self.inventory_counts().await;
        assert_eq!(left.get("dns-record"), None, "the DNS record is gone too");
    }

    /// Everything the stack owns in AWS, counted per kind.
    pub async fn inventory_counts(&self) -> BTreeMap<&'static str, usize> {
        Inventory::take(&self.aws, self.stack, Some(&self.zone))
            .await
            .expect("inventory")
            .counts()
    }

    pub async fn assert_resumes_and_destroys(&self) {
        self.assert_apply_converges().await;
        self.assert_destroy_leaves_nothing().await;
    }

    /// The state's `resources` map (empty when the resource is not in the state).
    pub fn state_resources(&self) -> BTreeMap<String, String> {
        let state = self.tf.show_state();
        stack_tests::harness::terraform::find_resource(&state, ADDRESS)
            .and_then(|values| values["resources"].as_object().cloned())
            .map(|map| {
                map.into_iter()
                    .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A moment of an apply (or destroy), as moto shows it.
#[derive(Debug, Clone, Copy)]
pub enum Point {
    VpcExists,
    NatGatewaysExist,
    DatabaseExists,
    LoadBalancerExists,
    AutoScalingGroupExists,
    DatabaseDeleted,
}

impl Point {
    pub async fn reached(self, aws: &AwsInspector, stack: &str) -> bool {
        let kinds = || async {
            let objects = aws.tagged_objects(stack).await.expect("tagged objects");
            objects.into_iter().map(|o| o.kind).collect::<Vec<_>>()
        };
        match self {
            Point::VpcExists => !aws.vpcs(stack).await.expect("vpcs").is_empty(),
            Point::NatGatewaysExist => {
                aws.nat_gateways(stack).await.expect("nat gateways").len() == ZONES.len()
            }
            Point::DatabaseExists => kinds().await.contains(&"db-instance"),
            Point::LoadBalancerExists => kinds().await.contains(&"load-balancer"),
            Point::AutoScalingGroupExists => kinds().await.contains(&"auto-scaling-group"),
            Point::DatabaseDeleted => !kinds().await.contains(&"db-instance"),
        }
    }
}

/// Wait for `point` while `run` is going, then SIGKILL the provider alone; Terraform's output.
pub async fn kill_provider_at(case: &Case, mut run: RunningCommand, point: Point) -> TfOutput {
    let reached = case.wait_until(point).await;
    let still_running = !run.finished();
    let killed = run.kill_provider();
    let out = run.wait(EXIT_TIMEOUT);
    assert!(reached, "[{}] {point:?} was reached\n{out}", case.stack);
    assert!(
        still_running && killed,
        "[{}] the provider was still at work at {point:?}\n{out}",
        case.stack
    );
    out
}

/// The resource's entry in `terraform show -json` is marked tainted.
pub fn is_tainted(tf: &TerraformDir) -> bool {
    let state = tf.show_state();
    state
        .pointer("/values/root_module/resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r["address"] == ADDRESS)
        .any(|r| r["tainted"] == Value::Bool(true))
}

/// State entries of objects AWS lists by tag; the others (associations, mount targets,
/// listeners, policies, the DNS record) are checked through their owners elsewhere.
const TAGGED_KINDS: [&str; 14] = [
    "vpc",
    "internet_gateway",
    "public_route_table",
    "private_route_table",
    "public_subnet",
    "private_subnet",
    "nat_eip",
    "nat_gateway",
    "security_group",
    "bastion_instance",
    "efs_file_system",
    "db_instance",
    "load_balancer",
    "launch_template",
];

/// Panics unless every object the state lists (of a kind AWS lists by tag) still exists, but
/// `held`, whose deletion AWS accepted and had not finished.
pub async fn assert_state_lists_only_existing_objects(
    case: &Case,
    resources: &BTreeMap<String, String>,
    held: &str,
) {
    let tagged = case.aws.tagged_objects(case.stack).await.expect("tagged");
    let gone: Vec<(&String, &String)> = resources
        .iter()
        .filter(|(name, _)| name.as_str() != held)
        .filter(|(name, _)| {
            let kind = name.split(':').next().unwrap_or_default();
            TAGGED_KINDS.contains(&kind)
        })
        .filter(|(_, id)| !tagged.iter().any(|o| &o.id == *id))
        .collect();
    assert!(
        gone.is_empty(),
        "the state lists objects that no longer exist: {gone:#?}\nexisting: {tagged:#?}"
    );
}
