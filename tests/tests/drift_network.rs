//! Drift of the network, security and bastion tiers (the service
//! tiers are in `drift_services.rs`): whatever is changed behind Terraform's back is seen by the
//! next plan and repaired by the next apply, after which a plan is empty again. Each case applies
//! its own stack against its own moto, changes one thing through the AWS API, and checks through
//! the AWS API that the apply put it back.

mod common;

use aws_sdk_ec2::types::{IpPermission, IpRange, Tag};
use common::{assert_nothing_tagged, state_str, string_set};
use serde_json::Value;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::{ec2_tag, AwsInspector};
use stack_tests::Moto;

const ADDRESS: &str = "wordpress_ha_stack.site";

/// One applied stack, with everything a drift case needs.
struct Applied {
    // Field order matters on drop: the work dir reports moto's log path before moto goes.
    tf: TerraformDir,
    aws: AwsInspector,
    moto: Moto,
    name: &'static str,
    state: Value,
}

fn stack_hcl(name: &str) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    nat_gateways = "single"
  }}
  database {{
    skip_final_snapshot = true
  }}
  tags = {{ env = "test" }}
}}
"#
    )
}

async fn apply_stack(name: &'static str) -> Applied {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = TerraformDir::new(&format!("drift-{name}"), &moto).expect("dir");
    tf.write_stack(&stack_hcl(name)).expect("write main.tf");
    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    Applied {
        tf,
        aws,
        moto,
        name,
        state,
    }
}

impl Applied {
    /// The next plan shows a change, the apply makes it, and the plan after is empty.
    fn repair(&mut self) {
        self.tf.plan().assert_code(2);
        self.tf.apply().assert_success();
        self.tf.plan().assert_code(0);
        self.state = self.tf.resource_values(ADDRESS);
    }

    async fn destroy_cleanly(&self) {
        self.tf.destroy().assert_success();
        assert_nothing_tagged(&self.aws, self.name).await;
    }

    fn id(&self, pointer: &str) -> String {
        state_str(&self.state, pointer).to_string()
    }
}

#[tokio::test]
async fn an_ingress_rule_added_out_of_band_is_revoked() {
    let mut stack = apply_stack("sgextra").await;
    let app = stack.id("/security_group_ids/app");
    let ssh_from_anywhere = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    stack
        .aws
        .ec2
        .authorize_security_group_ingress()
        .group_id(&app)
        .ip_permissions(ssh_from_anywhere)
        .send()
        .await
        .expect("open SSH to the world behind Terraform's back");
    stack.repair();
    let out = stack
        .aws
        .ec2
        .describe_security_groups()
        .group_ids(&app)
        .send()
        .await
        .expect("describe the app group");
    let world_open = out
        .security_groups()
        .iter()
        .flat_map(|g| g.ip_permissions())
        .flat_map(|p| p.ip_ranges())
        .any(|r| r.cidr_ip() == Some("0.0.0.0/0"));
    assert!(
        !world_open,
        "the app group is closed to the world again: {out:#?}"
    );
    stack.destroy_cleanly().await;
}

#[tokio::test]
async fn a_deleted_private_default_route_is_restored() {
    let mut stack = apply_stack("noroute").await;
    let private = string_set(&stack.state, "private_subnet_ids");
    let tables = stack
        .aws
        .route_tables("noroute")
        .await
        .expect("route tables");
    let private_table = tables
        .iter()
        .find(|t| {
            t.associations()
                .iter()
                .any(|a| a.subnet_id().is_some_and(|s| private.contains(s)))
        })
        .and_then(|t| t.route_table_id())
        .expect("a private route table")
        .to_string();
    stack
        .aws
        .ec2
        .delete_route()
        .route_table_id(&private_table)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .expect("delete the NAT route behind Terraform's back");
    stack.repair();
    let tables = stack
        .aws
        .route_tables("noroute")
        .await
        .expect("route tables");
    let nat_route = tables
        .iter()
        .filter(|t| t.route_table_id() == Some(private_table.as_str()))
        .flat_map(|t| t.routes())
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| r.nat_gateway_id().map(str::to_string));
    let nats = string_set(&stack.state, "nat_gateway_ids");
    assert!(
        nat_route.as_ref().is_some_and(|n| nats.contains(n)),
        "the private table routes to the NAT again: {nat_route:?} vs {nats:?}"
    );
    stack.destroy_cleanly().await;
}

#[tokio::test]
async fn a_removed_tag_is_put_back() {
    let mut stack = apply_stack("untag").await;
    let vpc = stack.id("/vpc_id");
    stack
        .aws
        .ec2
        .delete_tags()
        .resources(&vpc)
        .tags(Tag::builder().key("env").build())
        .send()
        .await
        .expect("remove a tag behind Terraform's back");
    stack.repair();
    let vpcs = stack.aws.vpcs("untag").await.expect("vpcs");
    assert_eq!(
        ec2_tag(vpcs[0].tags(), "env"),
        Some("test"),
        "the tag is back"
    );
    stack.destroy_cleanly().await;
}

#[tokio::test]
async fn a_terminated_bastion_is_replaced() {
    let mut stack = apply_stack("nobastion").await;
    let old = stack.id("/resources/bastion_instance");
    stack
        .aws
        .ec2
        .terminate_instances()
        .instance_ids(&old)
        .send()
        .await
        .expect("terminate the bastion behind Terraform's back");
    stack.repair();
    let new = stack.id("/resources/bastion_instance");
    assert_ne!(new, old, "a new bastion");
    let out = stack
        .aws
        .ec2
        .describe_instances()
        .instance_ids(&new)
        .send()
        .await
        .expect("describe the new bastion");
    let state = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| {
            i.state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_string())
        });
    assert_eq!(state.as_deref(), Some("running"), "the new bastion runs");
    stack.destroy_cleanly().await;
}

#[tokio::test]
async fn a_stack_gone_entirely_leaves_the_state_and_is_created_again() {
    let mut stack = apply_stack("vanished").await;
    let old_vpc = stack.id("/vpc_id");
    stack.moto.reset().expect("every AWS object disappears");
    let plan = stack.tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains(&format!("{ADDRESS} will be created")),
        "the vanished stack is planned as a create\n{plan}"
    );
    stack.repair();
    assert_ne!(stack.id("/vpc_id"), old_vpc, "a new VPC");
    let vpcs = stack.aws.vpcs("vanished").await.expect("vpcs");
    assert_eq!(vpcs.len(), 1, "exactly one VPC: {vpcs:#?}");
    stack.destroy_cleanly().await;
}
