//! The estimate against hand-computed figures from the table.

use super::*;
use crate::spec::StackSpec;

fn spec(zones: &[&str]) -> StackSpec {
    let mut spec = StackSpec::with_name("blog");
    spec.network.availability_zones = Some(zones.iter().map(|z| z.to_string()).collect());
    // Explicit, so the figures below do not move with the defaults.
    spec.wordpress.instance_type = "t3.small".into();
    spec.database.instance_class = "db.t3.micro".into();
    spec.database.multi_az = false;
    spec
}

fn priced(delta: CostDelta) -> f64 {
    match delta {
        CostDelta::Priced { monthly_usd, .. } => monthly_usd,
        CostDelta::NoPrice { reason } => panic!("no price: {reason}"),
    }
}

#[test]
fn zones_name_their_region() {
    assert_eq!(region_of_zone("us-east-1a"), Some("us-east-1"));
    assert_eq!(region_of_zone("eu-central-1c"), Some("eu-central-1"));
    assert_eq!(region_of_zone("us-east-1"), None);
    assert_eq!(
        region_of(&spec(&["eu-west-1a", "eu-west-1b"])).as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(region_of(&spec(&["eu-west-1a", "us-east-1b"])), None);
}

#[test]
fn a_db_class_change_costs_the_difference_in_hours() {
    let before = spec(&["us-east-1a", "us-east-1b"]);
    let mut after = before.clone();
    after.database.instance_class = "db.t3.small".into();
    let expected = (0.034 - 0.017) * HOURS_PER_MONTH;
    assert!((priced(delta(Some(&before), Some(&after))) - expected).abs() < 1e-9);
    assert_eq!(format_monthly(expected), "+$12.41/month");
}

#[test]
fn multi_az_doubles_the_database_and_its_storage() {
    let before = spec(&["us-east-1a", "us-east-1b"]);
    let mut after = before.clone();
    after.database.multi_az = true;
    let single = 0.017 * HOURS_PER_MONTH + 0.115 * before.database.allocated_storage as f64;
    let change = priced(delta(Some(&before), Some(&after)));
    let expected = single;
    assert!((change - expected).abs() < 1e-9, "{change} vs {expected}");
}

#[test]
fn nat_gateways_and_instances_are_counted() {
    let mut before = spec(&["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    before.network.nat_gateways = NatMode::Single;
    let mut after = before.clone();
    after.network.nat_gateways = NatMode::OnePerAz;
    let nat = priced(delta(Some(&before), Some(&after)));
    assert!((nat - 2.0 * 0.048 * HOURS_PER_MONTH).abs() < 1e-9);

    let mut bigger = before.clone();
    bigger.autoscaling.desired_capacity = Some(app_instances(&before) + 2);
    let app = priced(delta(Some(&before), Some(&bigger)));
    assert!((app - 2.0 * 0.0228 * HOURS_PER_MONTH).abs() < 1e-9, "{app}");
}

#[test]
fn a_new_stack_costs_everything_and_a_deleted_one_saves_it() {
    let spec = spec(&["us-east-1a", "us-east-1b"]);
    let whole = priced(delta(None, Some(&spec)));
    assert!(whole > 100.0, "{whole}");
    assert!((priced(delta(Some(&spec), None)) + whole).abs() < 1e-9);
}

#[test]
fn an_uncovered_region_or_type_has_no_price() {
    let before = spec(&["ap-south-1a", "ap-south-1b"]);
    let CostDelta::NoPrice { reason } = delta(Some(&before), Some(&before)) else {
        panic!("ap-south-1 is not in the table");
    };
    assert!(reason.starts_with("no price for ap-south-1"), "{reason}");

    let before = spec(&["us-east-1a", "us-east-1b"]);
    let mut after = before.clone();
    after.wordpress.instance_type = "x2iedn.32xlarge".into();
    let CostDelta::NoPrice { reason } = delta(Some(&before), Some(&after)) else {
        panic!("x2iedn is not in the table");
    };
    assert_eq!(reason, "no price for EC2 x2iedn.32xlarge in us-east-1");
}

#[test]
fn amounts_read_as_signed_dollars() {
    assert_eq!(format_monthly(-0.5), "-$0.50/month");
    assert_eq!(format_monthly(0.001), "$0.00/month");
    assert_eq!(format_monthly(1234.567), "+$1234.57/month");
}

#[test]
fn the_web_acl_costs_five_dollars_and_one_per_rule() {
    let before = spec(&["us-east-1a", "us-east-1b"]);
    let mut after = before.clone();
    after.waf.enabled = false;
    let saved = priced(delta(Some(&before), Some(&after)));
    assert!((saved + (5.0 + 5.0 * 1.0)).abs() < 1e-9, "{saved}");
    assert_eq!(format_monthly(saved), "-$10.00/month");
}

#[test]
fn alarms_cost_ten_cents_each() {
    let before = spec(&["us-east-1a", "us-east-1b"]);
    let mut after = before.clone();
    after.alarms.enabled = false;
    let saved = priced(delta(Some(&before), Some(&after)));
    assert!((saved + 8.0 * 0.10).abs() < 1e-9, "{saved}");
    assert_eq!(format_monthly(saved), "-$0.80/month");
}
