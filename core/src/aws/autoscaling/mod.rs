//! EC2 Auto Scaling: the group that runs the WordPress instances and its CPU target-tracking
//! policy; waiting for its instances to serve ([`capacity`]) and replacing them when the
//! launch template changes ([`refresh`]).

pub mod capacity;
pub mod metrics;
pub mod refresh;

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as SdkGroup, Filter, LaunchTemplateSpecification, MetricType,
    PredefinedMetricSpecification, Tag, TargetTrackingConfiguration,
};

use crate::aws::coalesce::keyed;
use crate::aws::not_found::{ok_if_not_found, wait_until_gone};
use crate::aws::tags::tag_map;
use crate::aws::{Clients, NoBlindResend, SendFor};
use crate::error::Result;
use crate::wait::Bounds;

/// Instances count as healthy when the target group says so, not merely when EC2 does.
pub const HEALTH_CHECK_TYPE: &str = "ELB";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoScalingGroup {
    pub name: String,
    pub min_size: i64,
    pub max_size: i64,
    pub desired_capacity: i64,
    pub launch_template_id: Option<String>,
    /// As given to the group: a number, or `$Latest`/`$Default` when set by someone else.
    pub launch_template_version: Option<String>,
    pub subnet_ids: Vec<String>,
    pub target_group_arns: Vec<String>,
    pub health_check_type: Option<String>,
    pub health_check_grace_period: Option<i64>,
    /// `Some("Delete in progress")` while a delete runs.
    pub status: Option<String>,
    pub instance_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// The group metrics being collected (`GroupInServiceInstances`…).
    pub enabled_metrics: Vec<String>,
}

/// The group as the stack wants it.
#[derive(Debug, Clone)]
pub struct GroupRequest<'a> {
    pub name: &'a str,
    pub launch_template_id: &'a str,
    /// An explicit version number: `$Latest` would change instances behind the user's back.
    pub launch_template_version: i64,
    pub min_size: i64,
    pub max_size: i64,
    /// `None` lets the scaling policy own it (on create: `min_size`).
    pub desired_capacity: Option<i64>,
    pub subnet_ids: &'a [String],
    pub target_group_arns: &'a [String],
    pub health_check_grace_period: i64,
    /// Propagated to every instance at launch.
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScalingPolicy {
    pub name: String,
    pub arn: Option<String>,
    pub metric: Option<String>,
    pub target_value: Option<f64>,
}

fn i32_of(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn group_from(group: &SdkGroup) -> AutoScalingGroup {
    let template = group.launch_template();
    AutoScalingGroup {
        name: group
            .auto_scaling_group_name()
            .unwrap_or_default()
            .to_string(),
        min_size: group.min_size().map(i64::from).unwrap_or_default(),
        max_size: group.max_size().map(i64::from).unwrap_or_default(),
        desired_capacity: group.desired_capacity().map(i64::from).unwrap_or_default(),
        launch_template_id: template
            .and_then(|t| t.launch_template_id())
            .map(str::to_string),
        launch_template_version: template.and_then(|t| t.version()).map(str::to_string),
        subnet_ids: group
            .vpc_zone_identifier()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        target_group_arns: group.target_group_arns().to_vec(),
        health_check_type: group.health_check_type().map(str::to_string),
        health_check_grace_period: group.health_check_grace_period().map(i64::from),
        status: group.status().map(str::to_string),
        instance_ids: group
            .instances()
            .iter()
            .filter_map(|i| i.instance_id())
            .map(str::to_string)
            .collect(),
        tags: tag_map(group.tags()),
        enabled_metrics: group
            .enabled_metrics()
            .iter()
            .filter_map(|m| m.metric().map(str::to_string))
            .collect(),
    }
}

fn group_tags(group: &str, tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .resource_id(group)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(true)
                .build()
        })
        .collect()
}

fn template_spec(id: &str, version: i64) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_id(id)
        .version(version.to_string())
        .build()
}

/// The group `name`, or `None` (also while AWS finishes deleting it, it is reported).
/// A refresh's look-up is shared with other reads' when reads run together.
pub async fn describe_group(clients: &Clients, name: &str) -> Result<Option<AutoScalingGroup>> {
    let all = keyed(clients, "group-names", &[name.to_string()], groups_named).await?;
    Ok(all.iter().find(|group| group.name == name).cloned())
}

async fn groups_named(clients: Clients, names: Vec<String>) -> Result<Vec<AutoScalingGroup>> {
    let what = names.join(", ");
    let found = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .set_auto_scaling_group_names(Some(names))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found.iter().map(group_from).collect())
}

/// Every group carrying `tag_key = tag_value`. The tagging API does not see ASGs, so ask
/// Auto Scaling itself (filter on the server, check again here since some endpoints filter loosely).
pub async fn list_groups_tagged(
    clients: &Clients,
    tag_key: &str,
    tag_value: &str,
) -> Result<Vec<AutoScalingGroup>> {
    let groups = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .filters(
            Filter::builder()
                .name(format!("tag:{tag_key}"))
                .values(tag_value)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(format!("groups tagged {tag_key}={tag_value}"))
        .await?;
    Ok(groups
        .iter()
        .map(group_from)
        .filter(|g| g.tags.get(tag_key).map(String::as_str) == Some(tag_value))
        .collect())
}

pub async fn create_group(clients: &Clients, request: &GroupRequest<'_>) -> Result<()> {
    clients
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(request.name)
        .launch_template(template_spec(
            request.launch_template_id,
            request.launch_template_version,
        ))
        .min_size(i32_of(request.min_size))
        .max_size(i32_of(request.max_size))
        .desired_capacity(i32_of(request.desired_capacity.unwrap_or(request.min_size)))
        .vpc_zone_identifier(request.subnet_ids.join(","))
        .set_target_group_arns(Some(request.target_group_arns.to_vec()))
        .health_check_type(HEALTH_CHECK_TYPE)
        .health_check_grace_period(i32_of(request.health_check_grace_period))
        .set_tags(Some(group_tags(request.name, request.tags)))
        // A lost answer is resolved by looking for the group, not by a re-send (an endpoint
        // that does not refuse the duplicate name would launch a second set of instances).
        .customize()
        .config_override(
            aws_sdk_autoscaling::config::Builder::default().retry_classifier(NoBlindResend),
        )
        .send()
        .for_object(request.name)
        .await?;
    Ok(())
}

/// Bring a live group to `request` (template version, sizes, subnets, health checks).
pub async fn update_group(clients: &Clients, request: &GroupRequest<'_>) -> Result<()> {
    clients
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(request.name)
        .launch_template(template_spec(
            request.launch_template_id,
            request.launch_template_version,
        ))
        .min_size(i32_of(request.min_size))
        .max_size(i32_of(request.max_size))
        .set_desired_capacity(request.desired_capacity.map(i32_of))
        .vpc_zone_identifier(request.subnet_ids.join(","))
        .health_check_type(HEALTH_CHECK_TYPE)
        .health_check_grace_period(i32_of(request.health_check_grace_period))
        .send()
        .for_object(request.name)
        .await?;
    Ok(())
}

/// Attach target groups the group lacks (drift).
pub async fn attach_target_groups(clients: &Clients, group: &str, arns: &[String]) -> Result<()> {
    clients
        .autoscaling
        .attach_load_balancer_target_groups()
        .auto_scaling_group_name(group)
        .set_target_group_arns(Some(arns.to_vec()))
        .send()
        .for_object(group)
        .await?;
    Ok(())
}

/// Put the stack's tags back on the group (propagated to instances launched from now on).
pub async fn put_tags(
    clients: &Clients,
    group: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    clients
        .autoscaling
        .create_or_update_tags()
        .set_tags(Some(group_tags(group, tags)))
        .send()
        .for_object(group)
        .await?;
    Ok(())
}

/// Remove tags from the group (instances launched from now on no longer get them).
pub async fn delete_tags(clients: &Clients, group: &str, keys: &[String]) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let tags = keys
        .iter()
        .map(|key| {
            Tag::builder()
                .resource_id(group)
                .resource_type("auto-scaling-group")
                .key(key)
                .build()
        })
        .collect();
    clients
        .autoscaling
        .delete_tags()
        .set_tags(Some(tags))
        .send()
        .for_object(group)
        .await?;
    Ok(())
}

/// Delete the group and its instances at once (`ForceDelete`). Already gone is success
/// (checked first: an emulating endpoint may answer a delete of a missing group with a bare HTTP 500).
pub async fn delete_group(clients: &Clients, name: &str) -> Result<()> {
    if describe_group(clients, name).await?.is_none() {
        return Ok(());
    }
    let result = clients
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name(name)
        .force_delete(true)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            // Auto Scaling says "ValidationError: AutoScalingGroup name not found".
            if error.aws_code() == Some("ValidationError")
                && error.to_string().contains("not found")
            {
                return Ok(());
            }
            // A re-send whose first answer was lost meets a group already deleted (or being
            // deleted), which some endpoints answer with an error of their own.
            let gone = describe_group(clients, name)
                .await?
                .is_none_or(|group| group.status.is_some());
            if gone {
                return Ok(());
            }
            ok_if_not_found(error)
        }
    }
}

/// Wait until the group is gone (its instances are terminated first on AWS).
pub async fn wait_group_deleted(clients: &Clients, bounds: &Bounds, name: &str) -> Result<()> {
    wait_until_gone(
        bounds,
        &format!("auto scaling group {name}"),
        || describe_group(clients, name),
        |group| Some(group.status.unwrap_or_else(|| "still listed".to_string())),
    )
    .await
}

/// Create or update the target-tracking policy keeping average CPU at `target_percent`.
pub async fn put_cpu_target_policy(
    clients: &Clients,
    group: &str,
    policy_name: &str,
    target_percent: f64,
) -> Result<Option<String>> {
    let output = clients
        .autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(group)
        .policy_name(policy_name)
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(
            TargetTrackingConfiguration::builder()
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::AsgAverageCpuUtilization)
                        .build(),
                )
                .target_value(target_percent)
                .build(),
        )
        .send()
        .for_object(format!("{group}/{policy_name}"))
        .await?;
    Ok(output.policy_arn().map(str::to_string))
}

/// The policy `policy_name` of `group`, or `None`.
/// Policies are asked for by name alone (each stack's name is its own), so a refresh's look-up
/// can be shared with other reads'; the group is checked here.
pub async fn describe_policy(
    clients: &Clients,
    group: &str,
    policy_name: &str,
) -> Result<Option<ScalingPolicy>> {
    let all = keyed(
        clients,
        "policy-names",
        &[policy_name.to_string()],
        policies_named,
    )
    .await?;
    Ok(all
        .iter()
        .find(|(of_group, p)| of_group == group && p.name == policy_name)
        .map(|(_, policy)| policy.clone()))
}

/// The policies named `names`, with their groups.
async fn policies_named(
    clients: Clients,
    names: Vec<String>,
) -> Result<Vec<(String, ScalingPolicy)>> {
    let what = names.join(", ");
    let found = clients
        .autoscaling
        .describe_policies()
        .set_policy_names(Some(names))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|p| {
            let tracking = p.target_tracking_configuration();
            let policy = ScalingPolicy {
                name: p.policy_name().unwrap_or_default().to_string(),
                arn: p.policy_arn().map(str::to_string),
                metric: tracking
                    .and_then(|t| t.predefined_metric_specification())
                    .and_then(|m| m.predefined_metric_type())
                    .map(|t| t.as_str().to_string()),
                target_value: tracking.and_then(|t| t.target_value()),
            };
            (
                p.auto_scaling_group_name().unwrap_or_default().to_string(),
                policy,
            )
        })
        .collect())
}
