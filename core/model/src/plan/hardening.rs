//! Settings the stack always keeps and the configuration does not name: the EFS file system
//! policy denying access without TLS, the DB parameter group requiring TLS and the
//! descriptions of the security groups' rules. A refresh
//! records each (`StackState::resources`) only while it is in place, so one missing from the
//! prior state is planned back, whether it was removed outside Terraform or the stack was
//! made by a provider version without it.

use super::{object, output, ActionKind, StackPlan};
use crate::engine_version;
use crate::spec::StackSpec;
use crate::state::{logical, StackState};

/// The `StackState::resources` names of the settings every applied stack keeps, beside
/// [`super::expected_objects`] (which lists objects, and whose losses read as deletions).
pub const KEPT_SETTINGS: [&str; 3] = [
    logical::EFS_FILE_SYSTEM_POLICY,
    logical::DB_PARAMETER_GROUP,
    logical::SECURITY_GROUP_RULE_DESCRIPTIONS,
];

/// Plan back the settings a refreshed state lacks. (A new major version's parameter
/// group is part of the database's modification: `changes::plan_database`.)
pub(super) fn plan_hardening(prior: &StackState, desired: &StackSpec, plan: &mut StackPlan) {
    let has = |name: &str| prior.resources.contains_key(name);
    let has_groups = prior
        .resources
        .keys()
        .any(|k| k.starts_with(&format!("{}:", logical::SECURITY_GROUP)));
    if has_groups && !has(logical::SECURITY_GROUP_RULE_DESCRIPTIONS) {
        plan.push(
            object::SECURITY_GROUPS,
            ActionKind::Update,
            "rule descriptions saying what each rule lets in and why (absent or changed outside the stack; updated in place)",
        );
        plan.unknown_outputs.insert(output::RESOURCES);
    }
    if has(logical::EFS_FILE_SYSTEM) && !has(logical::EFS_FILE_SYSTEM_POLICY) {
        plan.push(
            object::EFS,
            ActionKind::Update,
            "file system policy denying access without TLS (absent or changed outside the stack)",
        );
        plan.unknown_outputs.insert(output::RESOURCES);
    }
    if has(logical::DB_INSTANCE) && !has(logical::DB_PARAMETER_GROUP) {
        let family = engine_version::parameter_group_family(&desired.database.engine_version);
        plan.push(
            object::RDS,
            ActionKind::Update,
            format!(
                "parameter group {family} requiring TLS from clients (require_secure_transport = ON; a new group takes effect at the instance's next reboot, which the provider does not make)"
            ),
        );
        plan.unknown_outputs.insert(output::RESOURCES);
    }
}
