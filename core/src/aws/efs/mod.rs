//! Amazon EFS: the stack's shared `wp-content` file system and its mount targets.
//!
//! Thin wrappers: each function is one EFS call (or one paginated listing) turned into the
//! core's types, plus the waiters for file systems and mount targets. The backup policy and
//! the file system policy are in `policies`.

use std::collections::BTreeMap;

use aws_sdk_efs::types::{
    FileSystemDescription, LifeCycleState, MountTargetDescription, PerformanceMode, ThroughputMode,
};

use crate::aws::not_found::{none_if_not_found, ok_if_not_found, wait_until_gone};
use crate::aws::tags::{retag_with, sdk_tags};
use crate::aws::{Clients, SendFor};
use crate::error::Result;
use crate::wait::{self, Bounds, Poll};

mod policies;

pub use policies::{backups_enabled, file_system_policy, put_backups, put_file_system_policy};

/// What the core needs to know of a file system.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSystem {
    pub id: String,
    pub creation_token: String,
    /// `creating`, `available`, `deleting`… (EFS's spelling).
    pub life_cycle_state: String,
    pub throughput_mode: Option<String>,
    pub provisioned_throughput_mibps: Option<f64>,
    pub performance_mode: String,
    pub encrypted: bool,
    pub tags: BTreeMap<String, String>,
}

/// A new file system: always encrypted at rest.
#[derive(Debug, Clone)]
pub struct FileSystemRequest<'a> {
    /// EFS's idempotency key: a second create with the same token answers with the first one.
    pub creation_token: &'a str,
    pub performance_mode: &'a str,
    pub throughput_mode: &'a str,
    /// Required by EFS when `throughput_mode` is `provisioned`, refused otherwise.
    pub provisioned_throughput_mibps: Option<f64>,
    /// Automatic backups (AWS Backup's default plan) from the start.
    pub backups: bool,
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountTarget {
    pub id: String,
    pub file_system_id: String,
    pub subnet_id: String,
    pub life_cycle_state: String,
    pub availability_zone: Option<String>,
}

fn file_system_from(description: &FileSystemDescription) -> FileSystem {
    FileSystem {
        id: description.file_system_id().to_string(),
        creation_token: description.creation_token().to_string(),
        life_cycle_state: description.life_cycle_state().as_str().to_string(),
        throughput_mode: description
            .throughput_mode()
            .map(|m| m.as_str().to_string()),
        provisioned_throughput_mibps: description.provisioned_throughput_in_mibps(),
        performance_mode: description.performance_mode().as_str().to_string(),
        encrypted: description.encrypted().unwrap_or(false),
        tags: description
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    }
}

fn mount_target_from(description: &MountTargetDescription) -> MountTarget {
    MountTarget {
        id: description.mount_target_id().to_string(),
        file_system_id: description.file_system_id().to_string(),
        subnet_id: description.subnet_id().to_string(),
        life_cycle_state: description.life_cycle_state().as_str().to_string(),
        availability_zone: description.availability_zone_name().map(str::to_string),
    }
}

/// Only `provisioned` mode takes a throughput figure; EFS refuses one for the other modes.
fn throughput_for(mode: &str, mibps: Option<f64>) -> Option<f64> {
    (mode == "provisioned").then_some(mibps).flatten()
}

/// The file system created with `token`, if any (the lookup that makes creation idempotent).
pub async fn find_by_creation_token(clients: &Clients, token: &str) -> Result<Option<FileSystem>> {
    let output = clients
        .efs
        .describe_file_systems()
        .creation_token(token)
        .send()
        .for_object(format!("creation token {token}"))
        .await?;
    Ok(output.file_systems().first().map(file_system_from))
}

/// The file system `id`, or `None` when it no longer exists.
pub async fn describe_file_system(clients: &Clients, id: &str) -> Result<Option<FileSystem>> {
    let result = clients
        .efs
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .for_object(id)
        .await;
    match result {
        Ok(output) => Ok(output.file_systems().first().map(file_system_from)),
        Err(e) => none_if_not_found(e),
    }
}

/// Every file system of the account in this region (for finding a stack's by tag).
pub async fn list_file_systems(clients: &Clients) -> Result<Vec<FileSystem>> {
    let file_systems = clients
        .efs
        .describe_file_systems()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all file systems")
        .await?;
    Ok(file_systems.iter().map(file_system_from).collect())
}

/// Create an encrypted file system. Answers with the existing one when the token was used.
pub async fn create_file_system(
    clients: &Clients,
    request: &FileSystemRequest<'_>,
) -> Result<FileSystem> {
    let output = clients
        .efs
        .create_file_system()
        .creation_token(request.creation_token)
        .encrypted(true)
        .backup(request.backups)
        .performance_mode(PerformanceMode::from(request.performance_mode))
        .throughput_mode(ThroughputMode::from(request.throughput_mode))
        .set_provisioned_throughput_in_mibps(throughput_for(
            request.throughput_mode,
            request.provisioned_throughput_mibps,
        ))
        .set_tags(Some(sdk_tags(request.tags)?))
        .send()
        .for_object(format!("creation token {}", request.creation_token))
        .await;
    match output {
        Ok(created) => Ok(FileSystem {
            id: created.file_system_id().to_string(),
            creation_token: created.creation_token().to_string(),
            life_cycle_state: created.life_cycle_state().as_str().to_string(),
            throughput_mode: created.throughput_mode().map(|m| m.as_str().to_string()),
            provisioned_throughput_mibps: created.provisioned_throughput_in_mibps(),
            performance_mode: created.performance_mode().as_str().to_string(),
            encrypted: created.encrypted().unwrap_or(false),
            tags: created
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        }),
        Err(error) => {
            if error.aws_code() == Some("FileSystemAlreadyExists") {
                if let Some(existing) =
                    find_by_creation_token(clients, request.creation_token).await?
                {
                    return Ok(existing);
                }
            }
            Err(error)
        }
    }
}

/// Change the throughput mode (and figure) of a live file system.
pub async fn update_throughput(
    clients: &Clients,
    id: &str,
    mode: &str,
    mibps: Option<f64>,
) -> Result<()> {
    clients
        .efs
        .update_file_system()
        .file_system_id(id)
        .throughput_mode(ThroughputMode::from(mode))
        .set_provisioned_throughput_in_mibps(throughput_for(mode, mibps))
        .send()
        .for_object(id)
        .await?;
    Ok(())
}

/// Make the file system's tags: add or overwrite `set`, remove `remove`.
pub async fn retag(
    clients: &Clients,
    id: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    let efs = &clients.efs;
    retag_with(
        set,
        remove,
        |tags| {
            efs.tag_resource()
                .resource_id(id)
                .set_tags(Some(tags))
                .send()
                .for_object(id)
        },
        |keys| {
            efs.untag_resource()
                .resource_id(id)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(id)
        },
    )
    .await
}

/// Delete a file system whose mount targets are gone. Already gone is success.
pub async fn delete_file_system(clients: &Clients, id: &str) -> Result<()> {
    let result = clients
        .efs
        .delete_file_system()
        .file_system_id(id)
        .send()
        .for_object(id)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

/// The mount targets of a file system (none when the file system is gone).
pub async fn mount_targets(clients: &Clients, file_system_id: &str) -> Result<Vec<MountTarget>> {
    let listed = clients
        .efs
        .describe_mount_targets()
        .file_system_id(file_system_id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(file_system_id)
        .await;
    match listed {
        Ok(targets) => Ok(targets.iter().map(mount_target_from).collect()),
        Err(error) => ok_if_not_found(error).map(|()| Vec::new()),
    }
}

/// Create a mount target in `subnet_id`, reachable through `security_group_ids`.
pub async fn create_mount_target(
    clients: &Clients,
    file_system_id: &str,
    subnet_id: &str,
    security_group_ids: &[String],
) -> Result<MountTarget> {
    let created = clients
        .efs
        .create_mount_target()
        .file_system_id(file_system_id)
        .subnet_id(subnet_id)
        .set_security_groups(Some(security_group_ids.to_vec()))
        .send()
        .for_object(format!("mount target of {file_system_id} in {subnet_id}"))
        .await?;
    Ok(MountTarget {
        id: created.mount_target_id().to_string(),
        file_system_id: created.file_system_id().to_string(),
        subnet_id: created.subnet_id().to_string(),
        life_cycle_state: created.life_cycle_state().as_str().to_string(),
        availability_zone: created.availability_zone_name().map(str::to_string),
    })
}

/// The security groups of a mount target.
pub async fn mount_target_security_groups(
    clients: &Clients,
    mount_target_id: &str,
) -> Result<Vec<String>> {
    let output = clients
        .efs
        .describe_mount_target_security_groups()
        .mount_target_id(mount_target_id)
        .send()
        .for_object(mount_target_id)
        .await?;
    Ok(output.security_groups().to_vec())
}

/// Replace the security groups of a mount target (repairs drift).
pub async fn set_mount_target_security_groups(
    clients: &Clients,
    mount_target_id: &str,
    security_group_ids: &[String],
) -> Result<()> {
    clients
        .efs
        .modify_mount_target_security_groups()
        .mount_target_id(mount_target_id)
        .set_security_groups(Some(security_group_ids.to_vec()))
        .send()
        .for_object(mount_target_id)
        .await?;
    Ok(())
}

/// Delete a mount target. Already gone is success.
pub async fn delete_mount_target(clients: &Clients, mount_target_id: &str) -> Result<()> {
    let result = clients
        .efs
        .delete_mount_target()
        .mount_target_id(mount_target_id)
        .send()
        .for_object(mount_target_id)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

fn life_cycle_poll<T>(state: &str, value: T) -> Poll<T> {
    match LifeCycleState::from(state) {
        LifeCycleState::Available => Poll::Ready(value),
        LifeCycleState::Error | LifeCycleState::Deleted | LifeCycleState::Deleting => {
            Poll::Failed(state.to_string())
        }
        _ => Poll::Pending(state.to_string()),
    }
}

/// Wait until the file system is `available`.
pub async fn wait_file_system_available(
    clients: &Clients,
    bounds: &Bounds,
    id: &str,
) -> Result<FileSystem> {
    wait::until(
        bounds,
        &format!("EFS file system {id}"),
        "available",
        || async {
            Ok(match describe_file_system(clients, id).await? {
                Some(fs) => {
                    let state = fs.life_cycle_state.clone();
                    life_cycle_poll(&state, fs)
                }
                // Eventual consistency right after a create.
                None => Poll::Pending("not visible yet".to_string()),
            })
        },
    )
    .await
}

/// Wait until the file system no longer exists.
pub async fn wait_file_system_deleted(clients: &Clients, bounds: &Bounds, id: &str) -> Result<()> {
    wait_until_gone(
        bounds,
        &format!("EFS file system {id}"),
        || describe_file_system(clients, id),
        |fs| (fs.life_cycle_state != "deleted").then_some(fs.life_cycle_state),
    )
    .await
}

/// Wait until every listed mount target of `file_system_id` is `available`.
pub async fn wait_mount_targets_available(
    clients: &Clients,
    bounds: &Bounds,
    file_system_id: &str,
    mount_target_ids: &[String],
) -> Result<()> {
    let what = format!(
        "mount targets {} of {file_system_id}",
        mount_target_ids.join(", ")
    );
    wait::until(bounds, &what, "available", || async {
        let targets = mount_targets(clients, file_system_id).await?;
        let mut worst = Poll::Ready(());
        for id in mount_target_ids {
            let poll = match targets.iter().find(|t| &t.id == id) {
                Some(target) => life_cycle_poll(&target.life_cycle_state, ()),
                None => Poll::Pending(format!("{id} not visible yet")),
            };
            match poll {
                Poll::Failed(state) => return Ok(Poll::Failed(format!("{id}: {state}"))),
                Poll::Pending(state) => worst = Poll::Pending(format!("{id}: {state}")),
                Poll::Ready(()) => {}
            }
        }
        Ok(worst)
    })
    .await
}

/// Wait until the mount target `mount_target_id` is no longer listed.
pub async fn wait_mount_target_deleted(
    clients: &Clients,
    bounds: &Bounds,
    file_system_id: &str,
    mount_target_id: &str,
) -> Result<()> {
    wait::until(
        bounds,
        &format!("mount target {mount_target_id}"),
        "deleted",
        || async {
            let targets = mount_targets(clients, file_system_id).await?;
            Ok(
                match targets.into_iter().find(|t| t.id == mount_target_id) {
                    None => Poll::Ready(()),
                    Some(target) => Poll::Pending(target.life_cycle_state),
                },
            )
        },
    )
    .await
}

/// Wait until the file system has no mount target left (EFS refuses to delete it before).
pub async fn wait_mount_targets_gone(
    clients: &Clients,
    bounds: &Bounds,
    file_system_id: &str,
) -> Result<()> {
    wait::until(
        bounds,
        &format!("mount targets of {file_system_id}"),
        "deleted",
        || async {
            let left = mount_targets(clients, file_system_id).await?;
            Ok(if left.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending(format!("{} left", left.len()))
            })
        },
    )
    .await
}
