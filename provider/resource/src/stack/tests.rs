//! Tests of the stack glue: the rules Terraform enforces on plans and applies, checked on the
//! values this module produces.

use std::collections::BTreeMap;

use stack_model::plan::{plan_create, StackPlan};
use stack_model::spec::{DnsSpec, NatMode, Secret, StackSpec};
use stack_model::state::StackState;
use tfplugin::codec;
use tfplugin::value::Value;

use super::convert::{spec_from_value, state_value};
use super::planning::{
    fill_unknowns, overlay_observed, plan_computed, plan_configurable, PlanContext,
};
use super::schema::resource;
use super::to_schema::resource_schema;

fn zones() -> Vec<String> {
    vec!["us-east-1a".into(), "us-east-1b".into()]
}

/// A configuration as Terraform sends it: every attribute present, unset ones null, GROUP
/// blocks present with null attributes.
fn config(name: &str) -> Value {
    let def = resource();
    let mut top: BTreeMap<String, Value> = def
        .attributes
        .iter()
        .map(|a| (a.name.to_string(), Value::Null))
        .collect();
    for block in &def.blocks {
        let fields = block.attributes.iter().map(|a| (a.name, Value::Null));
        top.insert(block.name.into(), Value::object_of(fields));
    }
    top.insert("name".into(), Value::from(name));
    top.insert("dns".into(), Value::Null);
    top.insert("timeouts".into(), Value::Null);
    Value::object(top)
}

fn set(value: &mut Value, block: &str, attr: &str, new: Value) {
    if let Some(b) = value.attr_mut(block) {
        b.set_attr(attr, new);
    }
}

fn plan(config: &Value, prior: &Value) -> Value {
    let def = resource();
    let ctx = PlanContext {
        prior,
        default_zones: Some(zones()),
    };
    let mut planned = plan_configurable(&def, config, &ctx);
    let (spec, _, _) = spec_from_value(&planned);
    let plan = if prior.is_null() {
        plan_create(&spec)
    } else {
        StackPlan::default()
    };
    let name = planned.attr("name").clone();
    plan_computed(&def, &mut planned, prior, &plan, &name);
    planned
}

#[test]
fn create_plan_fills_every_default_and_leaves_apply_values_unknown() {
    let planned = plan(&config("blog"), &Value::Null);
    assert_eq!(
        planned.attr("network").attr("vpc_cidr"),
        &Value::from("10.0.0.0/16")
    );
    assert_eq!(
        planned.attr("network").attr("nat_gateways"),
        &Value::from("one_per_az")
    );
    assert_eq!(
        planned.attr("network").attr("availability_zones"),
        &Value::list(["us-east-1a", "us-east-1b"])
    );
    assert_eq!(
        planned.attr("bastion").attr("allowed_ssh_cidrs"),
        &Value::List(Vec::new())
    );
    assert_eq!(
        planned.attr("autoscaling").attr("min_size"),
        &Value::from(2i64)
    );
    // A password the configuration leaves out is generated at apply and kept out of the state.
    assert!(planned.attr("database").attr("password").is_null());
    assert!(planned.attr("wordpress").attr("ami_id").is_unknown());
    assert!(planned.attr("vpc_id").is_unknown());
    assert_eq!(planned.attr("id"), &Value::from("blog"));
    // Non-computed optional attributes stay null, blocks that may be absent stay absent.
    assert!(planned.attr("tags").is_null());
    assert!(planned.attr("wordpress").attr("key_name").is_null());
    assert!(planned.attr("dns").is_null());
}

#[test]
fn configured_values_are_planned_exactly_as_written() {
    let mut cfg = config("blog");
    cfg.set_attr("tags", Value::map(Vec::<(String, Value)>::new()));
    set(
        &mut cfg,
        "network",
        "availability_zones",
        Value::list(["us-east-1c", "us-east-1a"]),
    );
    set(
        &mut cfg,
        "autoscaling",
        "target_cpu_utilization",
        Value::from(42.5),
    );
    let planned = plan(&cfg, &Value::Null);
    assert_eq!(planned.attr("tags"), cfg.attr("tags"));
    assert_eq!(
        planned.attr("network").attr("availability_zones"),
        &Value::list(["us-east-1c", "us-east-1a"])
    );
    assert_eq!(
        planned.attr("autoscaling").attr("target_cpu_utilization"),
        &Value::from(42.5)
    );
}

#[test]
fn update_keeps_values_apply_resolved_and_nulls_apply_left_null() {
    let prior = {
        let mut p = plan(&config("blog"), &Value::Null);
        set(
            &mut p,
            "wordpress",
            "ami_id",
            Value::from("ami-0123456789abcdef0"),
        );
        set(&mut p, "autoscaling", "desired_capacity", Value::Null);
        p
    };
    let planned = plan(&config("blog"), &prior);
    assert_eq!(
        planned.attr("wordpress").attr("ami_id"),
        &Value::from("ami-0123456789abcdef0")
    );
    assert!(planned.attr("database").attr("password").is_null());
    assert!(planned
        .attr("autoscaling")
        .attr("desired_capacity")
        .is_null());
}

#[test]
fn fill_unknowns_keeps_every_planned_known_value_and_leaves_no_unknown() {
    let planned = plan(&config("blog"), &Value::Null);
    let mut spec = StackSpec::with_name("blog");
    spec.network.availability_zones = Some(zones());
    spec.wordpress.ami_id = Some("ami-0123456789abcdef0".into());
    spec.database.password = Some(Secret::new("from-apply"));
    // Apply observed something different for a planned known value: the plan must win.
    spec.network.vpc_cidr = "10.99.0.0/16".into();
    let mut state = StackState::new(spec);
    state.outputs.vpc_id = Some("vpc-1".into());
    state.resources.insert("vpc".into(), "vpc-1".into());
    let actual = state_value(&state, &Value::Null);
    let result = fill_unknowns(&planned, &actual);
    assert!(result.is_wholly_known());
    assert_eq!(
        result.attr("network").attr("vpc_cidr"),
        &Value::from("10.0.0.0/16")
    );
    assert_eq!(result.attr("vpc_id"), &Value::from("vpc-1"));
    assert!(
        result.attr("database").attr("password").is_null(),
        "the password apply generated never reaches the state"
    );
    assert!(result.attr("bastion_public_ip").is_null());
}

#[test]
fn refresh_reports_drift_but_never_invents_it() {
    let mut spec = StackSpec::with_name("blog");
    spec.network.availability_zones = Some(zones());
    let state = StackState::new(spec.clone());
    let mut prior = state_value(&state, &Value::Null);
    prior.set_attr("tags", Value::map(Vec::<(String, Value)>::new()));

    let same = overlay_observed(&resource(), &prior, &state_value(&state, &Value::Null));
    assert_eq!(
        same, prior,
        "an unchanged stack must refresh to the same value"
    );

    let mut drifted = state.clone();
    drifted.spec.autoscaling.min_size = 5;
    drifted.spec.network.nat_gateways = NatMode::Single;
    let refreshed = overlay_observed(&resource(), &prior, &state_value(&drifted, &Value::Null));
    assert_eq!(
        refreshed.attr("autoscaling").attr("min_size"),
        &Value::from(5i64)
    );
    assert_eq!(
        refreshed.attr("network").attr("nat_gateways"),
        &Value::from("single")
    );
}

#[test]
fn state_values_round_trip_through_the_spec() {
    let mut spec = StackSpec::with_name("shop");
    spec.tags = BTreeMap::from([("env".into(), "prod".into())]);
    spec.network.availability_zones = Some(zones());
    spec.network.nat_gateways = NatMode::Single;
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
    spec.wordpress.config_extra = Some("define('WP_DEBUG', false);".into());
    spec.autoscaling.desired_capacity = Some(3);
    spec.database.password = Some(Secret::new("p4ssw0rd-long"));
    spec.storage.provisioned_throughput_mibps = Some(128.0);
    spec.dns = Some(DnsSpec {
        zone_id: "Z0123456789ABC".into(),
        record_name: "shop.example.com".into(),
        allow_overwrite: false,
    });
    let value = state_value(&StackState::new(spec.clone()), &Value::Null);
    let (back, unresolved, errors) = spec_from_value(&value);
    assert!(unresolved.is_empty() && errors.is_empty());
    // Everything but the password, which a state value never carries from the core.
    assert!(back.database.password.is_none());
    spec.database.password = None;
    assert_eq!(back, spec);
}

#[test]
fn every_value_this_module_builds_encodes_with_the_schema_type() {
    let ty = resource_schema(&resource()).value_type();
    let planned = plan(&config("blog"), &Value::Null);
    let state = state_value(&StackState::new(StackSpec::with_name("blog")), &Value::Null);
    for value in [&planned, &state] {
        let bytes = codec::encode_msgpack(value, &ty).expect("encodes");
        let back = codec::decode_msgpack(&bytes, &ty).expect("decodes");
        assert_eq!(&back, value);
    }
}

#[test]
fn unknown_config_values_are_not_validated() {
    let mut cfg = config("blog");
    set(&mut cfg, "network", "vpc_cidr", Value::Unknown);
    let (_, unresolved, _) = spec_from_value(&cfg);
    let path = stack_model::FieldPath::attrs(&["network", "vpc_cidr"]);
    assert!(unresolved.covers(&path));
    assert!(!unresolved.covers(&stack_model::FieldPath::attrs(&["network", "nat_gateways"])));
}

#[test]
fn new_stacks_get_mysql_8_4_and_existing_ones_keep_8_0_with_a_warning() {
    let created = plan(&config("blog"), &Value::Null);
    assert_eq!(
        created.attr("database").attr("engine_version"),
        &Value::from("8.4")
    );
    assert!(super::planning::advice(&created).is_empty());

    let mut old = StackSpec::with_name("blog");
    old.database.engine_version = "8.0".into();
    old.database.password = Some(Secret::new("Corr3ct-Horse"));
    let prior = state_value(&StackState::new(old), &Value::Null);
    let updated = plan(&config("blog"), &prior);
    assert_eq!(
        updated.attr("database").attr("engine_version"),
        &Value::from("8.0"),
        "a stack made with the earlier default keeps it"
    );
    let warnings = super::planning::advice(&updated);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].summary.contains("Extended Support"));

    let mut asked = config("blog");
    set(&mut asked, "database", "engine_version", Value::from("8.4"));
    assert_eq!(
        plan(&asked, &prior).attr("database").attr("engine_version"),
        &Value::from("8.4"),
        "until the configuration says otherwise"
    );
}

#[test]
fn a_destroy_that_skips_the_final_snapshot_is_warned_about() {
    let mut spec = StackSpec::with_name("blog");
    spec.database.password = Some(Secret::new("Corr3ct-Horse"));
    let keeps = state_value(&StackState::new(spec.clone()), &Value::Null);
    assert!(super::planning::destroy_advice(&keeps).is_empty());
    spec.database.skip_final_snapshot = true;
    let skips = state_value(&StackState::new(spec), &Value::Null);
    let warnings = super::planning::destroy_advice(&skips);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].summary.contains("without a final snapshot"));
}
