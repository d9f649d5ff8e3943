//! Amazon RDS: the stack's MySQL instance and its DB subnet group.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{DbInstance as SdkDbInstance, DbSubnetGroup as SdkDbSubnetGroup};

use crate::aws::coalesce::keyed;
use crate::aws::not_found::{none_if_not_found, ok_if_not_found};
use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{Clients, SendFor};
use crate::engine_version;
use crate::error::{Result, StackError};
use crate::spec::Secret;

mod orderable;
mod parameter_groups;
mod snapshots;
mod states;

pub use orderable::{engine_listed, orderable_versions};
pub use parameter_groups::{
    create_db_parameter_group, delete_db_parameter_group, describe_db_parameter_group, is_in_use,
    set_parameters, user_parameters, DbParameterGroup, ParameterGroupStatus,
};
pub use snapshots::describe_db_snapshot;

pub use states::{
    accepts_changes, accepts_delete, is_invalid_state, start_db_instance,
    wait_db_instance_available, wait_db_instance_deletable, wait_db_instance_deleted,
    STORAGE_OPTIMIZATION,
};

const ENGINE: &str = "mysql";
/// gp3: baseline 3000 IOPS whatever the size, and storage autoscaling works with it.
const STORAGE_TYPE: &str = "gp3";

/// What the core needs to know of a DB instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInstance {
    pub identifier: String,
    pub arn: Option<String>,
    pub status: String,
    pub instance_class: String,
    pub engine: String,
    pub engine_version: String,
    pub auto_minor_version_upgrade: bool,
    pub allocated_storage: i64,
    /// `None` when storage autoscaling is off.
    pub max_allocated_storage: Option<i64>,
    pub multi_az: bool,
    pub storage_encrypted: bool,
    pub publicly_accessible: bool,
    pub backup_retention_days: i64,
    pub deletion_protection: bool,
    pub db_name: Option<String>,
    pub username: Option<String>,
    pub address: Option<String>,
    pub port: Option<i64>,
    pub subnet_group: Option<String>,
    pub security_group_ids: Vec<String>,
    /// The parameter groups the instance names (one for MySQL).
    pub parameter_groups: Vec<ParameterGroupStatus>,
    pub tags: BTreeMap<String, String>,
}

impl DbInstance {
    /// `address:port`, as WordPress's `DB_HOST` takes it.
    pub fn endpoint(&self) -> Option<String> {
        match (&self.address, self.port) {
            (Some(address), Some(port)) => Some(format!("{address}:{port}")),
            (Some(address), None) => Some(address.clone()),
            _ => None,
        }
    }
}

/// A new MySQL instance: encrypted, private, in the stack's subnet group and `db` group.
#[derive(Debug, Clone)]
pub struct DbInstanceRequest<'a> {
    pub identifier: &'a str,
    pub instance_class: &'a str,
    pub engine_version: &'a str,
    pub allocated_storage: i64,
    pub max_allocated_storage: i64,
    pub multi_az: bool,
    pub db_name: &'a str,
    pub username: &'a str,
    pub password: &'a Secret,
    pub backup_retention_days: i64,
    pub deletion_protection: bool,
    pub subnet_group: &'a str,
    pub security_group_ids: &'a [String],
    /// `None`: the family's default group.
    pub parameter_group: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

/// In-place changes to a live instance; `None` leaves an attribute alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbModification {
    pub instance_class: Option<String>,
    pub engine_version: Option<String>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub allocated_storage: Option<i64>,
    pub max_allocated_storage: Option<i64>,
    pub multi_az: Option<bool>,
    pub backup_retention_days: Option<i64>,
    pub deletion_protection: Option<bool>,
    pub password: Option<Secret>,
    pub security_group_ids: Option<Vec<String>>,
    /// A new parameter group; RDS applies it at the instance's next reboot.
    pub parameter_group: Option<String>,
}

impl DbModification {
    pub fn is_empty(&self) -> bool {
        *self == DbModification::default()
    }

    /// Take the storage change out of this modification: RDS refuses one while the previous
    /// storage change is being optimised, but applies everything else meanwhile.
    pub fn take_storage_change(&mut self) -> Option<i64> {
        self.allocated_storage.take()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSubnetGroup {
    pub name: String,
    pub arn: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
}

fn to_i64(value: Option<i32>) -> i64 {
    value.map(i64::from).unwrap_or_default()
}

fn instance_from(db: &SdkDbInstance) -> DbInstance {
    DbInstance {
        identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
        arn: db.db_instance_arn().map(str::to_string),
        status: db.db_instance_status().unwrap_or("unknown").to_string(),
        instance_class: db.db_instance_class().unwrap_or_default().to_string(),
        engine: db.engine().unwrap_or_default().to_string(),
        engine_version: db.engine_version().unwrap_or_default().to_string(),
        auto_minor_version_upgrade: db.auto_minor_version_upgrade().unwrap_or(true),
        allocated_storage: to_i64(db.allocated_storage()),
        max_allocated_storage: db.max_allocated_storage().map(i64::from),
        multi_az: db.multi_az().unwrap_or(false),
        storage_encrypted: db.storage_encrypted().unwrap_or(false),
        publicly_accessible: db.publicly_accessible().unwrap_or(false),
        backup_retention_days: to_i64(db.backup_retention_period()),
        deletion_protection: db.deletion_protection().unwrap_or(false),
        db_name: db.db_name().map(str::to_string),
        username: db.master_username().map(str::to_string),
        address: db.endpoint().and_then(|e| e.address()).map(str::to_string),
        port: db.endpoint().and_then(|e| e.port()).map(i64::from),
        subnet_group: db
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_string),
        security_group_ids: db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .map(str::to_string)
            .collect(),
        parameter_groups: db
            .db_parameter_groups()
            .iter()
            .map(|g| ParameterGroupStatus {
                name: g.db_parameter_group_name().unwrap_or_default().to_string(),
                apply_status: g.parameter_apply_status().unwrap_or_default().to_string(),
            })
            .collect(),
        tags: tag_map(db.tag_list()),
    }
}

fn subnet_group_from(group: &SdkDbSubnetGroup) -> DbSubnetGroup {
    DbSubnetGroup {
        name: group.db_subnet_group_name().unwrap_or_default().to_string(),
        arn: group.db_subnet_group_arn().map(str::to_string),
        vpc_id: group.vpc_id().map(str::to_string),
        subnet_ids: group
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier())
            .map(str::to_string)
            .collect(),
    }
}

fn i32_of(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The instance `identifier`, or `None` when it does not exist.
/// A refresh's look-up is shared with other reads' when reads run together (by the
/// `db-instance-id` filter, which leaves out a missing instance instead of failing the call).
pub async fn describe_db_instance(
    clients: &Clients,
    identifier: &str,
) -> Result<Option<DbInstance>> {
    let all = keyed(
        clients,
        "db-instance-id",
        &[identifier.to_string()],
        instances_named,
    )
    .await?;
    Ok(all.iter().find(|db| db.identifier == identifier).cloned())
}

async fn instances_named(clients: Clients, identifiers: Vec<String>) -> Result<Vec<DbInstance>> {
    let what = identifiers.join(", ");
    let by = aws_sdk_rds::types::Filter::builder()
        .name("db-instance-id")
        .set_values(Some(identifiers))
        .build();
    let found = clients
        .rds
        .describe_db_instances()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found.iter().map(instance_from).collect())
}

/// Every DB instance of the region carrying `tag_key = tag_value` (sweeps, import).
pub async fn list_db_instances_tagged(
    clients: &Clients,
    tag_key: &str,
    tag_value: &str,
) -> Result<Vec<DbInstance>> {
    let found = clients
        .rds
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all DB instances")
        .await?;
    Ok(found
        .iter()
        .map(instance_from)
        .filter(|db| db.tags.get(tag_key).map(String::as_str) == Some(tag_value))
        .collect())
}

/// Start creating the instance; wait for it with [`wait_db_instance_available`].
pub async fn create_db_instance(
    clients: &Clients,
    request: &DbInstanceRequest<'_>,
) -> Result<DbInstance> {
    let output = clients
        .rds
        .create_db_instance()
        .db_instance_identifier(request.identifier)
        .engine(ENGINE)
        .engine_version(request.engine_version)
        .db_instance_class(request.instance_class)
        .allocated_storage(i32_of(request.allocated_storage))
        // Storage autoscaling needs a ceiling above the start size; RDS refuses anything else.
        .set_max_allocated_storage(
            (request.max_allocated_storage > request.allocated_storage)
                .then(|| i32_of(request.max_allocated_storage)),
        )
        .storage_type(STORAGE_TYPE)
        .storage_encrypted(true)
        .publicly_accessible(false)
        .multi_az(request.multi_az)
        .db_name(request.db_name)
        .master_username(request.username)
        .master_user_password(request.password.expose())
        .backup_retention_period(i32_of(request.backup_retention_days))
        .deletion_protection(request.deletion_protection)
        .db_subnet_group_name(request.subnet_group)
        .set_db_parameter_group_name(request.parameter_group.map(str::to_string))
        .set_vpc_security_group_ids(Some(request.security_group_ids.to_vec()))
        .copy_tags_to_snapshot(true)
        .auto_minor_version_upgrade(engine_version::auto_minor_upgrades(request.engine_version))
        .set_tags(Some(sdk_tags(request.tags)?))
        .send()
        .for_object(request.identifier)
        .await?;
    output.db_instance().map(instance_from).ok_or_else(|| {
        StackError::Internal(format!(
            "CreateDBInstance {} returned no instance",
            request.identifier
        ))
    })
}

/// Create the instance from a DB snapshot, in the stack's network, groups and parameter group.
/// The snapshot decides the engine version, storage, database name, master user and password;
/// the caller brings the rest to the spec with [`modify_db_instance`] once it is available.
pub async fn restore_db_instance_from_snapshot(
    clients: &Clients,
    request: &DbInstanceRequest<'_>,
    snapshot: &str,
) -> Result<DbInstance> {
    let output = clients
        .rds
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier(request.identifier)
        .db_snapshot_identifier(snapshot)
        .engine(ENGINE)
        .db_instance_class(request.instance_class)
        .storage_type(STORAGE_TYPE)
        .publicly_accessible(false)
        .multi_az(request.multi_az)
        .deletion_protection(request.deletion_protection)
        .db_subnet_group_name(request.subnet_group)
        .set_db_parameter_group_name(request.parameter_group.map(str::to_string))
        .set_vpc_security_group_ids(Some(request.security_group_ids.to_vec()))
        .copy_tags_to_snapshot(true)
        .auto_minor_version_upgrade(engine_version::auto_minor_upgrades(request.engine_version))
        .set_tags(Some(sdk_tags(request.tags)?))
        .send()
        .for_object(request.identifier)
        .await?;
    output.db_instance().map(instance_from).ok_or_else(|| {
        StackError::Internal(format!(
            "RestoreDBInstanceFromDBSnapshot {} returned no instance",
            request.identifier
        ))
    })
}

/// Apply `change` at once (not in the next maintenance window): the user asked for it now.
pub async fn modify_db_instance(
    clients: &Clients,
    identifier: &str,
    change: &DbModification,
) -> Result<()> {
    if change.is_empty() {
        return Ok(());
    }
    clients
        .rds
        .modify_db_instance()
        .db_instance_identifier(identifier)
        .apply_immediately(true)
        .set_db_instance_class(change.instance_class.clone())
        .set_engine_version(change.engine_version.clone())
        .set_allow_major_version_upgrade(change.engine_version.as_ref().map(|_| true))
        .set_auto_minor_version_upgrade(change.auto_minor_version_upgrade)
        .set_allocated_storage(change.allocated_storage.map(i32_of))
        .set_max_allocated_storage(change.max_allocated_storage.map(i32_of))
        .set_multi_az(change.multi_az)
        .set_backup_retention_period(change.backup_retention_days.map(i32_of))
        .set_deletion_protection(change.deletion_protection)
        .set_master_user_password(change.password.as_ref().map(|p| p.expose().to_string()))
        .set_vpc_security_group_ids(change.security_group_ids.clone())
        .set_db_parameter_group_name(change.parameter_group.clone())
        .send()
        .for_object(identifier)
        .await?;
    Ok(())
}

/// Delete the instance, taking `final_snapshot` first when given. Already gone is success.
pub async fn delete_db_instance(
    clients: &Clients,
    identifier: &str,
    final_snapshot: Option<&str>,
) -> Result<()> {
    let result = clients
        .rds
        .delete_db_instance()
        .db_instance_identifier(identifier)
        .skip_final_snapshot(final_snapshot.is_none())
        .set_final_db_snapshot_identifier(final_snapshot.map(str::to_string))
        .delete_automated_backups(true)
        .send()
        .for_object(identifier)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

/// Whether a DB snapshot of that identifier exists (the final snapshot of a delete).
pub async fn snapshot_exists(clients: &Clients, snapshot_identifier: &str) -> Result<bool> {
    let result = clients
        .rds
        .describe_db_snapshots()
        .db_snapshot_identifier(snapshot_identifier)
        .send()
        .for_object(snapshot_identifier)
        .await;
    match result {
        Ok(output) => Ok(!output.db_snapshots().is_empty()),
        Err(e) => none_if_not_found::<()>(e).map(|_| false),
    }
}

/// Delete a DB snapshot (tests clean up the final snapshots they cause).
pub async fn delete_snapshot(clients: &Clients, snapshot_identifier: &str) -> Result<()> {
    let result = clients
        .rds
        .delete_db_snapshot()
        .db_snapshot_identifier(snapshot_identifier)
        .send()
        .for_object(snapshot_identifier)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

/// The ARN of the subnet group `group_name` in the partition, region and account of
/// `sibling_arn`, the ARN of any regional object of the same account (the DB instance, the
/// load balancer, the secret): how a refresh reads the group's tags without describing first.
pub fn subnet_group_arn(sibling_arn: &str, group_name: &str) -> Option<String> {
    let parts: Vec<&str> = sibling_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, _service, region, account, _resource]
            if !partition.is_empty() && !region.is_empty() && !account.is_empty() =>
        {
            Some(format!(
                "arn:{partition}:rds:{region}:{account}:subgrp:{group_name}"
            ))
        }
        _ => None,
    }
}

/// The subnet group `name`, or `None`.
pub async fn describe_db_subnet_group(
    clients: &Clients,
    name: &str,
) -> Result<Option<DbSubnetGroup>> {
    let result = clients
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(output) => Ok(output.db_subnet_groups().first().map(subnet_group_from)),
        Err(e) => none_if_not_found(e),
    }
}

pub async fn create_db_subnet_group(
    clients: &Clients,
    name: &str,
    subnet_ids: &[String],
    tags: &BTreeMap<String, String>,
) -> Result<DbSubnetGroup> {
    let output = clients
        .rds
        .create_db_subnet_group()
        .db_subnet_group_name(name)
        .db_subnet_group_description(format!("Private subnets of the WordPress stack ({name})"))
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(name)
        .await?;
    Ok(output
        .db_subnet_group()
        .map(subnet_group_from)
        .unwrap_or_else(|| DbSubnetGroup {
            name: name.to_string(),
            arn: None,
            vpc_id: None,
            subnet_ids: subnet_ids.to_vec(),
        }))
}

/// Put the group back over exactly `subnet_ids` (repairs drift).
pub async fn modify_db_subnet_group(
    clients: &Clients,
    name: &str,
    subnet_ids: &[String],
) -> Result<()> {
    clients
        .rds
        .modify_db_subnet_group()
        .db_subnet_group_name(name)
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .send()
        .for_object(name)
        .await?;
    Ok(())
}

/// Delete the subnet group (after its instance). Already gone is success.
pub async fn delete_db_subnet_group(clients: &Clients, name: &str) -> Result<()> {
    let result = clients
        .rds
        .delete_db_subnet_group()
        .db_subnet_group_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

/// Make an RDS object's tags (by ARN): add or overwrite `set`, remove `remove`.
pub async fn retag(
    clients: &Clients,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    let rds = &clients.rds;
    retag_with(
        set,
        remove,
        |tags| {
            rds.add_tags_to_resource()
                .resource_name(arn)
                .set_tags(Some(tags))
                .send()
                .for_object(arn)
        },
        |keys| {
            rds.remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(arn)
        },
    )
    .await
}

/// The tags of an RDS object by ARN (the subnet group's description carries none).
pub async fn tags_of(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>> {
    let output = clients
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .for_object(arn)
        .await?;
    Ok(tag_map(output.tag_list()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subnet_group_arn_follows_any_regional_arn_of_the_account() {
        assert_eq!(
            subnet_group_arn(
                "arn:aws:rds:us-east-1:123456789012:db:blog-db",
                "blog-db-subnets"
            )
            .as_deref(),
            Some("arn:aws:rds:us-east-1:123456789012:subgrp:blog-db-subnets")
        );
        assert_eq!(
            subnet_group_arn("arn:aws-cn:rds:cn-north-1:1:db:x", "g").as_deref(),
            Some("arn:aws-cn:rds:cn-north-1:1:subgrp:g")
        );
        assert_eq!(
            subnet_group_arn(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:blog/wordpress-AbCdEf",
                "g"
            )
            .as_deref(),
            Some("arn:aws:rds:us-east-1:123456789012:subgrp:g")
        );
        // IAM is global: its ARNs name no region.
        assert_eq!(
            subnet_group_arn("arn:aws:iam::123456789012:role/x", "g"),
            None
        );
        assert_eq!(subnet_group_arn("not an arn", "g"), None);
    }
}
