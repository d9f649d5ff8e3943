//! The stack's DB parameter group: `require_secure_transport = ON`, so MySQL refuses every
//! client that does not use TLS. The default group of a family is read-only, hence a group of
//! the stack's own, `<name>-mysql<major><minor>`, of the family of the engine the instance
//! runs (`mysql8.0`, `mysql8.4`).
//!
//! It is created before the instance and named at create; an instance without it (a stack
//! from before, a change outside Terraform) gets it through ModifyDBInstance, which RDS applies
//! at the next reboot: the apply warns and never reboots. A major version upgrade names the
//! new family's group in the same ModifyDBInstance (RDS refuses the upgrade of an instance on a
//! custom group without one). Deleted after the instance.

use std::sync::Arc;

use super::StepContext;
use super::{instance_identifier, tag_sync};
use crate::aws::rds::{self, DbInstance};
use crate::engine_version::{self, Standing};
use crate::error::Result;
use crate::state::logical;
use crate::wait;

/// The MySQL variable that refuses connections without TLS.
pub const REQUIRE_SECURE_TRANSPORT: &str = "require_secure_transport";
/// Every family a stack's group may have, so a destroy finds each group the stack made.
pub const FAMILIES: [&str; 2] = ["mysql8.0", "mysql8.4"];
/// RDS's word for a group association that waits for a reboot.
pub const PENDING_REBOOT: &str = "pending-reboot";

/// `<name>-mysql84`: parameter group names take no dots.
pub fn group_name(stack: &str, family: &str) -> String {
    format!("{stack}-{}", family.replace('.', ""))
}

/// Whether a group name is one of the stack's (any family).
pub fn is_stack_group(stack: &str, name: &str) -> bool {
    FAMILIES
        .iter()
        .any(|family| group_name(stack, family) == name)
}

/// Whether a parameter's value turns it on (RDS shows booleans as `ON` or `1`).
pub fn is_on(value: Option<&String>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("on") || v == "1")
}

/// The family of the engine the instance will run: the spec's, or the running one's when RDS
/// (or someone) already upgraded past the spec, since a newer engine is kept.
pub fn wanted_family(spec_version: &str, running: Option<&DbInstance>) -> String {
    match running {
        Some(db)
            if engine_version::standing(&db.engine_version, spec_version) == Standing::Above =>
        {
            engine_version::parameter_group_family(&db.engine_version)
        }
        _ => engine_version::parameter_group_family(spec_version),
    }
}

/// Create (or adopt and retag) the group of the wanted family and make it require TLS.
pub(super) async fn converge_group(ctx: &Arc<StepContext>) -> Result<()> {
    let running =
        rds::describe_db_instance(&ctx.clients, &instance_identifier(ctx.stack())).await?;
    let family = wanted_family(&ctx.spec().database.engine_version, running.as_ref());
    let name = group_name(ctx.stack(), &family);
    match rds::describe_db_parameter_group(&ctx.clients, &name).await? {
        Some(group) => {
            if let Some(arn) = &group.arn {
                let observed = rds::tags_of(&ctx.clients, arn).await?;
                let changes = tag_sync::changes_for(ctx, arn, &observed, &name);
                rds::retag(&ctx.clients, arn, &changes.set, &changes.remove).await?;
            }
        }
        None => {
            let tags = tag_sync::wanted(ctx, &name);
            let description = format!("TLS required for the WordPress stack {}", ctx.stack());
            let created =
                rds::create_db_parameter_group(&ctx.clients, &name, &family, &description, &tags)
                    .await;
            match created {
                // A create whose answer was lost and was sent again: the first call made it.
                Err(error) if crate::aws::already_exists(&error) => {}
                outcome => {
                    outcome?;
                }
            }
            tracing::info!(parameter_group = %name, %family, "created DB parameter group");
        }
    }
    // Owned from now on, whether or not the setting below goes through: a failure must not
    // lose the group (a refresh records it only once it requires TLS).
    ctx.record(logical::DB_PARAMETER_GROUP, &name);
    let values = rds::user_parameters(&ctx.clients, &name).await?;
    if !is_on(values.get(REQUIRE_SECURE_TRANSPORT)) {
        tracing::info!(parameter_group = %name, "requiring TLS in the DB parameter group");
        rds::set_parameters(&ctx.clients, &name, &[(REQUIRE_SECURE_TRANSPORT, "ON")]).await?;
    }
    Ok(())
}

/// The group the instance should name, when it names another.
pub(super) fn group_change(observed: &DbInstance, wanted: &str) -> Option<String> {
    let named = observed.parameter_groups.iter().any(|g| g.name == wanted);
    (!named).then(|| wanted.to_string())
}

/// Warn when the instance's group waits for a reboot to take effect.
pub(super) fn warn_if_pending_reboot(ctx: &StepContext, db: &DbInstance) {
    let pending = db
        .parameter_groups
        .iter()
        .find(|g| g.apply_status == PENDING_REBOOT && is_stack_group(ctx.stack(), &g.name));
    if let Some(group) = pending {
        let detail = format!(
            "DB instance {} now names the parameter group {}, which requires TLS from clients, and RDS applies it at the instance's next reboot (status pending-reboot). The provider does not reboot a database by itself: reboot it in a maintenance window (aws rds reboot-db-instance --db-instance-identifier {}; with Multi-AZ, --force-failover keeps the outage to the failover).",
            db.identifier, group.name, db.identifier
        );
        ctx.update_state(|state| {
            state.warn("The database requires TLS after its next reboot", detail)
        });
    }
}

/// After a move to another family's group, delete the group left behind; one still in use
/// (RDS has not let go of it yet) stays for the destroy.
pub(super) async fn delete_replaced(ctx: &StepContext, previous: &[String], current: &str) {
    for name in previous
        .iter()
        .filter(|name| *name != current && is_stack_group(ctx.stack(), name))
    {
        match rds::delete_db_parameter_group(&ctx.clients, name).await {
            Ok(()) => {
                tracing::info!(parameter_group = %name, "deleted the replaced DB parameter group")
            }
            Err(error) => {
                tracing::info!(parameter_group = %name, %error, "the replaced DB parameter group stays until the destroy")
            }
        }
    }
}

/// Delete every group the stack may have made, once the instance is gone.
pub(super) async fn delete_groups(ctx: &Arc<StepContext>) -> Result<()> {
    for family in FAMILIES {
        let name = group_name(ctx.stack(), family);
        wait::retrying(
            ctx.bounds(),
            &format!("delete DB parameter group {name}"),
            rds::is_in_use,
            || rds::delete_db_parameter_group(&ctx.clients, &name),
        )
        .await?;
    }
    ctx.forget(logical::DB_PARAMETER_GROUP);
    Ok(())
}

/// The group a refresh expects the instance to name, from the state it starts from.
pub(super) fn expected_group(ctx: &StepContext) -> String {
    match ctx.prior_resource(logical::DB_PARAMETER_GROUP) {
        Some(name) => name.to_string(),
        None => group_name(
            ctx.stack(),
            &engine_version::parameter_group_family(&ctx.spec().database.engine_version),
        ),
    }
}

/// Record the group when the instance names one of the stack's that requires TLS. `early`
/// holds the parameters of [`expected_group`], read beside the instance.
pub(super) async fn observe(
    ctx: &StepContext,
    db: &DbInstance,
    expected: &str,
    early: Result<std::collections::BTreeMap<String, String>>,
) -> Result<()> {
    let Some(named) = db
        .parameter_groups
        .iter()
        .map(|g| g.name.as_str())
        .find(|name| is_stack_group(ctx.stack(), name))
    else {
        return Ok(());
    };
    let values = if named == expected {
        early?
    } else {
        rds::user_parameters(&ctx.clients, named).await?
    };
    if is_on(values.get(REQUIRE_SECURE_TRANSPORT)) {
        ctx.record(logical::DB_PARAMETER_GROUP, named);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_carry_the_family_without_dots() {
        assert_eq!(group_name("blog", "mysql8.4"), "blog-mysql84");
        assert!(is_stack_group("blog", "blog-mysql80"));
        assert!(!is_stack_group("blog", "default.mysql8.0"));
        assert!(!is_stack_group("blog", "shop-mysql84"));
    }

    #[test]
    fn booleans_read_as_on_in_either_spelling() {
        assert!(is_on(Some(&"ON".to_string())));
        assert!(is_on(Some(&"1".to_string())));
        assert!(!is_on(Some(&"0".to_string())));
        assert!(!is_on(None));
    }
}
