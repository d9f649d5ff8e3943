//! Creating the instance: empty (CreateDBInstance), or restored from the DB snapshot
//! `database.snapshot_identifier` names (RestoreDBInstanceFromDBSnapshot) and then brought to
//! the stack's spec once RDS has made it.

use std::collections::BTreeMap;

use super::{instance_tags, modification_for, modify_instance};
use crate::aws::rds::{self, DbInstance, DbInstanceRequest};
use crate::error::Result;
use crate::spec::Secret;
use crate::state::logical;
use crate::tiers::context::StepContext;

/// Carried by an instance restored from a snapshot until [`settle_restored`] has given it the
/// stack's password: on AWS, not in the state, so a restore interrupted before that (and the
/// refreshes in between) still gets settled by the next apply.
pub const RESTORE_PENDING_TAG: &str = "wordpress-ha:restore-pending";

/// Whether `found` is a restored instance still running with its snapshot's password.
pub(super) fn restore_pending(found: &DbInstance) -> bool {
    found.tags.contains_key(RESTORE_PENDING_TAG)
}

/// A restored instance runs with the snapshot's master password, backup retention and storage
/// ceiling: once it is available, everything the spec sets differently is modified, and the
/// stack's own password always (the secret's `db_password` is trusted only after this).
pub(super) async fn settle_restored(
    ctx: &StepContext,
    identifier: &str,
    group_id: &str,
    parameter_group: &str,
    password: &Secret,
) -> Result<()> {
    let restored = rds::wait_db_instance_available(&ctx.clients, ctx.bounds(), identifier).await?;
    let change = modification_for(
        &restored,
        &ctx.spec().database,
        group_id,
        parameter_group,
        Some(password.clone()),
    );
    tracing::info!(db_instance = %identifier, "giving the restored DB instance the stack's password and settings");
    modify_instance(ctx, identifier, &restored, change).await?;
    match &restored.arn {
        Some(arn) if restore_pending(&restored) => {
            rds::retag(
                &ctx.clients,
                arn,
                &BTreeMap::new(),
                &[RESTORE_PENDING_TAG.to_string()],
            )
            .await
        }
        _ => Ok(()),
    }
}

pub(super) async fn create_instance(
    ctx: &StepContext,
    identifier: &str,
    group_id: &str,
    parameter_group: &str,
    password: &Secret,
) -> Result<()> {
    let spec = &ctx.spec().database;
    let subnet_group = ctx.require(logical::DB_SUBNET_GROUP)?;
    let groups = vec![group_id.to_string()];
    let mut tags = instance_tags(ctx, identifier);
    if let Some(snapshot) = &spec.snapshot_identifier {
        tags.insert(RESTORE_PENDING_TAG.to_string(), snapshot.clone());
    }
    let request = DbInstanceRequest {
        identifier,
        instance_class: &spec.instance_class,
        engine_version: &spec.engine_version,
        allocated_storage: spec.allocated_storage,
        max_allocated_storage: spec.max_allocated_storage,
        multi_az: spec.multi_az,
        db_name: &spec.db_name,
        username: &spec.username,
        password,
        backup_retention_days: spec.backup_retention_days,
        deletion_protection: spec.deletion_protection,
        subnet_group: &subnet_group,
        security_group_ids: &groups,
        parameter_group: Some(parameter_group),
        tags: &tags,
    };
    let created = match &spec.snapshot_identifier {
        Some(snapshot) => {
            tracing::info!(db_instance = %identifier, snapshot = %snapshot, "restoring DB instance from snapshot");
            rds::restore_db_instance_from_snapshot(&ctx.clients, &request, snapshot).await
        }
        None => rds::create_db_instance(&ctx.clients, &request).await,
    };
    match created {
        // The SDK re-sent a create whose answer was lost: the first call made our instance.
        Err(error) if error.aws_code() == Some("DBInstanceAlreadyExists") => {}
        outcome => {
            outcome?;
        }
    }
    tracing::info!(db_instance = %identifier, "creating DB instance");
    Ok(())
}
