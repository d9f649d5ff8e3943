//! The first slice, end to end through the real Terraform CLI and moto: the network tier is
//! really created (checked through the EC2 API), a second plan has nothing to do, and destroy
//! leaves nothing tagged for the stack.

mod common;

use common::{assert_nothing_tagged, Network};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::Moto;

const STACK: &str = "netslice";
const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];
const VPC_CIDR: &str = "10.20.0.0/16";

const STACK_HCL: &str = r#"
resource "wordpress_ha_stack" "net" {
  name = "netslice"

  network {
    vpc_cidr           = "10.20.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "one_per_az"
  }

  database {
    skip_final_snapshot = true
  }
}
"#;
const ADDRESS: &str = "wordpress_ha_stack.net";

#[tokio::test]
async fn network_is_created_then_plan_is_empty_then_destroy_leaves_nothing_tagged() {
    let moto = Moto::start_async().await.expect("moto starts");
    let tf = TerraformDir::new("network_slice", &moto).expect("terraform dir");
    tf.write_stack(STACK_HCL).expect("write main.tf");
    let aws = AwsInspector::for_moto(&moto).await;

    tf.validate().assert_success();
    let plan = tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains(&format!("{ADDRESS} will be created")),
        "the plan should show the create\n{plan}"
    );
    assert_nothing_tagged(&aws, STACK).await;

    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    Network::observe(&aws, STACK)
        .await
        .assert_all(&state, VPC_CIDR, &ZONES, true);

    tf.plan().assert_code(0);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, STACK).await;
}
