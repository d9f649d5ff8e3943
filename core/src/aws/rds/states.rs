//! An RDS instance's states: which ones take a change or a delete, and the waits for them.

use super::{describe_db_instance, DbInstance};
use crate::aws::not_found::wait_until_gone;
use crate::aws::{Clients, SendFor};
use crate::error::{Result, StackError};
use crate::wait::{self, Bounds, Poll};

/// RDS states an instance never leaves by itself: waiting longer will not help.
const TERMINAL_STATES: [&str; 6] = [
    "failed",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-restore",
    "inaccessible-encryption-credentials",
    "storage-full",
];

/// Where an instance storing a storage change stays for hours on AWS (up to 6 hours per the
/// RDS user guide); it serves and accepts every change but another storage change meanwhile.
pub const STORAGE_OPTIMIZATION: &str = "storage-optimization";

/// RDS's answer to a delete or modification the instance's current state does not allow.
pub fn is_invalid_state(error: &StackError) -> bool {
    error.aws_code() == Some("InvalidDBInstanceState")
}

/// Whether an instance in `status` takes a modification now.
pub fn accepts_changes(status: &str) -> bool {
    matches!(status, "available" | STORAGE_OPTIMIZATION)
}

/// Whether an instance in `status` can be deleted now (with a final snapshot when asked):
/// RDS refuses while it is creating, modifying, backing up, rebooting, starting or stopping.
pub fn accepts_delete(status: &str) -> bool {
    accepts_changes(status)
        || matches!(status, "stopped" | "deleting")
        || TERMINAL_STATES.contains(&status)
}

fn status_poll(db: DbInstance) -> Poll<DbInstance> {
    match db.status.as_str() {
        status if accepts_changes(status) => Poll::Ready(db),
        state if TERMINAL_STATES.contains(&state) => Poll::Failed(state.to_string()),
        state => Poll::Pending(state.to_string()),
    }
}

/// What a waiter reports for an instance AWS does not list yet (eventual consistency).
const NOT_VISIBLE: &str = "not visible yet";

/// Wait until the instance serves and takes changes: `available`, or storage-optimization
/// (which lasts hours and blocks only another storage change). Creating, modifying,
/// backing-up and the like are waited out; a stopped instance is waited on too (see
/// [`start_db_instance`]).
pub async fn wait_db_instance_available(
    clients: &Clients,
    bounds: &Bounds,
    identifier: &str,
) -> Result<DbInstance> {
    wait::until(
        bounds,
        &format!("DB instance {identifier}"),
        "available",
        || async {
            Ok(match describe_db_instance(clients, identifier).await? {
                Some(db) => status_poll(db),
                None => Poll::Pending(NOT_VISIBLE.to_string()),
            })
        },
    )
    .await
}

/// Wait until the instance can be deleted (see [`accepts_delete`]); `None` when it is gone.
pub async fn wait_db_instance_deletable(
    clients: &Clients,
    bounds: &Bounds,
    identifier: &str,
) -> Result<Option<DbInstance>> {
    wait::until(
        bounds,
        &format!("DB instance {identifier}"),
        "deletable",
        || async {
            Ok(match describe_db_instance(clients, identifier).await? {
                Some(db) if !accepts_delete(&db.status) => Poll::Pending(db.status),
                found => Poll::Ready(found),
            })
        },
    )
    .await
}

/// Start a stopped instance; wait for it with [`wait_db_instance_available`].
pub async fn start_db_instance(clients: &Clients, identifier: &str) -> Result<()> {
    clients
        .rds
        .start_db_instance()
        .db_instance_identifier(identifier)
        .send()
        .for_object(identifier)
        .await?;
    Ok(())
}

/// Wait until the instance no longer exists.
pub async fn wait_db_instance_deleted(
    clients: &Clients,
    bounds: &Bounds,
    identifier: &str,
) -> Result<()> {
    wait_until_gone(
        bounds,
        &format!("DB instance {identifier}"),
        || describe_db_instance(clients, identifier),
        |db| Some(db.status),
    )
    .await
}
