//! Plans as a reviewer reads them: which attributes replace the stack, which outputs become
//! unknown, and the summary lines of each change.

use std::collections::BTreeSet;

use super::*;
use crate::spec::{DnsSpec, NatMode, Secret, StackSpec};
use crate::state::{logical, StackState};

fn existing(spec: &StackSpec) -> StackState {
    let mut state = StackState::new(spec.clone());
    for name in expected_objects(spec) {
        state.resources.insert(name.clone(), format!("id-{name}"));
    }
    for name in KEPT_SETTINGS {
        state
            .resources
            .insert(name.to_string(), format!("id-{name}"));
    }
    state
}

fn spec() -> StackSpec {
    let mut spec = StackSpec::with_name("blog");
    spec.network.availability_zones = Some(vec!["us-east-1a".into(), "us-east-1b".into()]);
    spec
}

#[test]
fn unchanged_spec_plans_nothing() {
    let spec = spec();
    let plan = plan_update(&existing(&spec), &spec);
    assert!(plan.is_noop(), "{plan:?}");
    assert!(plan.unknown_outputs.is_empty());
}

#[test]
fn replacing_attributes_are_reported_by_path() {
    let before = spec();
    let mut after = before.clone();
    after.network.vpc_cidr = "10.1.0.0/16".into();
    after.database.db_name = "blog".into();
    let plan = plan_update(&existing(&before), &after);
    let paths: Vec<String> = plan.replace.iter().map(ToString::to_string).collect();
    assert_eq!(paths, ["network.vpc_cidr", "database.db_name"]);
    assert!(plan.unknown_outputs.contains(output::VPC_ID));
}

#[test]
fn image_change_rolls_a_new_template_version_only() {
    let before = spec();
    let mut after = before.clone();
    after.wordpress.image = "wordpress:6.5-apache".into();
    let plan = plan_update(&existing(&before), &after);
    assert!(plan.replace.is_empty());
    assert_eq!(
        plan.unknown_outputs,
        BTreeSet::from([output::LAUNCH_TEMPLATE_VERSION])
    );
    assert!(plan.actions.iter().any(|a| a.object == object::ASG));
}

#[test]
fn a_new_site_title_is_a_template_version_without_an_instance_refresh() {
    let before = spec();
    let mut after = before.clone();
    after.site.title = "Another title".into();
    after.site.admin_email = Some("me@example.com".into());
    let plan = plan_update(&existing(&before), &after);
    let lines: Vec<String> = plan
        .actions
        .iter()
        .map(|a| format!("{}: {}", a.object, a.detail))
        .collect();
    assert_eq!(plan.actions.len(), 1, "{lines:#?}");
    assert_eq!(plan.actions[0].object, object::LAUNCH_TEMPLATE);
    assert!(
        lines[0].contains("site title, admin e-mail for a new install only"),
        "{lines:#?}"
    );
    assert!(plan.actions[0].risks.is_empty(), "no downtime: {lines:#?}");
}

#[test]
fn nat_mode_switch_changes_nat_ids() {
    let before = spec();
    let mut after = before.clone();
    after.network.nat_gateways = NatMode::Single;
    let plan = plan_update(&existing(&before), &after);
    assert!(plan.unknown_outputs.contains(output::NAT_GATEWAY_IDS));
    assert!(!plan.unknown_outputs.contains(output::VPC_ID));
}

#[test]
fn objects_deleted_out_of_band_are_recreated() {
    let spec = spec();
    let mut state = existing(&spec);
    state.resources.remove(logical::BASTION_INSTANCE);
    let plan = plan_update(&state, &spec);
    assert!(!plan.is_noop());
    assert!(plan.unknown_outputs.contains(output::RESOURCES));
}

#[test]
fn backups_switch_in_place_with_their_risk() {
    let before = spec();
    let mut after = before.clone();
    after.storage.backups = false;
    let plan = plan_update(&existing(&before), &after);
    let off = plan
        .actions
        .iter()
        .find(|a| a.detail == "automatic backups on -> off")
        .expect("a backups line");
    assert!(off.risks.contains(&Risk::DataLoss), "{off:?}");
    let plan = plan_update(&existing(&after), &before);
    assert!(plan.actions[0].risks.contains(&Risk::Cost));
    assert!(plan.unknown_outputs.is_empty());
}

#[test]
fn tls_settings_a_refresh_did_not_find_are_planned_back() {
    let spec = spec();
    let mut state = existing(&spec);
    state.resources.remove(logical::EFS_FILE_SYSTEM_POLICY);
    state.resources.remove(logical::DB_PARAMETER_GROUP);
    let plan = plan_update(&state, &spec);
    let details: Vec<&str> = plan.actions.iter().map(|a| a.detail.as_str()).collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details[0].starts_with("file system policy denying access without TLS"));
    assert!(details[1].starts_with("parameter group mysql8.4 requiring TLS"));
    assert!(plan.unknown_outputs.contains(output::RESOURCES));

    let mut upgrade = spec.clone();
    upgrade.database.engine_version = "8.4".into();
    let mut on_8_0 = spec.clone();
    on_8_0.database.engine_version = "8.0".into();
    let plan = plan_update(&existing(&on_8_0), &upgrade);
    assert_eq!(
        plan.actions
            .iter()
            .map(|a| a.detail.as_str())
            .collect::<Vec<_>>(),
        ["modify engine version 8.0 -> 8.4 with parameter group mysql8.4 (applied immediately)"]
    );
    assert!(plan.unknown_outputs.contains(output::RESOURCES));
}

#[test]
fn rule_descriptions_a_refresh_did_not_find_are_an_update_of_the_groups() {
    let spec = spec();
    let mut state = existing(&spec);
    state
        .resources
        .remove(logical::SECURITY_GROUP_RULE_DESCRIPTIONS);
    let plan = plan_update(&state, &spec);
    assert_eq!(plan.actions.len(), 1, "{plan:?}");
    assert_eq!(plan.actions[0].object, object::SECURITY_GROUPS);
    assert_eq!(plan.actions[0].action, ActionKind::Update);
    assert!(plan.actions[0].detail.starts_with("rule descriptions"));
    assert!(plan.replace.is_empty());
    assert!(plan.unknown_outputs.contains(output::RESOURCES));
}

/// The summary as the provider shows it: `<verb> <object>: <detail>`.
fn lines(plan: &StackPlan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|a| format!("{:?} {}: {}", a.action, a.object, a.detail))
        .collect()
}

fn update_lines(change: impl FnOnce(&mut StackSpec)) -> Vec<String> {
    let before = spec();
    let mut after = before.clone();
    change(&mut after);
    lines(&plan_update(&existing(&before), &after))
}

#[test]
fn wordpress_changes_name_each_reason_once_and_refresh_the_instances() {
    let summary = update_lines(|s| {
        s.wordpress.image = "wordpress:6.6-apache".into();
        s.wordpress.instance_type = "t3.medium".into();
        s.wordpress.config_extra = Some("define('A', 1);".into());
    });
    assert_eq!(
        summary,
        [
            "Update launch template: new version (image public.ecr.aws/docker/library/wordpress:6-apache \
-> wordpress:6.6-apache, instance type t3.small -> t3.medium, config_extra)",
            "Update ASG: instance refresh to the new launch template version (keeps 90% healthy)",
        ]
    );
}

#[test]
fn tags_alone_give_a_template_version_without_an_instance_refresh() {
    let summary = update_lines(|s| {
        s.tags.insert("team".into(), "web".into());
    });
    assert_eq!(
        summary,
        [
            "Update every object: tags +team",
            "Update launch template: new version (instance tags)",
        ]
    );
}

#[test]
fn sizes_and_cpu_target_touch_only_the_group_and_its_policy() {
    let summary = update_lines(|s| {
        s.autoscaling.min_size = 3;
        s.autoscaling.desired_capacity = Some(4);
        s.autoscaling.target_cpu_utilization = 45.0;
    });
    assert_eq!(
        summary,
        [
            "Update ASG: min 2 -> 3, desired the group's own -> 4",
            "Update scaling policy: CPU target 60% -> 45%",
        ]
    );
}

#[test]
fn database_changes_are_one_modify_line_with_before_and_after() {
    let summary = update_lines(|s| {
        s.database.instance_class = "db.t3.small".into();
        s.database.allocated_storage = 30;
        s.database.multi_az = false;
        s.database.deletion_protection = true;
    });
    assert_eq!(
        summary,
        [
            "Update RDS: modify class db.t3.micro -> db.t3.small, storage 20 -> 30 GiB, \
Multi-AZ on -> off, deletion protection off -> on (applied immediately)"
        ]
    );
}

#[test]
fn a_new_password_is_named_never_shown_and_rolls_the_instances() {
    let secret = "Sup3r-secret-value";
    let summary = update_lines(|s| s.database.password = Some(Secret::new(secret)));
    assert!(
        summary.iter().all(|line| !line.contains(secret)),
        "{summary:#?}"
    );
    assert_eq!(
        summary,
        [
            "Update RDS: modify master password (applied immediately)",
            "Update secret: new version with the new master password",
            "Update launch template: new version (database password)",
            "Update ASG: instance refresh to the new launch template version (keeps 90% healthy)",
        ]
    );
}

#[test]
fn nat_switches_say_which_gateways_come_and_go() {
    let to_single = update_lines(|s| s.network.nat_gateways = NatMode::Single);
    assert_eq!(
        to_single,
        [
            "Update private route tables: every zone's default route to the NAT gateway in us-east-1a",
            "Delete NAT gateway: one_per_az -> single: 1 NAT gateway(s) + EIP(s), after the routes moved",
        ]
    );
    let mut single = spec();
    single.network.nat_gateways = NatMode::Single;
    let mut per_zone = single.clone();
    per_zone.network.nat_gateways = NatMode::OnePerAz;
    let plan = plan_update(&existing(&single), &per_zone);
    // The new gateways are new objects, not a stack recreated: other outputs stay known.
    assert!(!plan.unknown_outputs.contains(output::VPC_ID), "{plan:?}");
    let to_per_zone = lines(&plan);
    assert_eq!(
        to_per_zone,
        [
            "Create NAT gateway: single -> one_per_az: one + EIP in each of 1 more zone(s)",
            "Update private route tables: each zone's default route to its own NAT gateway",
        ]
    );
}

#[test]
fn bastion_lines_follow_what_changed() {
    let summary = update_lines(|s| {
        s.bastion.allowed_ssh_cidrs = vec!["198.51.100.0/24".into()];
        s.bastion.instance_type = "t3.small".into();
    });
    assert_eq!(
        summary,
        [
            "Update bastion security group: SSH ingress +198.51.100.0/24",
            "Replace bastion instance: instance type t3.micro -> t3.small: new instance first, then the old one terminated",
        ]
    );
    let disabled = update_lines(|s| s.bastion.enabled = false);
    assert_eq!(disabled, ["Delete bastion instance: bastion disabled"]);
}

#[test]
fn load_balancer_and_dns_lines() {
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    let summary = update_lines(|s| {
        s.load_balancer.certificate_arn = Some(arn.into());
        s.load_balancer.health_check_path = "/up".into();
        s.load_balancer.idle_timeout = 120;
        s.load_balancer.deregistration_delay = 0;
        s.dns = Some(DnsSpec {
            zone_id: "Z1".into(),
            record_name: "blog.example.com".into(),
            allow_overwrite: false,
        });
    });
    assert_eq!(
        summary,
        [
            "Create HTTPS listener: port 443 with the certificate",
            "Update HTTP listener: redirects to HTTPS",
            "Update target group: health check path /wordpress-ha-health.php -> /up \
             (healthy codes 200 -> 200-399), deregistration delay 30 -> 0 s",
            "Update ALB: idle timeout 60 -> 120 s",
            "Create Route 53 record: alias blog.example.com in zone Z1 -> ALB",
            "Update launch template: new version (site URL, health check path)",
            "Update ASG: instance refresh to the new launch template version (keeps 90% healthy)",
        ]
    );
}

#[test]
fn a_deregistration_delay_change_touches_the_target_group_only() {
    let summary = update_lines(|s| s.load_balancer.deregistration_delay = 120);
    assert_eq!(
        summary,
        ["Update target group: deregistration delay 30 -> 120 s"]
    );
}

#[test]
fn storage_and_replacement_lines() {
    let summary = update_lines(|s| {
        s.storage.throughput_mode = "provisioned".into();
        s.storage.provisioned_throughput_mibps = Some(64.0);
    });
    assert_eq!(
        summary,
        ["Update EFS file system: throughput mode elastic -> provisioned (64 MiB/s)"]
    );
    let replaced = update_lines(|s| s.name = "other".into());
    assert_eq!(
        replaced,
        ["Replace stack: name changed: every AWS object is destroyed and created again"]
    );
}

#[test]
fn recreated_objects_are_listed_by_name() {
    let spec = spec();
    let mut state = existing(&spec);
    state.resources.remove(logical::BASTION_INSTANCE);
    assert_eq!(
        lines(&plan_update(&state, &spec)),
        ["Create stack: recreate what was deleted outside Terraform: bastion_instance"]
    );
}

#[test]
fn a_refresh_marker_reads_as_a_re_tag_not_as_a_removed_key() {
    use std::collections::BTreeMap;
    let before = BTreeMap::from([
        ("env".to_string(), "test".to_string()),
        (crate::naming::RETAG_MARKER.to_string(), "team".to_string()),
    ]);
    let after = BTreeMap::from([("env".to_string(), "prod".to_string())]);
    assert_eq!(changes::map_changes(&before, &after), "~env re-tag team");
}
