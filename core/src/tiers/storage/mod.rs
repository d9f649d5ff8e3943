//! The storage tier: one encrypted EFS file system holding `wp-content`, with a mount target
//! in every private subnet behind the `efs` security group, automatic backups as the spec
//! says, and a file system policy denying access without TLS (`policy`).
//!
//! The file system needs nothing from the network, so it starts with the VPC; each mount
//! target waits only for its own zone's private subnet and the security groups.

use std::sync::Arc;

use super::context::StepContext;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use super::tag_sync;
use crate::aws::efs::{self, FileSystem, FileSystemRequest};
use crate::error::{Result, StackError};
use crate::spec::StorageSpec;
use crate::state::logical;
use crate::wait::{self, usual};

/// The security group tier whose group guards the mount targets.
const EFS_GROUP: &str = "efs";

pub mod policy;

/// EFS's idempotency key for the stack's file system: a resumed create finds it again.
pub fn creation_token(stack: &str) -> String {
    format!("wordpress-ha-{stack}-efs")
}

pub fn steps(layout: &StackLayout) -> Vec<Step> {
    let mut steps = vec![Step::new(step_id::FILE_SYSTEM, Vec::<String>::new())
        .waits_for(usual::FILE_SYSTEM)
        .create(|ctx| async move { converge_file_system(&ctx).await })
        .delete(|ctx| async move { delete_file_system(&ctx).await })];
    steps.push(
        Step::new(step_id::FILE_SYSTEM_THROUGHPUT, [step_id::FILE_SYSTEM])
            .runs_last()
            .create(|ctx| async move { converge_throughput(&ctx).await }),
    );
    for az in &layout.zones {
        let deps = vec![
            step_id::FILE_SYSTEM.to_string(),
            step_id::private_subnet(az),
            step_id::SECURITY_GROUPS.to_string(),
        ];
        let (create_az, delete_az) = (az.clone(), az.clone());
        steps.push(
            Step::new(step_id::mount_target(az), deps)
                .waits_for(usual::MOUNT_TARGET)
                .create(move |ctx| async move { converge_mount_target(&ctx, &create_az).await })
                .delete(move |ctx| async move { delete_mount_target(&ctx, &delete_az).await }),
        );
    }
    steps
}

/// Whether the live file system's throughput differs from the spec's.
pub fn throughput_drifted(fs: &FileSystem, spec: &StorageSpec) -> bool {
    let mode_differs = fs.throughput_mode.as_deref() != Some(spec.throughput_mode.as_str());
    let figure_differs = spec.throughput_mode == "provisioned"
        && fs.provisioned_throughput_mibps != spec.provisioned_throughput_mibps;
    mode_differs || figure_differs
}

/// The file system this stack owns: the recorded one if it still exists, else the one made
/// with the stack's creation token.
async fn find_file_system(ctx: &StepContext) -> Result<Option<FileSystem>> {
    if let Some(id) = ctx.resource(logical::EFS_FILE_SYSTEM) {
        if let Some(fs) = efs::describe_file_system(&ctx.clients, &id).await? {
            return Ok(Some(fs));
        }
    }
    efs::find_by_creation_token(&ctx.clients, &creation_token(ctx.stack())).await
}

async fn converge_file_system(ctx: &Arc<StepContext>) -> Result<()> {
    let spec = &ctx.spec().storage;
    let found = find_file_system(ctx).await?;
    let found_id = found.as_ref().map(|fs| fs.id.clone());
    let fs = match found {
        Some(fs) => {
            retag_file_system(ctx, &fs).await?;
            fs
        }
        None => create_file_system(ctx, spec).await?,
    };
    let created = found_id.is_none();
    if created {
        ctx.record_created(logical::EFS_FILE_SYSTEM, &fs.id);
    } else {
        ctx.record(logical::EFS_FILE_SYSTEM, &fs.id);
    }
    ctx.update_outputs(|o| o.efs_id = Some(fs.id.clone()));
    let fs = efs::wait_file_system_available(&ctx.clients, ctx.bounds(), &fs.id).await?;
    converge_backups(ctx, &fs.id, spec.backups, created).await?;
    converge_policy(ctx, &fs.id, created).await?;
    if fs.performance_mode != spec.performance_mode {
        // Changing it replaces the stack (plan marks it); reaching here means a bug upstream.
        return Err(StackError::Refused {
            what: format!(
                "EFS {} has performance mode {} but {} is asked; performance mode cannot change in place",
                fs.id, fs.performance_mode, spec.performance_mode
            ),
        });
    }
    Ok(())
}

/// Turn automatic backups on or off as the spec says. A file system just created with the
/// spec's setting needs no call.
async fn converge_backups(ctx: &StepContext, id: &str, wanted: bool, created: bool) -> Result<()> {
    if created && wanted {
        return Ok(());
    }
    if efs::backups_enabled(&ctx.clients, id).await? != wanted {
        tracing::info!(file_system = %id, backups = wanted, "setting EFS automatic backups");
        efs::put_backups(&ctx.clients, id, wanted).await?;
    }
    Ok(())
}

/// Put the stack's file system policy in place unless it is there already.
async fn converge_policy(ctx: &StepContext, id: &str, created: bool) -> Result<()> {
    let in_place = !created
        && efs::file_system_policy(&ctx.clients, id)
            .await?
            .is_some_and(|found| policy::is_tls_only(&found));
    if !in_place {
        tracing::info!(file_system = %id, "putting the file system policy denying access without TLS");
        let document = policy::tls_only_policy().to_string();
        efs::put_file_system_policy(&ctx.clients, id, &document).await?;
    }
    ctx.record(logical::EFS_FILE_SYSTEM_POLICY, id);
    Ok(())
}

/// Put the file system in the spec's throughput mode. A refusal is an error that says what
/// stays as it was: AWS allows a mode change (or a decrease) once every 24 hours.
async fn converge_throughput(ctx: &Arc<StepContext>) -> Result<()> {
    if ctx.created_here(logical::EFS_FILE_SYSTEM) {
        // CreateFileSystem set the spec's throughput: nothing to read back on the apply's
        // last step.
        return Ok(());
    }
    let spec = &ctx.spec().storage;
    let id = ctx.require(logical::EFS_FILE_SYSTEM)?;
    let Some(fs) = efs::describe_file_system(&ctx.clients, &id).await? else {
        return Err(StackError::Internal(format!(
            "EFS {id} vanished after the storage step recorded it"
        )));
    };
    if !throughput_drifted(&fs, spec) {
        return Ok(());
    }
    tracing::info!(file_system = %fs.id, mode = %spec.throughput_mode, "updating EFS throughput");
    efs::update_throughput(
        &ctx.clients,
        &fs.id,
        &spec.throughput_mode,
        spec.provisioned_throughput_mibps,
    )
    .await
    .map_err(|error| explain_throughput_refusal(error, &fs))?;
    efs::wait_file_system_available(&ctx.clients, ctx.bounds(), &fs.id).await?;
    Ok(())
}

fn explain_throughput_refusal(error: StackError, fs: &FileSystem) -> StackError {
    match error {
        StackError::Aws {
            service,
            operation,
            resource,
            code,
            message,
        } => StackError::Aws {
            service,
            operation,
            resource,
            code,
            message: format!(
                "{message}. The file system keeps throughput mode {}; nothing else was held back, \
and the next apply tries again (EFS allows one throughput mode change or decrease per 24 hours)",
                fs.throughput_mode.as_deref().unwrap_or("unknown")
            ),
        },
        other => other,
    }
}

async fn retag_file_system(ctx: &StepContext, fs: &FileSystem) -> Result<()> {
    let changes = tag_sync::changes_for(ctx, &fs.id, &fs.tags, &ctx.name("efs", None));
    efs::retag(&ctx.clients, &fs.id, &changes.set, &changes.remove).await
}

async fn create_file_system(ctx: &StepContext, spec: &StorageSpec) -> Result<FileSystem> {
    let name = ctx.name("efs", None);
    let token = creation_token(ctx.stack());
    let tags = tag_sync::wanted(ctx, &name);
    let fs = efs::create_file_system(
        &ctx.clients,
        &FileSystemRequest {
            creation_token: &token,
            performance_mode: &spec.performance_mode,
            throughput_mode: &spec.throughput_mode,
            provisioned_throughput_mibps: spec.provisioned_throughput_mibps,
            backups: spec.backups,
            tags: &tags,
        },
    )
    .await?;
    tracing::info!(file_system = %fs.id, "created EFS file system");
    Ok(fs)
}

async fn converge_mount_target(ctx: &Arc<StepContext>, az: &str) -> Result<()> {
    let fs_id = ctx.require(logical::EFS_FILE_SYSTEM)?;
    let subnet_id = ctx.require(&logical::qualified(logical::PRIVATE_SUBNET, az))?;
    let group_id = ctx.require(&logical::qualified(logical::SECURITY_GROUP, EFS_GROUP))?;
    let wanted_groups = vec![group_id];
    let existing = efs::mount_targets(&ctx.clients, &fs_id)
        .await?
        .into_iter()
        .find(|t| t.subnet_id == subnet_id);
    let target_id = match existing {
        Some(target) => {
            let groups = efs::mount_target_security_groups(&ctx.clients, &target.id).await?;
            if groups != wanted_groups {
                tracing::info!(mount_target = %target.id, "restoring the mount target's security group");
                efs::set_mount_target_security_groups(&ctx.clients, &target.id, &wanted_groups)
                    .await?;
            }
            target.id
        }
        None => {
            let target = ctx
                .create_or_adopt(
                    &format!("create mount target in {subnet_id}"),
                    || efs::create_mount_target(&ctx.clients, &fs_id, &subnet_id, &wanted_groups),
                    || async {
                        let targets = efs::mount_targets(&ctx.clients, &fs_id).await?;
                        Ok(targets.into_iter().find(|t| t.subnet_id == subnet_id))
                    },
                )
                .await?;
            tracing::info!(mount_target = %target.id, %az, "created EFS mount target");
            target.id
        }
    };
    ctx.record(
        logical::qualified(logical::EFS_MOUNT_TARGET, az),
        &target_id,
    );
    efs::wait_mount_targets_available(&ctx.clients, ctx.bounds(), &fs_id, &[target_id]).await
}

async fn delete_mount_target(ctx: &Arc<StepContext>, az: &str) -> Result<()> {
    let logical_name = logical::qualified(logical::EFS_MOUNT_TARGET, az);
    let Some(fs) = find_file_system(ctx).await? else {
        ctx.forget(&logical_name);
        return Ok(());
    };
    let targets = efs::mount_targets(&ctx.clients, &fs.id).await?;
    let recorded = ctx.resource(&logical_name);
    let subnet = ctx.resource(&logical::qualified(logical::PRIVATE_SUBNET, az));
    let target = targets.into_iter().find(|t| {
        Some(&t.id) == recorded.as_ref()
            || Some(&t.subnet_id) == subnet.as_ref()
            || t.availability_zone.as_deref() == Some(az)
    });
    if let Some(target) = target {
        efs::delete_mount_target(&ctx.clients, &target.id).await?;
        tracing::info!(mount_target = %target.id, %az, "deleting EFS mount target");
        efs::wait_mount_target_deleted(&ctx.clients, ctx.bounds(), &fs.id, &target.id).await?;
    }
    ctx.forget(&logical_name);
    Ok(())
}

async fn delete_file_system(ctx: &Arc<StepContext>) -> Result<()> {
    let Some(fs) = find_file_system(ctx).await? else {
        ctx.forget(logical::EFS_FILE_SYSTEM);
        ctx.forget(logical::EFS_FILE_SYSTEM_POLICY);
        return Ok(());
    };
    // Mount targets outside the stack's zones (or left by a crash) would block the delete.
    for target in efs::mount_targets(&ctx.clients, &fs.id).await? {
        efs::delete_mount_target(&ctx.clients, &target.id).await?;
    }
    efs::wait_mount_targets_gone(&ctx.clients, ctx.bounds(), &fs.id).await?;
    wait::retrying(
        ctx.bounds(),
        &format!("delete EFS {}", fs.id),
        |e| e.aws_code() == Some("FileSystemInUse"),
        || efs::delete_file_system(&ctx.clients, &fs.id),
    )
    .await?;
    tracing::info!(file_system = %fs.id, "deleting EFS file system");
    efs::wait_file_system_deleted(&ctx.clients, ctx.bounds(), &fs.id).await?;
    ctx.forget(logical::EFS_FILE_SYSTEM);
    ctx.forget(logical::EFS_FILE_SYSTEM_POLICY);
    ctx.update_outputs(|o| o.efs_id = None);
    Ok(())
}

/// Record the stack's file system, its policy and mount targets, and write the observed modes
/// and backups into the state's spec (drift, import).
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    // What hangs off the file system the state knows is read at the same time.
    let prior_fs = ctx.prior_resource(logical::EFS_FILE_SYSTEM);
    let token = creation_token(ctx.stack());
    let (fs, early) = tokio::join!(efs::find_by_creation_token(&ctx.clients, &token), async {
        match prior_fs {
            Some(id) => Some(read_around(ctx, id).await),
            None => None,
        }
    });
    let Some(fs) = fs? else {
        return Ok(());
    };
    let (targets, backups, policy) = match early.filter(|_| prior_fs == Some(fs.id.as_str())) {
        Some((targets, backups, policy)) => (targets?, backups?, policy?),
        None => {
            let (targets, backups, policy) = read_around(ctx, &fs.id).await;
            (targets?, backups?, policy?)
        }
    };
    ctx.record(logical::EFS_FILE_SYSTEM, &fs.id);
    if policy.is_some_and(|found| policy::is_tls_only(&found)) {
        ctx.record(logical::EFS_FILE_SYSTEM_POLICY, &fs.id);
    }
    ctx.update_outputs(|o| o.efs_id = Some(fs.id.clone()));
    ctx.update_state(|state| {
        observe_storage(&mut state.spec.storage, &fs);
        state.spec.storage.backups = backups;
    });
    if ctx.is_import() {
        let tags = tag_sync::imported_stack_tags(&fs.tags, ctx.default_tags());
        ctx.update_state(|state| state.spec.tags = tags);
    } else {
        tag_sync::observe(ctx, &fs.tags, &ctx.name("efs", None));
    }
    for target in targets {
        let az = match target.availability_zone.clone() {
            Some(az) => az,
            None => {
                zone_of_subnet(ctx, &target.subnet_id).unwrap_or_else(|| target.subnet_id.clone())
            }
        };
        ctx.record(
            logical::qualified(logical::EFS_MOUNT_TARGET, &az),
            &target.id,
        );
    }
    Ok(())
}

type AroundFileSystem = (
    Result<Vec<efs::MountTarget>>,
    Result<bool>,
    Result<Option<String>>,
);

/// The mount targets, backup setting and policy of a file system, read concurrently.
async fn read_around(ctx: &StepContext, id: &str) -> AroundFileSystem {
    tokio::join!(
        efs::mount_targets(&ctx.clients, id),
        efs::backups_enabled(&ctx.clients, id),
        efs::file_system_policy(&ctx.clients, id)
    )
}

/// Write what AWS reports into the spec, so the next plan shows (and repairs) the difference.
pub fn observe_storage(spec: &mut StorageSpec, fs: &FileSystem) {
    spec.performance_mode = fs.performance_mode.clone();
    if let Some(mode) = &fs.throughput_mode {
        spec.throughput_mode = mode.clone();
    }
    spec.provisioned_throughput_mibps = if spec.throughput_mode == "provisioned" {
        fs.provisioned_throughput_mibps
    } else {
        spec.provisioned_throughput_mibps
    };
}

/// The zone of a private subnet the state knew, or the network tier recorded already (the
/// tiers refresh concurrently, so the prior state is asked first).
fn zone_of_subnet(ctx: &StepContext, subnet_id: &str) -> Option<String> {
    let known = ctx.zones().iter().find(|az| {
        ctx.prior_resource(&logical::qualified(logical::PRIVATE_SUBNET, az)) == Some(subnet_id)
    });
    if let Some(az) = known {
        return Some(az.clone());
    }
    let prefix = format!("{}:", logical::PRIVATE_SUBNET);
    ctx.resources_with_prefix(&prefix)
        .into_iter()
        .find(|(_, id)| id == subnet_id)
        .map(|(name, _)| name[prefix.len()..].to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn fs(mode: &str, mibps: Option<f64>) -> FileSystem {
        FileSystem {
            id: "fs-1".into(),
            creation_token: creation_token("blog"),
            life_cycle_state: "available".into(),
            throughput_mode: Some(mode.into()),
            provisioned_throughput_mibps: mibps,
            performance_mode: "generalPurpose".into(),
            encrypted: true,
            tags: BTreeMap::new(),
        }
    }

    fn spec(mode: &str, mibps: Option<f64>) -> StorageSpec {
        StorageSpec {
            throughput_mode: mode.into(),
            provisioned_throughput_mibps: mibps,
            performance_mode: "generalPurpose".into(),
            backups: true,
        }
    }

    #[test]
    fn throughput_drift_compares_mode_and_provisioned_figure() {
        assert!(!throughput_drifted(
            &fs("elastic", None),
            &spec("elastic", None)
        ));
        assert!(throughput_drifted(
            &fs("bursting", None),
            &spec("elastic", None)
        ));
        assert!(throughput_drifted(
            &fs("provisioned", Some(64.0)),
            &spec("provisioned", Some(128.0))
        ));
        assert!(!throughput_drifted(
            &fs("provisioned", Some(64.0)),
            &spec("provisioned", Some(64.0))
        ));
        // A figure left in a non-provisioned spec is irrelevant.
        assert!(!throughput_drifted(
            &fs("elastic", None),
            &spec("elastic", Some(64.0))
        ));
    }

    #[test]
    fn observed_modes_land_in_the_spec() {
        let mut wanted = spec("elastic", None);
        observe_storage(&mut wanted, &fs("provisioned", Some(256.0)));
        assert_eq!(wanted.throughput_mode, "provisioned");
        assert_eq!(wanted.provisioned_throughput_mibps, Some(256.0));
    }

    #[test]
    fn creation_token_is_deterministic_per_stack() {
        assert_eq!(creation_token("blog"), creation_token("blog"));
        assert_ne!(creation_token("blog"), creation_token("shop"));
    }
}
