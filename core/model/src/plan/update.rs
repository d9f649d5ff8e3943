//! An update's plan: replacing changes first (they make every other change moot), then what
//! each tier's changed attributes mean, then what was deleted outside Terraform.

use super::actions::action;
use super::changes::{self, map_changes, TemplateReasons};
use super::expected::missing_objects;
use super::hardening::plan_hardening;
use super::{object, output, ActionKind, Risk, StackPlan};
use crate::error::FieldPath;
use crate::spec::StackSpec;
use crate::state::StackState;

/// Attributes AWS cannot change on a live stack: changing one replaces the whole stack.
pub const REPLACING_FIELDS: [&[&str]; 6] = [
    &["name"],
    &["network", "vpc_cidr"],
    &["network", "availability_zones"],
    &["database", "db_name"],
    &["database", "username"],
    &["storage", "performance_mode"],
];

/// Plan an update from what exists (`prior`) to `desired`.
pub fn plan_update(prior: &StackState, desired: &StackSpec) -> StackPlan {
    let before = &prior.spec;
    let replace = replacing_changes(before, desired);
    if !replace.is_empty() {
        let paths: Vec<String> = replace.iter().map(ToString::to_string).collect();
        let mut replaced = action(
            object::STACK,
            ActionKind::Replace,
            &format!(
                "{} changed: every AWS object is destroyed and created again",
                paths.join(", ")
            ),
        );
        // The database and the file system go with the old stack.
        replaced.risk(Risk::DataLoss).risk(Risk::Downtime);
        return StackPlan {
            actions: vec![replaced],
            replace,
            unknown_outputs: output::ALL.into_iter().collect(),
        };
    }
    let mut plan = StackPlan::default();
    // Why the instances' launch template needs a new version, gathered across the tiers.
    let mut template = TemplateReasons::default();
    changes::plan_network(before, desired, &mut plan);
    changes::plan_bastion(before, desired, &mut plan);
    changes::plan_app(before, desired, &mut plan, &mut template);
    changes::plan_database(before, desired, &mut plan, &mut template);
    changes::plan_storage(before, desired, &mut plan);
    changes::plan_load_balancer(before, desired, &mut plan, &mut template);
    changes::plan_dns(before, desired, &mut plan, &mut template);
    super::waf::plan_waf(before, desired, &mut plan);
    super::site::plan_site(before, desired, &mut template);
    super::alarms::plan_alarms(before, desired, &mut plan);
    super::logs::plan_logs(before, desired, &mut plan, &mut template);
    if before.tags != desired.tags {
        plan.push(
            object::EVERY_OBJECT,
            ActionKind::Update,
            format!("tags {}", map_changes(&before.tags, &desired.tags)),
        );
        template.tags_only_for_instances = true;
    }
    template.plan(&mut plan);
    plan_hardening(prior, desired, &mut plan);
    let missing = missing_objects(prior, desired);
    if !missing.is_empty() {
        plan.push(
            object::STACK,
            ActionKind::Create,
            format!(
                "recreate what was deleted outside Terraform: {}",
                missing.join(", ")
            ),
        )
        .risk(Risk::Cost);
        plan.unknown_outputs.extend(output::ALL);
    }
    plan
}

fn replacing_changes(before: &StackSpec, after: &StackSpec) -> Vec<FieldPath> {
    let mut paths = Vec::new();
    let mut check = |changed: bool, path: &[&str]| {
        if changed {
            paths.push(FieldPath::attrs(path));
        }
    };
    check(before.name != after.name, REPLACING_FIELDS[0]);
    check(
        before.network.vpc_cidr != after.network.vpc_cidr,
        REPLACING_FIELDS[1],
    );
    check(
        before.network.availability_zones != after.network.availability_zones,
        REPLACING_FIELDS[2],
    );
    check(
        before.database.db_name != after.database.db_name,
        REPLACING_FIELDS[3],
    );
    check(
        before.database.username != after.database.username,
        REPLACING_FIELDS[4],
    );
    check(
        before.storage.performance_mode != after.storage.performance_mode,
        REPLACING_FIELDS[5],
    );
    paths
}
