//! Crash safety (DESIGN.md section 3): an apply killed halfway, Terraform and provider together,
//! leaves objects in AWS but nothing in the state; the next apply finds them by the stack tag and
//! finishes the stack without creating any object twice.

mod common;

use std::time::{Duration, Instant};

use common::{assert_nothing_tagged, Network};
use stack_tests::aws::AwsInspector;
use stack_tests::terraform::TerraformDir;
use stack_tests::Moto;

const STACK: &str = "crashy";
const ADDRESS: &str = "wordpress_ha_stack.site";
const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];

const STACK_HCL: &str = r#"
resource "wordpress_ha_stack" "site" {
  name = "crashy"
  network {
    vpc_cidr           = "10.50.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b"]
  }
  database {
    skip_final_snapshot = true
  }
}
"#;

/// Poll until the stack's VPC exists: the apply is then underway but far from done.
async fn wait_for_vpc(aws: &AwsInspector, deadline: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if !aws.vpcs(STACK).await.expect("describe vpcs").is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn killed_apply_resumes_without_duplicates() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = TerraformDir::new("crash_resume", &moto).expect("dir");
    tf.write_stack(STACK_HCL).expect("write main.tf");

    let mut apply = tf.spawn(&["apply", "-auto-approve"]).expect("start apply");
    let vpc_seen = wait_for_vpc(&aws, Duration::from_secs(120)).await;
    assert!(
        !apply.finished(),
        "the apply must still be running when it is killed"
    );
    let killed = apply.kill();
    assert!(vpc_seen, "the apply created the VPC\n{killed}");
    assert_eq!(killed.code, None, "the apply died by the kill\n{killed}");
    let partial = aws.tagged_objects(STACK).await.expect("tagged objects");
    assert!(!partial.is_empty(), "the killed apply left objects behind");

    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    // Exactly one VPC, one IGW, two subnets per zone, one NAT gateway and EIP per zone: the
    // objects of the killed run were adopted, not created again.
    Network::observe(&aws, STACK)
        .await
        .assert_all(&state, "10.50.0.0/16", &ZONES, true);
    let objects = aws.tagged_objects(STACK).await.expect("tagged objects");
    for kind in [
        "launch-template",
        "file-system",
        "db-instance",
        "load-balancer",
        "target-group",
    ] {
        let count = objects.iter().filter(|o| o.kind == kind).count();
        assert_eq!(count, 1, "one {kind} after the resumed apply: {objects:#?}");
    }
    let groups = objects
        .iter()
        .filter(|o| o.kind == "security-group")
        .count();
    assert_eq!(groups, 5, "five security groups: {objects:#?}");
    tf.plan().assert_code(0);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, STACK).await;
}
