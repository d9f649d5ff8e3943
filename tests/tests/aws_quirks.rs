//! What AWS does and moto does not, injected by the fault
//! proxy between the provider and moto, through the real Terraform CLI:
//! - lingering ENIs: deletes of security groups, subnets, the internet gateway and the VPC are
//!   refused with DependencyViolation for a while; destroy retries until they go through, and
//!   when its `timeouts.delete` runs out first it fails naming the object and the code, keeping
//!   in state exactly what still exists, so a later destroy finishes the job;
//! - eventual consistency (NotFound right after a create, reads and writes) and objects held
//!   in their pending states: apply, re-plan and destroy still converge.

mod common;
mod fault_support;

use aws_fault_proxy::config::{ConsistencyConfig, DependencyConfig, PendingConfig};
use aws_fault_proxy::faults::FaultKind;
use fault_support::{
    assert_one_lean_stack, assert_state_matches_aws, lean_stack_hcl, state_resources, Inventory,
    ZONE_NAME,
};
use serde_json::Value;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "quirky";
/// The provider's factor on every wait (`wait::TIME_SCALE_ENV`): 1 AWS minute = 0.12 s.
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.002";
/// Operations the proxy refuses with DependencyViolation (tests/proxy/README.md).
const DEPENDENT_DELETES: &[&str] = &[
    "DeleteSecurityGroup",
    "DeleteSubnet",
    "DetachInternetGateway",
    "DeleteInternetGateway",
    "DeleteVpc",
];

/// One test's moto, hosted zone, proxy and Terraform dir through the proxy.
struct World {
    // Field order matters on drop: the work dir reports moto's log path before moto goes.
    tf: TerraformDir,
    proxy: FaultProxy,
    aws: AwsInspector,
    zone_id: String,
    _moto: Moto,
}

impl World {
    async fn start(test: &str, faults: FaultConfig, timeouts: &str) -> World {
        let moto = Moto::start_async().await.expect("moto starts");
        let aws = AwsInspector::for_moto(&moto).await;
        let zone_id = aws
            .create_hosted_zone(ZONE_NAME)
            .await
            .expect("hosted zone");
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let tf = TerraformDir::with_endpoint(test, &moto, &proxy.endpoint()).expect("work dir");
        tf.write_stack(&lean_stack_hcl(STACK, &zone_id, timeouts))
            .expect("write main.tf");
        World {
            tf,
            proxy,
            aws,
            zone_id,
            _moto: moto,
        }
    }

    async fn inventory(&self) -> Inventory {
        Inventory::take(&self.aws, STACK, Some(&self.zone_id))
            .await
            .expect("inventory")
    }

    /// The stack's instance in `terraform.tfstate`, if any.
    fn state_instance(&self) -> Option<Value> {
        self.tf.state_file_instance("wordpress_ha_stack", "site")
    }

    /// Destroy, and check that nothing of the stack is left in AWS or in state.
    async fn destroy_completely(&self) {
        self.tf.destroy().assert_success();
        let left = self.inventory().await;
        assert!(left.is_empty(), "destroy left:\n  {}", left.listing());
        assert!(self.state_instance().is_none(), "the stack left the state");
    }
}

fn timeouts_hcl(delete: &str) -> String {
    format!(
        "  timeouts {{\n    create = \"2m\"\n    update = \"2m\"\n    delete = \"{delete}\"\n  }}"
    )
}

fn lingering_enis(attempts: u32, window_ms: u64) -> FaultConfig {
    FaultConfig {
        dependency_violation: DependencyConfig {
            attempts,
            window_ms,
        },
        ..FaultConfig::default()
    }
}

#[tokio::test]
async fn destroy_waits_out_lingering_enis_and_leaves_nothing() {
    let world = World::start(
        "destroy_lingering_enis",
        lingering_enis(3, 2_000),
        &timeouts_hcl("2m"),
    )
    .await;
    world.tf.apply().assert_success();
    assert_one_lean_stack(&world.inventory().await, "after apply");

    world.destroy_completely().await;
    let stats = world.proxy.stats();
    for operation in DEPENDENT_DELETES {
        let refusals = stats
            .fault_log
            .iter()
            .filter(|f| f.kind == FaultKind::DependencyViolation && f.operation == *operation)
            .count();
        assert!(
            refusals >= 3,
            "{operation} was refused at least 3 times (got {refusals}): the test injected \
nothing otherwise"
        );
    }
}

#[tokio::test]
async fn destroy_that_outlasts_its_timeout_keeps_what_still_exists() {
    // The ENIs linger far longer than `timeouts.delete` allows; they drain when the test
    // says so (the proxy stops refusing).
    let world = World::start(
        "destroy_timeout_enis",
        FaultConfig::default(),
        &timeouts_hcl("20s"),
    )
    .await;
    world.tf.apply().assert_success();
    world
        .proxy
        .set_config(lingering_enis(u32::MAX, 10 * 60 * 1000))
        .expect("lingering ENIs");

    let failed = world.tf.destroy().assert_failure();
    let text = failed
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Error:") && text.contains("(DependencyViolation)"),
        "the error says DependencyViolation\n{failed}"
    );
    let named = ["sg-", "subnet-", "igw-", "vpc-"]
        .iter()
        .any(|prefix| text.contains(&format!(" failed for {prefix}")));
    assert!(named, "the error names the refused object\n{failed}");

    let instance = world
        .state_instance()
        .unwrap_or_else(|| panic!("a failed destroy keeps the stack in state\n{failed}"));
    let remaining = state_resources(&instance["attributes"]);
    let inventory = world.inventory().await;
    assert!(
        !inventory.is_empty(),
        "objects are left while the ENIs linger"
    );
    assert_state_matches_aws(&remaining, &inventory, "after the timed-out destroy");
    assert!(
        remaining.contains_key("vpc") && !remaining.contains_key("db_instance"),
        "the VPC is still there, the database is gone: {remaining:#?}"
    );

    world
        .proxy
        .set_config(FaultConfig::default())
        .expect("the ENIs drain");
    world.destroy_completely().await;
}

#[tokio::test]
async fn apply_replan_and_destroy_ride_out_eventual_consistency_and_pending_states() {
    let faults = FaultConfig {
        consistency: ConsistencyConfig {
            window_ms: 400,
            writes: true,
        },
        pending: PendingConfig {
            nat_gateway_ms: 600,
            db_instance_ms: 900,
            db_modify_ms: 300,
            file_system_ms: 300,
            mount_target_ms: 600,
            load_balancer_ms: 600,
            asg_instance_ms: 600,
            target_ms: 600,
            dns_change_ms: 400,
        },
        ..FaultConfig::default()
    };
    let mut world = World::start("consistency_pending", faults, &timeouts_hcl("2m")).await;
    // The proxy's pending states are AWS's durations scaled down: so are the waiters'.
    world.tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
    world.tf.apply().assert_success();
    let stats = world.proxy.stats();
    assert!(
        stats.faults_of(FaultKind::NotFound) > 0 && stats.faults_of(FaultKind::Pending) > 0,
        "the proxy answered NotFound and pending states: {:?}",
        stats.faults
    );
    let inventory = world.inventory().await;
    assert_one_lean_stack(&inventory, "after apply");
    let instance = world.state_instance().expect("the stack is in state");
    assert_state_matches_aws(
        &state_resources(&instance["attributes"]),
        &inventory,
        "after apply",
    );
    world.tf.plan().assert_code(0);
    world.destroy_completely().await;
}
