//! The file system's two policies: its backup policy (automatic backups through AWS Backup)
//! and its file system policy (the IAM resource policy EFS evaluates for every NFS client).

use aws_sdk_efs::types::{BackupPolicy, Status};

use crate::aws::not_found::none_if_not_found;
use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// Whether automatic backups are on (or turning on). A file system that never had a backup
/// policy, or that is gone, has none.
pub async fn backups_enabled(clients: &Clients, file_system_id: &str) -> Result<bool> {
    let result = clients
        .efs
        .describe_backup_policy()
        .file_system_id(file_system_id)
        .send()
        .for_object(file_system_id)
        .await;
    let status = match result {
        Ok(output) => output.backup_policy().map(|p| p.status().clone()),
        Err(error) => none_if_not_found(error)?,
    };
    Ok(matches!(status, Some(Status::Enabled | Status::Enabling)))
}

/// Turn automatic backups on or off. Turning them off keeps the recovery points already taken.
pub async fn put_backups(clients: &Clients, file_system_id: &str, enabled: bool) -> Result<()> {
    let status = if enabled {
        Status::Enabled
    } else {
        Status::Disabled
    };
    let policy = BackupPolicy::builder()
        .status(status)
        .build()
        .map_err(|e| crate::error::StackError::Internal(format!("backup policy: {e}")))?;
    clients
        .efs
        .put_backup_policy()
        .file_system_id(file_system_id)
        .backup_policy(policy)
        .send()
        .for_object(file_system_id)
        .await?;
    Ok(())
}

/// The file system policy's JSON, or `None` when the file system has none (EFS's default:
/// every client that reaches a mount target may mount, write and act as root).
pub async fn file_system_policy(clients: &Clients, file_system_id: &str) -> Result<Option<String>> {
    let result = clients
        .efs
        .describe_file_system_policy()
        .file_system_id(file_system_id)
        .send()
        .for_object(file_system_id)
        .await;
    match result {
        Ok(output) => Ok(output.policy().map(str::to_string)),
        Err(error) => none_if_not_found(error),
    }
}

/// Replace the file system policy with `policy` (a JSON document). EFS's lockout safety check
/// stays on: the policy must leave the caller able to change it again.
pub async fn put_file_system_policy(
    clients: &Clients,
    file_system_id: &str,
    policy: &str,
) -> Result<()> {
    clients
        .efs
        .put_file_system_policy()
        .file_system_id(file_system_id)
        .policy(policy)
        .send()
        .for_object(file_system_id)
        .await?;
    Ok(())
}
