//! Settings the stack always keeps and the configuration does not name: the EFS file system
//! policy denying access without TLS and the DB parameter group requiring TLS. A refresh
//! records each (`StackState::resources`) only while it is in place, so one missing from the
//! prior state is planned back, whether it was removed outside Terraform or the stack was
//! made by a provider version without it.

use super::{object, output, ActionKind, StackPlan};
use crate::engine_version;
use crate::spec::StackSpec;
use crate::state::{logical, StackState};

/// The `StackState::resources` names of the settings every applied stack keeps, beside
/// [`super::expected_objects`] (which lists objects, and whose losses read as deletions).
pub const KEPT_SETTINGS: [&str; 2] = [logical::EFS_FILE_SYSTEM_POLICY, logical::DB_PARAMETER_GROUP];

/// Plan back the TLS settings a refreshed state lacks, and a new parameter group when the
/// engine's major version (its parameter group family) changes.
pub(super) fn plan_hardening(prior: &StackState, desired: &StackSpec, plan: &mut StackPlan) {
    let has = |name: &str| prior.resources.contains_key(name);
    if has(logical::EFS_FILE_SYSTEM) && !has(logical::EFS_FILE_SYSTEM_POLICY) {
        plan.push(
            object::EFS,
            ActionKind::Update,
            "file system policy denying access without TLS (absent or changed outside the stack)",
        );
        plan.unknown_outputs.insert(output::RESOURCES);
    }
    let family =
        |spec: &StackSpec| engine_version::parameter_group_family(&spec.database.engine_version);
    let new_family = family(&prior.spec) != family(desired);
    if has(logical::DB_INSTANCE) && (new_family || !has(logical::DB_PARAMETER_GROUP)) {
        plan.push(
            object::RDS,
            ActionKind::Update,
            format!(
                "parameter group {} requiring TLS from clients (require_secure_transport = ON; a new group takes effect at the instance's next reboot, which the provider does not make)",
                family(desired)
            ),
        );
        plan.unknown_outputs.insert(output::RESOURCES);
    }
}
