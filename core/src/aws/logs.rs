//! CloudWatch Logs: the stack's log group, its retention, its KMS key and its tags.
//!
//! A group is named, not id'd: every call here takes the name; tags go by the group's ARN
//! without the `:*` DescribeLogGroups appends to `arn` (that is `logGroupArn`).

use std::collections::{BTreeMap, HashMap};

use crate::aws::not_found::{none_if_not_found, ok_if_not_found};
use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// One log group as DescribeLogGroups returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    /// `arn:…:log-group:<name>` (no `:*`): what the tagging calls take.
    pub arn: String,
    /// `None`: no retention policy, events never expire.
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
}

fn log_group(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> LogGroup {
    let arn = group
        .log_group_arn()
        .map(str::to_string)
        .or_else(|| {
            group
                .arn()
                .map(|arn| arn.trim_end_matches(":*").to_string())
        })
        .unwrap_or_default();
    LogGroup {
        name: group.log_group_name().unwrap_or_default().to_string(),
        arn,
        retention_in_days: group.retention_in_days(),
        kms_key_id: group.kms_key_id().map(str::to_string),
    }
}

/// The group of exactly this name, if it exists.
pub async fn find_log_group(clients: &Clients, name: &str) -> Result<Option<LogGroup>> {
    let groups = groups_with_prefix(clients, name).await?;
    Ok(groups.into_iter().find(|group| group.name == name))
}

/// Every group whose name starts with `prefix` (a sweep lists a stack's `/wordpress/<name>`).
pub async fn groups_with_prefix(clients: &Clients, prefix: &str) -> Result<Vec<LogGroup>> {
    let groups = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(prefix)
        .await?;
    Ok(groups.iter().map(log_group).collect())
}

/// Create the group with its tags, encrypted with `kms_key_id` when given.
pub async fn create_log_group(
    clients: &Clients,
    name: &str,
    kms_key_id: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    let tags: HashMap<String, String> = tags.clone().into_iter().collect();
    clients
        .logs
        .create_log_group()
        .log_group_name(name)
        .set_kms_key_id(kms_key_id.map(str::to_string))
        .set_tags(Some(tags))
        .send()
        .for_object(name)
        .await?;
    Ok(())
}

/// Keep events `days` days; `None`: remove the retention policy (never expire).
pub async fn set_retention(clients: &Clients, name: &str, days: Option<i32>) -> Result<()> {
    match days {
        Some(days) => {
            clients
                .logs
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .for_object(name)
                .await?;
        }
        None => {
            clients
                .logs
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .for_object(name)
                .await?;
        }
    }
    Ok(())
}

/// Encrypt new events with `kms_key_id`; `None`: back to CloudWatch Logs' own encryption.
pub async fn set_kms_key(clients: &Clients, name: &str, kms_key_id: Option<&str>) -> Result<()> {
    match kms_key_id {
        Some(key) => {
            clients
                .logs
                .associate_kms_key()
                .log_group_name(name)
                .kms_key_id(key)
                .send()
                .for_object(name)
                .await?;
        }
        None => {
            clients
                .logs
                .disassociate_kms_key()
                .log_group_name(name)
                .send()
                .for_object(name)
                .await?;
        }
    }
    Ok(())
}

/// Delete the group and every event in it; `Ok` when it is already gone.
pub async fn delete_log_group(clients: &Clients, name: &str) -> Result<()> {
    let result = clients
        .logs
        .delete_log_group()
        .log_group_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => ok_if_not_found(error),
    }
}

/// The tags of the group `arn`; `None` when the group is gone.
pub async fn tags_of(clients: &Clients, arn: &str) -> Result<Option<BTreeMap<String, String>>> {
    let result = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .for_object(arn)
        .await;
    match result {
        Ok(output) => Ok(Some(
            output
                .tags()
                .map(|tags| tags.clone().into_iter().collect())
                .unwrap_or_default(),
        )),
        Err(error) => none_if_not_found(error),
    }
}

/// Make the group's tags: `set` added or overwritten, `remove` dropped.
pub async fn retag(
    clients: &Clients,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    if !set.is_empty() {
        clients
            .logs
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set.clone().into_iter().collect()))
            .send()
            .for_object(arn)
            .await?;
    }
    if !remove.is_empty() {
        clients
            .logs
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .for_object(arn)
            .await?;
    }
    Ok(())
}
