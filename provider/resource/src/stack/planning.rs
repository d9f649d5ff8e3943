//! Schema-driven walks over the resource's value: filling defaults into a plan, filling a plan's
//! unknowns from what apply produced, and laying refreshed values over a prior state.
//!
//! These work on `Value`s rather than on `StackSpec` so that whatever the configuration says is
//! planned exactly as written (an empty map stays an empty map), as Terraform requires.

use std::collections::BTreeMap;

use stack_model::plan::StackPlan;
use tfplugin::value::Value;

use super::schema::{AttrDef, AttrType, Default, Mode, Nesting, ResourceDef, PLANNED_CHANGES};

/// What planning knows beyond the configuration.
pub struct PlanContext<'a> {
    /// The prior state; `Null` on create.
    pub prior: &'a Value,
    /// The region's default zones (its first two), when they could be listed.
    pub default_zones: Option<Vec<String>>,
}

/// The planned value of every configurable attribute: the configuration's value, else the
/// default, else (for attributes only apply can know) the prior value or unknown.
pub fn plan_configurable(def: &ResourceDef, config: &Value, ctx: &PlanContext<'_>) -> Value {
    let mut top = BTreeMap::new();
    for attr in def.attributes.iter().filter(|a| a.mode != Mode::Computed) {
        let planned = plan_attribute(None, attr, config.attr(attr.name), ctx);
        top.insert(attr.name.to_string(), planned);
    }
    for block in &def.blocks {
        let block_config = config.attr(block.name);
        let planned = match block.nesting {
            Nesting::Single if block_config.is_null() => Value::Null,
            Nesting::Single | Nesting::Group => {
                let fields: BTreeMap<String, Value> = block
                    .attributes
                    .iter()
                    .map(|attr| {
                        let value = plan_attribute(
                            Some(block.name),
                            attr,
                            block_config.attr(attr.name),
                            ctx,
                        );
                        (attr.name.to_string(), value)
                    })
                    .collect();
                Value::object(fields)
            }
        };
        top.insert(block.name.to_string(), planned);
    }
    Value::object(top)
}

fn plan_attribute(
    block: Option<&str>,
    attr: &AttrDef,
    config: &Value,
    ctx: &PlanContext<'_>,
) -> Value {
    if !config.is_null() || attr.mode != Mode::OptionalComputed {
        return config.clone();
    }
    let prior = match block {
        Some(block) => ctx.prior.attr(block).attr(attr.name),
        None => ctx.prior.attr(attr.name),
    };
    if let Some(default) = attr.default {
        if attr.default_on_create && !prior.is_null() {
            return prior.clone();
        }
        return default_value(default);
    }
    if !prior.is_null() {
        return prior.clone();
    }
    if !ctx.prior.is_null() {
        // On update a value apply left null stays null: an unset desired capacity belongs to
        // the group, and an imported password cannot be read back. Planning a change nobody
        // asked for would make every plan noisy.
        return Value::Null;
    }
    match (block, attr.name) {
        (Some("network"), "availability_zones") => match &ctx.default_zones {
            Some(zones) => Value::list(zones.iter().map(String::as_str)),
            None => Value::Unknown,
        },
        _ => Value::Unknown,
    }
}

pub fn default_value(default: Default) -> Value {
    match default {
        Default::Str(s) => Value::from(s),
        Default::Int(n) => Value::from(n),
        Default::Float(f) => Value::from(f),
        Default::Bool(b) => Value::from(b),
        Default::EmptyList => Value::List(Vec::new()),
    }
}

/// Add the computed attributes to a planned value: prior values where the plan keeps them,
/// unknown where only apply will know, and the plan's actions for reviewers.
pub fn plan_computed(
    def: &ResourceDef,
    planned: &mut Value,
    prior: &Value,
    plan: &StackPlan,
    name: &Value,
) {
    for attr in def.attributes.iter().filter(|a| a.mode == Mode::Computed) {
        let value = match attr.name {
            "id" => name.clone(),
            PLANNED_CHANGES if prior.is_null() || !plan.is_noop() => planned_changes(plan),
            _ if prior.is_null() || plan.unknown_outputs.contains(attr.name) => Value::Unknown,
            _ => prior.attr(attr.name).clone(),
        };
        planned.set_attr(attr.name, value);
    }
}

/// One line per sub-resource action, with what it risks:
/// `update ASG: instance refresh to the new launch template version (keeps 90% healthy) [downtime]`.
fn planned_changes(plan: &StackPlan) -> Value {
    Value::list(plan.actions.iter().map(|a| a.line()))
}

/// Desired capacity is the group's own when not configured: a size change may move it.
pub fn unknown_if_sizes_changed(planned: &mut Value, prior: &Value, config: &Value) {
    let config_desired = config.attr("autoscaling").attr("desired_capacity");
    if !config_desired.is_null() || prior.is_null() {
        return;
    }
    let sizes = |v: &Value| {
        let block = v.attr("autoscaling");
        (
            block.attr("min_size").clone(),
            block.attr("max_size").clone(),
        )
    };
    if sizes(planned) != sizes(prior) {
        set_nested(planned, "autoscaling", "desired_capacity", Value::Unknown);
    }
}

/// Replace every unknown in `planned` by the value apply produced (`actual`), keeping every
/// known planned value as it is: Terraform requires them back unchanged.
pub fn fill_unknowns(planned: &Value, actual: &Value) -> Value {
    match planned {
        Value::Unknown => strip_unknowns(actual),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), fill_unknowns(v, actual.attr(k))))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn strip_unknowns(value: &Value) -> Value {
    if value.is_wholly_known() {
        value.clone()
    } else {
        Value::Null
    }
}

/// Lay the refreshed values (`observed`) over the prior state: an attribute takes the observed
/// value when it differs in substance, so the next plan shows (and repairs) the drift. Empty and
/// null collections count as equal, so a refresh never invents a diff.
pub fn overlay_observed(def: &ResourceDef, prior: &Value, observed: &Value) -> Value {
    let mut result = prior.clone();
    // `planned_changes` describes the last plan, not AWS: a refresh leaves it alone.
    for attr in def.attributes.iter().filter(|a| a.name != PLANNED_CHANGES) {
        let (p, o) = (prior.attr(attr.name), observed.attr(attr.name));
        if differs(attr, p, o) {
            result.set_attr(attr.name, o.clone());
        }
    }
    for block in &def.blocks {
        if block.name == "timeouts" {
            continue;
        }
        let (p, o) = (prior.attr(block.name), observed.attr(block.name));
        if p.is_null() || o.is_null() {
            if p.is_null() != o.is_null() {
                result.set_attr(block.name, o.clone());
            }
            continue;
        }
        for attr in block.attributes.iter().filter(|a| !a.config_only) {
            let (pa, oa) = (p.attr(attr.name), o.attr(attr.name));
            if differs(attr, pa, oa) {
                set_nested(&mut result, block.name, attr.name, oa.clone());
            }
        }
    }
    result
}

fn differs(attr: &AttrDef, prior: &Value, observed: &Value) -> bool {
    let empty = |v: &Value| match attr.ty {
        AttrType::StringList => v.is_null() || v.as_list().is_some_and(|l| l.is_empty()),
        AttrType::StringMap => v.is_null() || v.as_map().is_some_and(|m| m.is_empty()),
        _ => v.is_null(),
    };
    if empty(prior) && empty(observed) {
        return false;
    }
    match (prior.as_f64(), observed.as_f64()) {
        (Some(a), Some(b)) => a != b,
        _ => prior != observed,
    }
}

/// Set `block.attribute` in an object value whose block is an object.
fn set_nested(value: &mut Value, block: &str, attribute: &str, new: Value) {
    if let Some(block) = value.attr_mut(block) {
        block.set_attr(attribute, new);
    }
}

/// Warnings a plan carries without failing: a database on MySQL 8.0, which runs on paid RDS
/// Extended Support.
pub fn advice(planned: &Value) -> Vec<tfplugin::diagnostics::Diagnostic> {
    let (spec, _, _) = super::convert::spec_from_value(planned);
    stack_model::validate::extended_support_warning(&spec.database)
        .into_iter()
        .map(|warning| {
            tfplugin::diagnostics::Diagnostic::warning(warning.summary, warning.detail)
                .with_path(super::diagnose::attribute_path(&warning.path))
        })
        .collect()
}

/// Warnings of a planned destroy: the database goes without a final snapshot.
pub fn destroy_advice(prior: &Value) -> Vec<tfplugin::diagnostics::Diagnostic> {
    let skips = prior.attr("database").attr("skip_final_snapshot").as_bool() == Some(true);
    if !skips {
        return Vec::new();
    }
    vec![tfplugin::diagnostics::Diagnostic::warning(
        "The database will be deleted without a final snapshot",
        "database.skip_final_snapshot is true: destroying this stack deletes the RDS instance and its automated backups for good. To keep one, set skip_final_snapshot = false and apply before destroying.",
    )
    .with_path(
        tfplugin::diagnostics::AttributePath::root()
            .attr("database")
            .attr("skip_final_snapshot"),
    )]
}
