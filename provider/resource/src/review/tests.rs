//! Every update path of the resource reviewed from a plan document made the way Terraform
//! makes one (prior state, planned value with the provider's `planned_changes`): the labels it
//! carries and the gate's verdict; then the two renderings of the same plans as snapshots.

use std::collections::BTreeSet;

use serde_json::{json, Value as Json};
use stack_model::plan::{expected_objects, plan_create, plan_update, Risk, KEPT_SETTINGS};
use stack_model::spec::{DnsSpec, NatMode, Secret};
use stack_model::{StackSpec, StackState};
use tfplugin::value::Value;

use super::*;
use crate::stack::convert;

const ADDRESS: &str = "wordpress_ha_stack.site";

fn base() -> StackSpec {
    let mut spec = StackSpec::with_name("site");
    spec.network.availability_zones = Some(vec!["us-east-1a".into(), "us-east-1b".into()]);
    spec.network.nat_gateways = NatMode::Single;
    spec.bastion.enabled = false;
    spec.wordpress.instance_type = "t3.small".into();
    spec.database.instance_class = "db.t3.micro".into();
    spec.database.multi_az = false;
    spec.database.skip_final_snapshot = true;
    spec.database.backup_retention_days = 7;
    spec
}

fn rich() -> StackSpec {
    let mut spec = base();
    spec.network.nat_gateways = NatMode::OnePerAz;
    spec.bastion.enabled = true;
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
    spec.load_balancer.certificate_arn = Some("arn:aws:acm:us-east-1:1:certificate/a".into());
    spec.dns = Some(DnsSpec {
        zone_id: "Z1".into(),
        record_name: "www.example.com".into(),
        allow_overwrite: false,
    });
    spec.database.skip_final_snapshot = false;
    spec
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Null | Value::Unknown => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => json!(f as i64),
            Some(f) => json!(f),
            None => Json::Null,
        },
        Value::String(s) => json!(s),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
        Value::Map(entries) | Value::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

fn stack_json(spec: &StackSpec, planned_changes: Option<Vec<String>>) -> Json {
    let mut value = to_json(&convert::state_value(
        &StackState::new(spec.clone()),
        &Value::Null,
    ));
    if let Some(lines) = planned_changes {
        value["planned_changes"] = json!(lines);
    }
    value
}

/// A stack that has every object its spec implies.
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

/// A `terraform show -json` plan of one stack going from `before` to `after`.
fn plan(before: Option<&StackSpec>, after: Option<&StackSpec>) -> String {
    let (actions, lines) = match (before, after) {
        (None, Some(a)) => (json!(["create"]), plan_create(a).actions),
        (Some(_), None) => (json!(["delete"]), Vec::new()),
        (Some(b), Some(a)) => {
            let planned = plan_update(&existing(b), a);
            if planned.replace.is_empty() {
                (json!(["update"]), planned.actions)
            } else {
                // Terraform plans a replacement's create half from a null prior state.
                (json!(["delete", "create"]), plan_create(a).actions)
            }
        }
        (None, None) => unreachable!("a plan has a side"),
    };
    let lines: Vec<String> = lines.iter().map(|a| a.line()).collect();
    json!({
        "format_version": "0.2",
        "terraform_version": "1.0.3",
        "resource_changes": [{
            "address": ADDRESS,
            "mode": "managed",
            "type": "wordpress_ha_stack",
            "name": "site",
            "change": {
                "actions": actions,
                "before": before.map(|b| stack_json(b, None)),
                "after": after.map(|a| stack_json(a, Some(lines))),
            }
        }]
    })
    .to_string()
}

/// Each update path: a name, its base, the change, and the labels its review must carry.
fn paths() -> Vec<(&'static str, StackSpec, StackSpec, &'static [Risk])> {
    use Risk::{Cost, DataLoss, Downtime};
    let b = base();
    let r = rich();
    let with = |spec: &StackSpec, change: &dyn Fn(&mut StackSpec)| {
        let mut changed = spec.clone();
        change(&mut changed);
        changed
    };
    vec![
        (
            "asg-sizes",
            b.clone(),
            with(&b, &|s| s.autoscaling.max_size = 7),
            &[Cost],
        ),
        (
            "asg-desired",
            b.clone(),
            with(&b, &|s| s.autoscaling.desired_capacity = Some(3)),
            &[Cost],
        ),
        (
            "asg-grace",
            b.clone(),
            with(&b, &|s| s.autoscaling.health_check_grace_period = 600),
            &[],
        ),
        (
            "cpu-target",
            b.clone(),
            with(&b, &|s| s.autoscaling.target_cpu_utilization = 45.0),
            &[],
        ),
        (
            "image",
            b.clone(),
            with(&b, &|s| s.wordpress.image = "wordpress:6.6-apache".into()),
            &[Downtime],
        ),
        (
            "instance-type",
            b.clone(),
            with(&b, &|s| s.wordpress.instance_type = "t3.medium".into()),
            &[Downtime, Cost],
        ),
        (
            "ami",
            b.clone(),
            with(&b, &|s| s.wordpress.ami_id = Some("ami-2".into())),
            &[Downtime],
        ),
        (
            "key-name",
            b.clone(),
            with(&b, &|s| s.wordpress.key_name = Some("ops".into())),
            &[Downtime],
        ),
        (
            "config-extra",
            b.clone(),
            with(&b, &|s| s.wordpress.config_extra = Some("x".into())),
            &[Downtime],
        ),
        (
            "nat-per-zone",
            b.clone(),
            with(&b, &|s| s.network.nat_gateways = NatMode::OnePerAz),
            &[Cost],
        ),
        (
            "nat-single",
            r.clone(),
            with(&r, &|s| s.network.nat_gateways = NatMode::Single),
            &[Cost],
        ),
        (
            "bastion-on",
            b.clone(),
            with(&b, &|s| s.bastion.enabled = true),
            &[Cost],
        ),
        (
            "bastion-off",
            r.clone(),
            with(&r, &|s| s.bastion.enabled = false),
            &[Cost],
        ),
        (
            "bastion-cidrs",
            r.clone(),
            with(&r, &|s| {
                s.bastion.allowed_ssh_cidrs = vec!["198.51.100.0/24".into()]
            }),
            &[],
        ),
        (
            "bastion-type",
            r.clone(),
            with(&r, &|s| s.bastion.instance_type = "t3.small".into()),
            &[Cost],
        ),
        (
            "bastion-key",
            r.clone(),
            with(&r, &|s| s.bastion.key_name = Some("ops".into())),
            &[],
        ),
        (
            "db-class",
            b.clone(),
            with(&b, &|s| s.database.instance_class = "db.t3.small".into()),
            &[Downtime, Cost],
        ),
        (
            "db-engine",
            b.clone(),
            with(&b, &|s| s.database.engine_version = "8.0.36".into()),
            &[Downtime],
        ),
        (
            "db-storage",
            b.clone(),
            with(&b, &|s| s.database.allocated_storage = 30),
            &[Cost],
        ),
        (
            "db-max-storage",
            b.clone(),
            with(&b, &|s| s.database.max_allocated_storage = 200),
            &[],
        ),
        (
            "db-multi-az",
            b.clone(),
            with(&b, &|s| s.database.multi_az = true),
            &[Cost],
        ),
        (
            "db-backups",
            b.clone(),
            with(&b, &|s| s.database.backup_retention_days = 14),
            &[],
        ),
        (
            "db-backups-off",
            b.clone(),
            with(&b, &|s| s.database.backup_retention_days = 0),
            &[Downtime],
        ),
        (
            "db-password",
            b.clone(),
            with(&b, &|s| {
                s.database.password = Some(Secret::new("Rotated-Passw0rd"))
            }),
            &[Downtime],
        ),
        (
            "db-deletion-protection",
            b.clone(),
            with(&b, &|s| s.database.deletion_protection = true),
            &[],
        ),
        (
            "skip-final-snapshot",
            r.clone(),
            with(&r, &|s| s.database.skip_final_snapshot = true),
            &[DataLoss],
        ),
        (
            "keep-final-snapshot",
            b.clone(),
            with(&b, &|s| s.database.skip_final_snapshot = false),
            &[],
        ),
        (
            "efs-throughput",
            b.clone(),
            with(&b, &|s| s.storage.throughput_mode = "bursting".into()),
            &[Cost],
        ),
        (
            "certificate-added",
            b.clone(),
            with(&b, &|s| {
                s.load_balancer.certificate_arn = r.load_balancer.certificate_arn.clone()
            }),
            &[Downtime],
        ),
        (
            "certificate-removed",
            r.clone(),
            with(&r, &|s| s.load_balancer.certificate_arn = None),
            &[Downtime],
        ),
        (
            "certificate-replaced",
            r.clone(),
            with(&r, &|s| {
                s.load_balancer.certificate_arn =
                    Some("arn:aws:acm:us-east-1:1:certificate/b".into())
            }),
            &[Downtime],
        ),
        (
            "health-check-path",
            b.clone(),
            with(&b, &|s| {
                s.load_balancer.health_check_path = "/up.html".into()
            }),
            &[Downtime],
        ),
        (
            "idle-timeout",
            b.clone(),
            with(&b, &|s| s.load_balancer.idle_timeout = 120),
            &[],
        ),
        (
            "deregistration-delay",
            b.clone(),
            with(&b, &|s| s.load_balancer.deregistration_delay = 120),
            &[],
        ),
        (
            "dns-added",
            b.clone(),
            with(&b, &|s| s.dns = r.dns.clone()),
            &[DataLoss, Downtime],
        ),
        (
            "dns-changed",
            r.clone(),
            with(&r, &|s| {
                s.dns
                    .as_mut()
                    .map(|d| d.record_name = "shop.example.com".into())
                    .unwrap_or_default()
            }),
            &[DataLoss, Downtime],
        ),
        (
            "dns-removed",
            r.clone(),
            with(&r, &|s| s.dns = None),
            &[Downtime],
        ),
        (
            "tags",
            b.clone(),
            with(&b, &|s| {
                s.tags.insert("team".into(), "web".into());
            }),
            &[],
        ),
        (
            "vpc-cidr",
            b.clone(),
            with(&b, &|s| s.network.vpc_cidr = "10.9.0.0/16".into()),
            &[DataLoss, Downtime, Cost],
        ),
    ]
}

#[test]
fn every_update_path_carries_its_labels_and_the_gate_follows_them() {
    let mut wrong = Vec::new();
    for (name, before, after, expected) in paths() {
        let review = review_plan(&plan(Some(&before), Some(&after))).expect("reviews");
        let stack = &review.stacks[0];
        let got = stack.risks();
        let expected: BTreeSet<Risk> = expected.iter().copied().collect();
        if got != expected || stack.changes.is_empty() {
            wrong.push(format!(
                "{name}: {got:?}, expected {expected:?}\n{stack:#?}"
            ));
        }
        for gate in [Risk::DataLoss, Risk::Downtime] {
            let stops = !review.gate(&[gate]).is_empty();
            if stops != expected.contains(&gate) {
                wrong.push(format!("{name}: --fail-on {gate} stops: {stops}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_create_and_a_destroy_are_priced_and_a_destroy_loses_data() {
    let spec = rich();
    let created = review_plan(&plan(None, Some(&spec))).expect("reviews");
    assert_eq!(created.stacks[0].action, StackAction::Create);
    assert!(created.stacks[0].risks().contains(&Risk::Cost));
    // Route 53 UPSERT overwrites a record nobody told the stack about.
    assert!(created.gate(&[Risk::DataLoss]) == [Risk::DataLoss]);
    let destroyed = review_plan(&plan(Some(&spec), None)).expect("reviews");
    let stack = &destroyed.stacks[0];
    assert_eq!(stack.action, StackAction::Delete);
    assert_eq!(
        stack.risks(),
        BTreeSet::from([Risk::DataLoss, Risk::Downtime, Risk::Cost])
    );
    assert!(stack.changes[0].detail.contains("final snapshot taken"));
    let (
        CostDelta::Priced {
            monthly_usd: made, ..
        },
        CostDelta::Priced {
            monthly_usd: saved, ..
        },
    ) = (&created.stacks[0].cost, &stack.cost)
    else {
        panic!(
            "us-east-1 is priced: {:?} {:?}",
            created.stacks[0].cost, stack.cost
        );
    };
    assert!(*made > 0.0 && (made + saved).abs() < 1e-6, "{made} {saved}");
}

#[test]
fn a_plan_without_stacks_or_not_a_plan() {
    let review = review_plan(
        r#"{"resource_changes": [{"address": "null_resource.x",
        "mode": "managed", "type": "null_resource", "change": {"actions": ["create"]}}]}"#,
    )
    .expect("reviews");
    assert!(review.stacks.is_empty());
    assert_eq!(review.other_changes, 1);
    assert!(review.gate(&Risk::ALL).is_empty());
    assert!(matches!(
        review_plan(r#"{"values": {}}"#),
        Err(ReviewError::NotAPlan)
    ));
    assert!(matches!(
        review_plan("not json"),
        Err(ReviewError::NotJson(_))
    ));
}

/// A plan touching three stacks: an update with every label, a create, a destroy.
fn mixed_plan() -> String {
    let before = rich();
    let mut after = before.clone();
    after.database.instance_class = "db.t3.small".into();
    after.database.skip_final_snapshot = true;
    after.wordpress.image = "wordpress:6.6-apache".into();
    after.load_balancer.idle_timeout = 120;
    let mut document: Json = serde_json::from_str(&plan(Some(&before), Some(&after))).unwrap();
    let mut eu = base();
    eu.network.availability_zones = Some(vec!["eu-west-1a".into(), "eu-west-1b".into()]);
    for (address, text) in [
        ("wordpress_ha_stack.eu", plan(None, Some(&eu))),
        (
            "module.old.wordpress_ha_stack.site",
            plan(Some(&base()), None),
        ),
    ] {
        let mut other: Json = serde_json::from_str(&text).unwrap();
        other["resource_changes"][0]["address"] = json!(address);
        let change = other["resource_changes"][0].take();
        document["resource_changes"]
            .as_array_mut()
            .expect("changes")
            .push(change);
    }
    document.to_string()
}

#[test]
fn text_review_snapshot() {
    let review = review_plan(&mixed_plan()).expect("reviews");
    insta::assert_snapshot!(render(&review, Format::Text));
}

#[test]
fn markdown_review_snapshot() {
    let review = review_plan(&mixed_plan()).expect("reviews");
    insta::assert_snapshot!(render(&review, Format::Markdown));
}

/// The words of a rendering without its layout and markup.
fn content(rendered: &str) -> Vec<String> {
    rendered
        .lines()
        .map(|line| {
            line.trim()
                .trim_start_matches('#')
                .trim_start_matches("- ")
                .replace(['`', '*', '[', ']'], "")
                .trim()
                .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn markdown_says_what_the_text_says() {
    let review = review_plan(&mixed_plan()).expect("reviews");
    assert_eq!(
        content(&render(&review, Format::Markdown)),
        content(&render(&review, Format::Text))
    );
}
