//! Lifecycle promises (plan, apply, read, import) through the real CLI: updates stay in place,
//! renaming replaces, objects deleted out of band are recreated by the next apply, and a stack
//! imported by name plans clean.

mod common;

use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
use common::{assert_nothing_tagged, state_str};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::Moto;

const ADDRESS: &str = "wordpress_ha_stack.site";

/// A lean stack (single NAT, no bastion) with the sizes and name given.
fn stack_hcl(name: &str, max_size: u32) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    nat_gateways = "single"
  }}
  bastion {{
    enabled = false
  }}
  autoscaling {{
    max_size = {max_size}
  }}
  database {{
    skip_final_snapshot = true
  }}
}}
"#
    )
}

async fn asg_max_size(aws: &AwsInspector, name: &str) -> Option<i32> {
    let out = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("describe ASG");
    out.auto_scaling_groups().first().and_then(|g| g.max_size())
}

#[tokio::test]
async fn changing_sizes_updates_in_place_and_renaming_replaces() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = TerraformDir::new("lifecycle-update", &moto).expect("dir");
    tf.write_stack(&stack_hcl("upd", 4)).expect("write");
    tf.apply().assert_success();
    let before = tf.resource_values(ADDRESS);

    tf.write_stack(&stack_hcl("upd", 5)).expect("write");
    let plan = tf.plan().assert_code(2);
    assert!(
        plan.stdout
            .contains(&format!("{ADDRESS} will be updated in-place")),
        "a size change is an in-place update\n{plan}"
    );
    tf.apply().assert_success();
    let after = tf.resource_values(ADDRESS);
    assert_eq!(
        state_str(&after, "/vpc_id"),
        state_str(&before, "/vpc_id"),
        "the stack was kept"
    );
    let asg = state_str(&after, "/asg_name");
    assert_eq!(
        asg_max_size(&aws, asg).await,
        Some(5),
        "the ASG took the new size"
    );
    tf.plan().assert_code(0);

    tf.write_stack(&stack_hcl("upd2", 5)).expect("write");
    let plan = tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains("must be replaced"),
        "a new name replaces the stack\n{plan}"
    );
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "upd").await;
}

#[tokio::test]
async fn a_nat_gateway_deleted_out_of_band_is_recreated_by_the_next_apply() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = TerraformDir::new("lifecycle-drift", &moto).expect("dir");
    tf.write_stack(&stack_hcl("drift", 4)).expect("write");
    tf.apply().assert_success();
    let nats = aws.nat_gateways("drift").await.expect("nats");
    assert_eq!(nats.len(), 1, "single NAT: {nats:#?}");
    let deleted = nats[0].nat_gateway_id().unwrap_or_default().to_string();
    aws.ec2
        .delete_nat_gateway()
        .nat_gateway_id(&deleted)
        .send()
        .await
        .expect("delete the NAT gateway behind Terraform's back");

    tf.plan().assert_code(2);
    tf.apply().assert_success();
    let nats = aws.nat_gateways("drift").await.expect("nats");
    let ids: Vec<&str> = nats.iter().filter_map(|n| n.nat_gateway_id()).collect();
    assert_eq!(ids.len(), 1, "one NAT gateway again: {ids:?}");
    assert_ne!(ids[0], deleted, "a new NAT gateway");
    let state = tf.resource_values(ADDRESS);
    assert_eq!(
        state["nat_gateway_ids"],
        serde_json::json!([ids[0]]),
        "state follows"
    );
    tf.plan().assert_code(0);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "drift").await;
}

#[tokio::test]
async fn a_security_group_rule_revoked_out_of_band_is_restored_by_the_next_apply() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = TerraformDir::new("lifecycle-sg-drift", &moto).expect("dir");
    tf.write_stack(&stack_hcl("sgdrift", 4)).expect("write");
    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    let app = state_str(&state, "/security_group_ids/app").to_string();
    let alb = state_str(&state, "/security_group_ids/alb").to_string();
    // The rule as the group holds it, description included: a group-to-group revoke must name
    // the rule exactly (see ARCHITECTURE.md's AWS behaviours).
    let description = rule_description(&aws, &app, &alb).await;
    let http_from_alb = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(&alb)
                .set_description(description)
                .build(),
        )
        .build();
    aws.ec2
        .revoke_security_group_ingress()
        .group_id(&app)
        .ip_permissions(http_from_alb)
        .send()
        .await
        .expect("revoke app's HTTP from the ALB behind Terraform's back");
    assert!(
        !app_allows_http_from(&aws, &app, &alb).await,
        "the rule is gone"
    );

    tf.plan().assert_code(2);
    tf.apply().assert_success();
    assert!(
        app_allows_http_from(&aws, &app, &alb).await,
        "the rule is back"
    );
    tf.plan().assert_code(0);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "sgdrift").await;
}

/// The description of the app group's HTTP rule from the ALB's group.
async fn rule_description(aws: &AwsInspector, app: &str, alb: &str) -> Option<String> {
    let out = aws
        .ec2
        .describe_security_groups()
        .group_ids(app)
        .send()
        .await
        .expect("describe the app group");
    out.security_groups()
        .iter()
        .flat_map(|g| g.ip_permissions())
        .filter(|p| p.from_port() == Some(80) && p.to_port() == Some(80))
        .flat_map(|p| p.user_id_group_pairs())
        .find(|pair| pair.group_id() == Some(alb))
        .and_then(|pair| pair.description().map(str::to_string))
}

async fn app_allows_http_from(aws: &AwsInspector, app: &str, alb: &str) -> bool {
    let out = aws
        .ec2
        .describe_security_groups()
        .group_ids(app)
        .send()
        .await
        .expect("describe the app group");
    out.security_groups()
        .iter()
        .flat_map(|g| g.ip_permissions())
        .filter(|p| p.from_port() == Some(80) && p.to_port() == Some(80))
        .flat_map(|p| p.user_id_group_pairs())
        .any(|pair| pair.group_id() == Some(alb))
}

#[tokio::test]
async fn a_stack_imported_by_name_plans_clean_and_destroys() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let creator = TerraformDir::new("lifecycle-import-create", &moto).expect("dir");
    creator.write_stack(&stack_hcl("imp", 4)).expect("write");
    creator.apply().assert_success();
    let created = creator.resource_values(ADDRESS);

    let importer = TerraformDir::new("lifecycle-import", &moto).expect("dir");
    importer.write_stack(&stack_hcl("imp", 4)).expect("write");
    importer.import(ADDRESS, "imp").assert_success();
    let imported = importer.resource_values(ADDRESS);
    for attribute in [
        "/vpc_id",
        "/efs_id",
        "/asg_name",
        "/db_address",
        "/alb_dns_name",
    ] {
        assert_eq!(
            state_str(&imported, attribute),
            state_str(&created, attribute),
            "import rebuilds {attribute}"
        );
    }
    assert_eq!(
        imported["resources"], created["resources"],
        "the same objects"
    );
    importer.plan().assert_code(0);

    importer.destroy().assert_success();
    assert_nothing_tagged(&aws, "imp").await;
}
