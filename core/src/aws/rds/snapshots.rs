//! The DB snapshot a new stack is restored from, read at plan by the preflight.

use crate::aws::not_found::none_if_not_found;
use crate::aws::{Clients, SendFor};
use crate::error::Result;
use crate::preflight::SnapshotFacts;

/// The snapshot `identifier` names (an id or an ARN); `None` when RDS does not know it.
pub async fn describe_db_snapshot(
    clients: &Clients,
    identifier: &str,
) -> Result<Option<SnapshotFacts>> {
    let result = clients
        .rds
        .describe_db_snapshots()
        .db_snapshot_identifier(identifier)
        .send()
        .for_object(identifier)
        .await;
    match result {
        Ok(output) => Ok(output.db_snapshots().first().map(|s| SnapshotFacts {
            status: s.status().unwrap_or_default().to_string(),
            engine: s.engine().unwrap_or_default().to_string(),
            engine_version: s.engine_version().unwrap_or_default().to_string(),
        })),
        Err(error) => none_if_not_found(error),
    }
}
