//! Drift of the service tiers through the real Terraform CLI against moto: change
//! AWS behind Terraform's back with the SDK, then `terraform plan` shows the difference,
//! `terraform apply` repairs it (checked through the AWS APIs), and the next plan is empty.

mod service_support;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType,
};
use service_support::{
    alias_records, assert_nothing_else_replaced, efs_tags, elbv2_tags, group, idle_timeout,
    listeners, resources, target_group, text, Stack, World, ADDRESS,
};

/// `terraform plan` must want an in-place update whose diff names every one of `attributes`.
#[track_caller]
fn assert_plan_repairs(world: &World, attributes: &[&str]) {
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout
            .contains(&format!("{ADDRESS} will be updated in-place")),
        "drift is repaired in place\n{plan}"
    );
    for attribute in attributes {
        assert!(
            plan.stdout
                .lines()
                .any(|l| l.contains(attribute) && is_change(l)),
            "the plan shows the drift of {attribute}\n{plan}"
        );
    }
}

/// A diff line that changes something: `~ a = 1 -> 2`, `+ a = …`, `- a = …`.
fn is_change(line: &str) -> bool {
    let line = line.trim_start();
    line.contains("->") || line.starts_with("+ ") || line.starts_with("- ")
}

#[tokio::test]
async fn asg_sizes_changed_out_of_band_are_set_back() {
    let world = World::start("drift-svc-asg").await;
    let mut stack = Stack::lean("dasg");
    stack.autoscaling = "min_size = 2\n    max_size = 5\n    desired_capacity = 3".into();
    let before = world.apply(&stack);
    let asg = text(&before, "/asg_name").to_string();
    world
        .aws
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(&asg)
        .min_size(1)
        .max_size(9)
        .desired_capacity(6)
        .send()
        .await
        .expect("resize the group behind Terraform's back");

    assert_plan_repairs(&world, &["min_size", "max_size", "desired_capacity"]);
    world.tf.apply().assert_success();
    let repaired = group(&world.aws, &asg).await;
    assert_eq!(
        (
            repaired.min_size(),
            repaired.max_size(),
            repaired.desired_capacity()
        ),
        (Some(2), Some(5), Some(3))
    );
    world.tf.plan().assert_code(0);
    assert_nothing_else_replaced(&before, &world.tf.resource_values(ADDRESS), &[]);
    world.destroy("dasg").await;
}

#[tokio::test]
async fn a_deleted_route53_record_is_recreated() {
    let world = World::start("drift-svc-dns").await;
    let zone = world
        .aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");
    let mut stack = Stack::lean("ddns");
    stack.dns = Some(format!(
        "zone_id = \"{zone}\"\n    record_name = \"shop.example.com\""
    ));
    let before = world.apply(&stack);
    let alb = text(&before, "/alb_dns_name").to_string();
    let zone_of_alb = text(&before, "/alb_zone_id").to_string();
    let alias = ResourceRecordSet::builder()
        .name("shop.example.com.")
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .hosted_zone_id(&zone_of_alb)
                .dns_name(&alb)
                .evaluate_target_health(true)
                .build()
                .expect("alias target"),
        )
        .build()
        .expect("record set");
    let change = Change::builder()
        .action(ChangeAction::Delete)
        .resource_record_set(alias)
        .build()
        .expect("change");
    world
        .aws
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(change)
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("delete the record behind Terraform's back");
    assert!(alias_records(&world.aws, &zone).await.is_empty());

    assert_plan_repairs(&world, &["dns_record"]);
    world.tf.apply().assert_success();
    let records = alias_records(&world.aws, &zone).await;
    assert!(
        records
            .get("shop.example.com.")
            .is_some_and(|target| target.trim_end_matches('.').eq_ignore_ascii_case(&alb)),
        "the alias is back and points at the ALB: {records:?}"
    );
    let after = world.tf.resource_values(ADDRESS);
    assert_eq!(
        after["resources"]["dns_record"],
        before["resources"]["dns_record"]
    );
    assert_nothing_else_replaced(&before, &after, &[]);
    world.tf.plan().assert_code(0);
    world.destroy("ddns").await;
}

#[tokio::test]
async fn a_deleted_efs_mount_target_is_recreated() {
    let world = World::start("drift-svc-efs").await;
    let stack = Stack::lean("defs");
    let before = world.apply(&stack);
    let efs = text(&before, "/efs_id").to_string();
    let zone = before["network"]["availability_zones"][1]
        .as_str()
        .expect("a second zone")
        .to_string();
    let key = format!("efs_mount_target:{zone}");
    let deleted = resources(&before)[&key].clone();
    let subnet = resources(&before)[&format!("private_subnet:{zone}")].clone();
    world
        .aws
        .efs
        .delete_mount_target()
        .mount_target_id(&deleted)
        .send()
        .await
        .expect("delete a mount target behind Terraform's back");

    assert_plan_repairs(&world, &[key.as_str()]);
    world.tf.apply().assert_success();
    let out = world
        .aws
        .efs
        .describe_mount_targets()
        .file_system_id(&efs)
        .send()
        .await
        .expect("describe mount targets");
    let subnets: Vec<&str> = out.mount_targets().iter().map(|t| t.subnet_id()).collect();
    assert_eq!(
        subnets.len(),
        2,
        "one mount target per zone again: {subnets:?}"
    );
    assert!(
        subnets.contains(&subnet.as_str()),
        "back in {zone}'s private subnet"
    );
    let after = world.tf.resource_values(ADDRESS);
    let recreated = &resources(&after)[&key];
    assert_ne!(
        recreated, &deleted,
        "a new mount target, recorded in the state"
    );
    assert_nothing_else_replaced(&before, &after, &[key.as_str()]);
    world.tf.plan().assert_code(0);
    world.destroy("defs").await;
}

#[tokio::test]
async fn a_changed_db_instance_class_is_set_back() {
    let world = World::start("drift-svc-rds").await;
    let stack = Stack::lean("drds");
    let before = world.apply(&stack);
    world
        .aws
        .rds
        .modify_db_instance()
        .db_instance_identifier("drds-db")
        .db_instance_class("db.m5.large")
        .apply_immediately(true)
        .send()
        .await
        .expect("resize the database behind Terraform's back");

    assert_plan_repairs(&world, &["instance_class"]);
    world.tf.apply().assert_success();
    assert_eq!(
        world.aws.db_instance("drds-db").await.db_instance_class(),
        Some("db.t3.micro")
    );
    world.tf.plan().assert_code(0);
    assert_nothing_else_replaced(&before, &world.tf.resource_values(ADDRESS), &[]);
    world.destroy("drds").await;
}

#[tokio::test]
async fn load_balancer_settings_and_a_deleted_listener_are_restored() {
    let world = World::start("drift-svc-alb").await;
    let stack = Stack::lean("dalb");
    let before = world.apply(&stack);
    let ids = resources(&before);
    let (lb, tg, http) = (
        ids["load_balancer"].clone(),
        ids["target_group"].clone(),
        ids["http_listener"].clone(),
    );
    let elb = &world.aws.elbv2;
    elb.modify_target_group()
        .target_group_arn(&tg)
        .health_check_path("/wp-admin/")
        .send()
        .await
        .expect("change the health check behind Terraform's back");
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(&lb)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
                .key("idle_timeout.timeout_seconds")
                .value("300")
                .build(),
        )
        .send()
        .await
        .expect("change the idle timeout behind Terraform's back");
    elb.delete_listener()
        .listener_arn(&http)
        .send()
        .await
        .expect("delete the HTTP listener behind Terraform's back");

    assert_plan_repairs(
        &world,
        &["health_check_path", "idle_timeout", "http_listener"],
    );
    world.tf.apply().assert_success();
    let repaired = target_group(&world.aws, &tg).await;
    assert_eq!(
        repaired.health_check_path(),
        Some("/wordpress-ha-health.php")
    );
    assert_eq!(
        repaired.matcher().and_then(|m| m.http_code()),
        Some("200"),
        "the provider's health file must answer exactly 200"
    );
    assert_eq!(idle_timeout(&world.aws, &lb).await.as_deref(), Some("60"));
    let found = listeners(&world.aws, &lb).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].port(), Some(80));
    let after = world.tf.resource_values(ADDRESS);
    assert_eq!(
        after["resources"]["http_listener"].as_str(),
        found[0].listener_arn(),
        "the new listener is recorded"
    );
    assert_nothing_else_replaced(&before, &after, &["http_listener"]);
    world.tf.plan().assert_code(0);
    world.destroy("dalb").await;
}

#[tokio::test]
async fn tags_changed_out_of_band_on_service_objects_are_put_back() {
    let world = World::start("drift-svc-tags").await;
    let mut stack = Stack::lean("dtags");
    stack.default_tags = Some(r#"{ team = "web" }"#.into());
    let before = world.apply(&stack);
    let efs = text(&before, "/efs_id").to_string();
    let lb = resources(&before)["load_balancer"].clone();
    world
        .aws
        .efs
        .untag_resource()
        .resource_id(&efs)
        .tag_keys("env")
        .send()
        .await
        .expect("remove a user tag behind Terraform's back");
    world
        .aws
        .efs
        .tag_resource()
        .resource_id(&efs)
        .tags(
            aws_sdk_efs::types::Tag::builder()
                .key("backup")
                .value("daily")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("another tool tags the file system");
    world
        .aws
        .elbv2
        .remove_tags()
        .resource_arns(&lb)
        .tag_keys("team")
        .send()
        .await
        .expect("remove a default tag behind Terraform's back");

    assert_plan_repairs(&world, &["tags"]);
    world.tf.apply().assert_success();
    let repaired = efs_tags(&world.aws, &efs).await;
    assert_eq!(repaired.get("env").map(String::as_str), Some("test"));
    assert_eq!(
        repaired.get("backup").map(String::as_str),
        Some("daily"),
        "another tool's tag is neither drift nor removed"
    );
    assert_eq!(
        elbv2_tags(&world.aws, &lb)
            .await
            .get("team")
            .map(String::as_str),
        Some("web")
    );
    world.tf.plan().assert_code(0);
    assert_nothing_else_replaced(&before, &world.tf.resource_values(ADDRESS), &[]);
    world.destroy("dtags").await;
}
