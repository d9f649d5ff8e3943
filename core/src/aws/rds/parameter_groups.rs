//! DB parameter groups: the stack's own group, which sets what the default group cannot (it
//! is read-only), and the instance's association with it.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{ApplyMethod, Parameter};

use crate::aws::not_found::{none_if_not_found, ok_if_not_found};
use crate::aws::tags::sdk_tags;
use crate::aws::{Clients, SendFor};
use crate::error::{Result, StackError};

/// What the core needs to know of a parameter group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbParameterGroup {
    pub name: String,
    pub family: String,
    pub arn: Option<String>,
}

/// A parameter group an instance names, with RDS's word on whether its values are in effect
/// (`in-sync`, `applying`, `pending-reboot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterGroupStatus {
    pub name: String,
    pub apply_status: String,
}

/// The group `name`, or `None`.
pub async fn describe_db_parameter_group(
    clients: &Clients,
    name: &str,
) -> Result<Option<DbParameterGroup>> {
    let result = clients
        .rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(output) => Ok(output
            .db_parameter_groups()
            .first()
            .map(|g| DbParameterGroup {
                name: g.db_parameter_group_name().unwrap_or(name).to_string(),
                family: g
                    .db_parameter_group_family()
                    .unwrap_or_default()
                    .to_string(),
                arn: g.db_parameter_group_arn().map(str::to_string),
            })),
        Err(e) => none_if_not_found(e),
    }
}

/// Create an empty group of `family` (every parameter at the family's default).
pub async fn create_db_parameter_group(
    clients: &Clients,
    name: &str,
    family: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<DbParameterGroup> {
    let output = clients
        .rds
        .create_db_parameter_group()
        .db_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description(description)
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(name)
        .await?;
    let group = output.db_parameter_group();
    Ok(DbParameterGroup {
        name: name.to_string(),
        family: family.to_string(),
        arn: group
            .and_then(|g| g.db_parameter_group_arn())
            .map(str::to_string),
    })
}

/// The values the user (not the engine's defaults) set in the group, by parameter name; an
/// absent group has none.
pub async fn user_parameters(clients: &Clients, name: &str) -> Result<BTreeMap<String, String>> {
    let listed = clients
        .rds
        .describe_db_parameters()
        .db_parameter_group_name(name)
        .source("user")
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(name)
        .await;
    let parameters = match listed {
        Ok(parameters) => parameters,
        Err(e) => return none_if_not_found(e).map(|_: Option<()>| BTreeMap::new()),
    };
    Ok(parameters
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_name()?.to_string(),
                p.parameter_value()?.to_string(),
            ))
        })
        .collect())
}

/// Set `values` in the group, each applied at once: dynamic parameters take effect on the
/// instances already using the group without a reboot.
pub async fn set_parameters(clients: &Clients, name: &str, values: &[(&str, &str)]) -> Result<()> {
    let parameters = values
        .iter()
        .map(|(parameter, value)| {
            Parameter::builder()
                .parameter_name(*parameter)
                .parameter_value(*value)
                .apply_method(ApplyMethod::Immediate)
                .build()
        })
        .collect();
    clients
        .rds
        .modify_db_parameter_group()
        .db_parameter_group_name(name)
        .set_parameters(Some(parameters))
        .send()
        .for_object(name)
        .await?;
    Ok(())
}

/// Delete the group (once no instance uses it). Already gone is success.
pub async fn delete_db_parameter_group(clients: &Clients, name: &str) -> Result<()> {
    let result = clients
        .rds
        .delete_db_parameter_group()
        .db_parameter_group_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

/// Whether RDS refused a delete because an instance still uses the group.
pub fn is_in_use(error: &StackError) -> bool {
    error.aws_code() == Some("InvalidDBParameterGroupState")
}
