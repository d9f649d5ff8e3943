//! Refresh across stacks: ten stacks refreshed by one `terraform refresh` (Terraform reads up to
//! ten resources at once through one provider process) share their describes. Every look-up the
//! provider can widen to several stacks (EC2's filters, ELB's and Auto Scaling's name and ARN
//! lists, RDS's `db-instance-id` filter, EC2's and ELB's tag reads) is made a few times for all
//! ten, not ten times; each stack still sees its own drift and only its own.

mod common;

use std::collections::BTreeMap;

use common::assert_nothing_tagged;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACKS: usize = 10;

/// The look-ups shared across stacks (`core/src/aws/coalesce.rs`), by service.
const SHARED: &[(&str, &str)] = &[
    ("ec2", "DescribeVpcs"),
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeInternetGateways"),
    ("ec2", "DescribeRouteTables"),
    ("ec2", "DescribeNatGateways"),
    ("ec2", "DescribeSecurityGroups"),
    ("ec2", "DescribeInstances"),
    ("ec2", "DescribeTags"),
    ("elasticloadbalancing", "DescribeLoadBalancers"),
    ("elasticloadbalancing", "DescribeTargetGroups"),
    ("elasticloadbalancing", "DescribeTags"),
    ("autoscaling", "DescribeAutoScalingGroups"),
    ("rds", "DescribeDBInstances"),
];

/// Calls of one shared look-up for the ten stacks: one round holds them all. Ten would mean no
/// sharing at all.
const SHARED_CALLS_BOUND: u64 = 2;

/// The provider's rounds stay open this long here (20 ms by default): on a loaded machine
/// Terraform's ten ReadResource calls may arrive further apart than that, and the test counts
/// calls, not time.
const WINDOW_MS: &str = "400";

fn name(i: usize) -> String {
    format!("scale{i}")
}

fn stacks_hcl() -> String {
    (0..STACKS)
        .map(|i| {
            let name = name(i);
            let cidr = format!("10.{}.0.0/16", 40 + i);
            format!(
                r#"
resource "wordpress_ha_stack" "{name}" {{
  name = "{name}"
  network {{
    vpc_cidr           = "{cidr}"
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "single"
  }}
  bastion {{
    enabled           = true
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
}}
"#
            )
        })
        .collect()
}

fn resources_of(tf: &TerraformDir) -> BTreeMap<String, serde_json::Value> {
    (0..STACKS)
        .map(|i| {
            let address = format!("wordpress_ha_stack.{}", name(i));
            (name(i), tf.resource_values(&address)["resources"].clone())
        })
        .collect()
}

#[tokio::test]
async fn ten_stacks_refreshed_together_share_their_describes() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let proxy = FaultProxy::start(&moto.endpoint(), FaultConfig::default()).expect("proxy");
    let mut tf =
        TerraformDir::with_endpoint("refresh-scale", &moto, &proxy.endpoint()).expect("dir");
    tf.set_env("WORDPRESS_HA_SHARED_READ_WINDOW_MS", WINDOW_MS);
    tf.write_stack(&stacks_hcl()).expect("write main.tf");
    tf.apply().assert_success();
    let applied = resources_of(&tf);

    proxy.reset();
    tf.run(&["refresh"]).assert_success();
    let calls = proxy.stats().calls;
    let count = |service: &str, operation: &str| {
        calls
            .get(service)
            .and_then(|ops| ops.get(operation))
            .copied()
            .unwrap_or(0)
    };
    let total: u64 = calls.values().flat_map(|ops| ops.values()).sum();
    println!("refresh of {STACKS} stacks: {total} calls: {calls:#?}");
    assert_eq!(
        resources_of(&tf),
        applied,
        "every stack sees its own objects"
    );
    for (service, operation) in SHARED {
        let made = count(service, operation);
        assert!(
            (1..=SHARED_CALLS_BOUND).contains(&made),
            "{service} {operation}: {made} calls for {STACKS} stacks (bound {SHARED_CALLS_BOUND})"
        );
    }

    // Drift of one stack, seen through the shared look-ups, is that stack's only.
    let drifted = name(3);
    let bastion = applied[&drifted]["bastion_instance"]
        .as_str()
        .expect("the bastion is recorded")
        .to_string();
    aws.ec2
        .terminate_instances()
        .instance_ids(&bastion)
        .send()
        .await
        .expect("terminate the bastion out of band");
    tf.run(&["refresh"]).assert_success();
    let refreshed = resources_of(&tf);
    for (stack, resources) in &refreshed {
        if *stack == drifted {
            assert!(
                resources.get("bastion_instance").is_none(),
                "{stack}: the terminated bastion is gone from the state: {resources:#}"
            );
        } else {
            assert_eq!(resources, &applied[stack], "{stack} is untouched");
        }
    }

    tf.destroy().assert_success();
    for i in 0..STACKS {
        assert_nothing_tagged(&aws, &name(i)).await;
    }
}
