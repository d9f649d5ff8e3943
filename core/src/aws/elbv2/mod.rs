//! Elastic Load Balancing v2: the stack's Application Load Balancer, its target group (its
//! attributes in `target_group_attributes.rs`) and listeners (`listeners.rs`); both
//! re-exported here.

pub mod target_health;

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancer as SdkLoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerStateEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum,
    TargetGroup as SdkTargetGroup, TargetTypeEnum,
};

use crate::aws::coalesce::keyed;
use crate::aws::not_found::{empty_if_one_not_found, ok_if_not_found, wait_until_gone};
use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{elbv2_send_once, Clients, SendFor};
use crate::error::{Result, StackError};
use crate::wait::{self, Bounds, Poll};

mod listeners;
mod target_group_attributes;

pub use listeners::*;
pub use target_group_attributes::*;

const IDLE_TIMEOUT_KEY: &str = "idle_timeout.timeout_seconds";
/// TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for HTTPS listeners.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// The Route 53 hosted zone of the ALB's DNS name (alias records point at it).
    pub canonical_zone_id: String,
    /// `provisioning`, `active`, `failed`…
    pub state: String,
    pub internet_facing: bool,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub vpc_id: Option<String>,
    pub health_check_path: Option<String>,
    pub matcher: Option<String>,
    pub load_balancer_arns: Vec<String>,
}

fn load_balancer_from(lb: &SdkLoadBalancer) -> LoadBalancer {
    LoadBalancer {
        arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        canonical_zone_id: lb
            .canonical_hosted_zone_id()
            .unwrap_or_default()
            .to_string(),
        state: lb
            .state()
            .and_then(|s| s.code())
            .map(|c| c.as_str().to_string())
            .unwrap_or_else(|| "unknown".to_string()),
        internet_facing: lb.scheme() == Some(&LoadBalancerSchemeEnum::InternetFacing),
        vpc_id: lb.vpc_id().map(str::to_string),
        subnet_ids: lb
            .availability_zones()
            .iter()
            .filter_map(|az| az.subnet_id())
            .map(str::to_string)
            .collect(),
        security_group_ids: lb.security_groups().to_vec(),
    }
}

fn target_group_from(tg: &SdkTargetGroup) -> TargetGroup {
    TargetGroup {
        arn: tg.target_group_arn().unwrap_or_default().to_string(),
        name: tg.target_group_name().unwrap_or_default().to_string(),
        port: tg.port().map(i64::from),
        protocol: tg.protocol().map(|p| p.as_str().to_string()),
        vpc_id: tg.vpc_id().map(str::to_string),
        health_check_path: tg.health_check_path().map(str::to_string),
        matcher: tg.matcher().and_then(|m| m.http_code()).map(str::to_string),
        load_balancer_arns: tg.load_balancer_arns().to_vec(),
    }
}

fn single<T>(items: Vec<T>) -> Option<T> {
    items.into_iter().next()
}

// ---- load balancer ----

/// Most names or ARNs one ELB describe takes.
const KEYS_PER_CALL: usize = 20;

/// The load balancer named `name`, or `None`.
pub async fn find_load_balancer(clients: &Clients, name: &str) -> Result<Option<LoadBalancer>> {
    let fetch = |clients, names| load_balancers(clients, By::Names, names);
    let all = keyed(clients, "load-balancer-names", &[name.to_string()], fetch).await?;
    Ok(all.iter().find(|lb| lb.name == name).cloned())
}

/// The load balancer `arn`, or `None`.
pub async fn describe_load_balancer(clients: &Clients, arn: &str) -> Result<Option<LoadBalancer>> {
    let fetch = |clients, arns| load_balancers(clients, By::Arns, arns);
    let all = keyed(clients, "load-balancer-arns", &[arn.to_string()], fetch).await?;
    Ok(all.iter().find(|lb| lb.arn == arn).cloned())
}

/// How an ELB describe names the objects it is asked for. A refresh's look-ups by either are
/// shared with other reads' (`crate::aws::coalesce`).
#[derive(Debug, Clone, Copy)]
enum By {
    Names,
    Arns,
}

async fn load_balancers(clients: Clients, by: By, keys: Vec<String>) -> Result<Vec<LoadBalancer>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(KEYS_PER_CALL) {
        let request = clients.elbv2.describe_load_balancers();
        let request = match by {
            By::Names => request.set_names(Some(chunk.to_vec())),
            By::Arns => request.set_load_balancer_arns(Some(chunk.to_vec())),
        };
        match request.send().for_object(chunk.join(", ")).await {
            Ok(output) => found.extend(output.load_balancers().iter().map(load_balancer_from)),
            Err(e) => found.extend(empty_if_one_not_found(chunk.len(), e)?),
        }
    }
    Ok(found)
}

/// An internet-facing ALB in `subnet_ids` behind `security_group_ids`.
pub async fn create_load_balancer(
    clients: &Clients,
    name: &str,
    subnet_ids: &[String],
    security_group_ids: &[String],
    tags: &BTreeMap<String, String>,
) -> Result<LoadBalancer> {
    let output = clients
        .elbv2
        .create_load_balancer()
        .name(name)
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .set_subnets(Some(subnet_ids.to_vec()))
        .set_security_groups(Some(security_group_ids.to_vec()))
        .set_tags(Some(sdk_tags(tags)?))
        .customize()
        .config_override(elbv2_send_once())
        .send()
        .for_object(name)
        .await?;
    single(
        output
            .load_balancers()
            .iter()
            .map(load_balancer_from)
            .collect(),
    )
    .ok_or_else(|| {
        StackError::Internal(format!(
            "CreateLoadBalancer {name} returned no load balancer"
        ))
    })
}

pub async fn set_load_balancer_security_groups(
    clients: &Clients,
    arn: &str,
    group_ids: &[String],
) -> Result<()> {
    clients
        .elbv2
        .set_security_groups()
        .load_balancer_arn(arn)
        .set_security_groups(Some(group_ids.to_vec()))
        .send()
        .for_object(arn)
        .await?;
    Ok(())
}

pub async fn set_load_balancer_subnets(
    clients: &Clients,
    arn: &str,
    subnet_ids: &[String],
) -> Result<()> {
    clients
        .elbv2
        .set_subnets()
        .load_balancer_arn(arn)
        .set_subnets(Some(subnet_ids.to_vec()))
        .send()
        .for_object(arn)
        .await?;
    Ok(())
}

/// The connection idle timeout in seconds, when AWS reports one.
pub async fn idle_timeout(clients: &Clients, arn: &str) -> Result<Option<i64>> {
    let output = clients
        .elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .for_object(arn)
        .await?;
    let pairs = output.attributes().iter().map(|a| (a.key(), a.value()));
    Ok(numeric_attribute(pairs, IDLE_TIMEOUT_KEY))
}

/// The number an attribute `key` holds among `(key, value)` pairs, when AWS reports it (load
/// balancer and target group attributes are different types of the same shape).
fn numeric_attribute<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    key: &str,
) -> Option<i64> {
    pairs
        .into_iter()
        .find(|(k, _)| *k == Some(key))
        .and_then(|(_, value)| value?.parse().ok())
}

pub async fn set_idle_timeout(clients: &Clients, arn: &str, seconds: i64) -> Result<()> {
    clients
        .elbv2
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(
            LoadBalancerAttribute::builder()
                .key(IDLE_TIMEOUT_KEY)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .for_object(arn)
        .await?;
    Ok(())
}

/// Delete the load balancer (its listeners go with it). Already gone is success.
pub async fn delete_load_balancer(clients: &Clients, arn: &str) -> Result<()> {
    let result = clients
        .elbv2
        .delete_load_balancer()
        .load_balancer_arn(arn)
        .send()
        .for_object(arn)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

/// Wait until the load balancer is `active` (it is `provisioning` for minutes on AWS).
pub async fn wait_load_balancer_active(
    clients: &Clients,
    bounds: &Bounds,
    arn: &str,
) -> Result<LoadBalancer> {
    wait::until(
        bounds,
        &format!("load balancer {arn}"),
        "active",
        || async {
            Ok(match describe_load_balancer(clients, arn).await? {
                Some(lb) => match LoadBalancerStateEnum::from(lb.state.as_str()) {
                    LoadBalancerStateEnum::Active => Poll::Ready(lb),
                    LoadBalancerStateEnum::Failed => Poll::Failed(lb.state),
                    _ => Poll::Pending(lb.state),
                },
                None => Poll::Pending("not visible yet".to_string()),
            })
        },
    )
    .await
}

/// Wait until the load balancer no longer exists.
pub async fn wait_load_balancer_deleted(
    clients: &Clients,
    bounds: &Bounds,
    arn: &str,
) -> Result<()> {
    wait_until_gone(
        bounds,
        &format!("load balancer {arn}"),
        || describe_load_balancer(clients, arn),
        |lb| Some(lb.state),
    )
    .await
}

// ---- target group ----

/// The target group named `name`, or `None`.
pub async fn find_target_group(clients: &Clients, name: &str) -> Result<Option<TargetGroup>> {
    let fetch = |clients, names| target_groups(clients, By::Names, names);
    let all = keyed(clients, "target-group-names", &[name.to_string()], fetch).await?;
    Ok(all.iter().find(|tg| tg.name == name).cloned())
}

/// The target group `arn`, or `None`.
pub async fn describe_target_group(clients: &Clients, arn: &str) -> Result<Option<TargetGroup>> {
    let fetch = |clients, arns| target_groups(clients, By::Arns, arns);
    let all = keyed(clients, "target-group-arns", &[arn.to_string()], fetch).await?;
    Ok(all.iter().find(|tg| tg.arn == arn).cloned())
}

async fn target_groups(clients: Clients, by: By, keys: Vec<String>) -> Result<Vec<TargetGroup>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(KEYS_PER_CALL) {
        let request = clients.elbv2.describe_target_groups();
        let request = match by {
            By::Names => request.set_names(Some(chunk.to_vec())),
            By::Arns => request.set_target_group_arns(Some(chunk.to_vec())),
        };
        match request.send().for_object(chunk.join(", ")).await {
            Ok(output) => found.extend(output.target_groups().iter().map(target_group_from)),
            Err(e) => found.extend(empty_if_one_not_found(chunk.len(), e)?),
        }
    }
    Ok(found)
}

/// What the target group's health check asks and accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCheck<'a> {
    pub path: &'a str,
    /// HTTP codes that count as healthy (`200`, `200-399`).
    pub matcher: &'a str,
}

impl HealthCheck<'_> {
    /// Whether `tg` already checks this way.
    pub fn is_met_by(&self, tg: &TargetGroup) -> bool {
        tg.health_check_path.as_deref() == Some(self.path)
            && tg.matcher.as_deref() == Some(self.matcher)
    }
}

/// HTTP 80 instance targets in `vpc_id`, healthy when `health_check` is answered.
pub async fn create_target_group(
    clients: &Clients,
    name: &str,
    vpc_id: &str,
    health_check: HealthCheck<'_>,
    tags: &BTreeMap<String, String>,
) -> Result<TargetGroup> {
    let output = clients
        .elbv2
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc_id)
        .target_type(TargetTypeEnum::Instance)
        .health_check_enabled(true)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_path(health_check.path)
        .health_check_interval_seconds(15)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(3)
        .matcher(Matcher::builder().http_code(health_check.matcher).build())
        .set_tags(Some(sdk_tags(tags)?))
        .customize()
        .config_override(elbv2_send_once())
        .send()
        .for_object(name)
        .await?;
    single(
        output
            .target_groups()
            .iter()
            .map(target_group_from)
            .collect(),
    )
    .ok_or_else(|| {
        StackError::Internal(format!("CreateTargetGroup {name} returned no target group"))
    })
}

/// Put the health check back to `health_check` (repairs drift, follows the spec).
pub async fn set_health_check(
    clients: &Clients,
    arn: &str,
    health_check: HealthCheck<'_>,
) -> Result<()> {
    clients
        .elbv2
        .modify_target_group()
        .target_group_arn(arn)
        .health_check_path(health_check.path)
        .matcher(Matcher::builder().http_code(health_check.matcher).build())
        .send()
        .for_object(arn)
        .await?;
    Ok(())
}

/// Delete the target group (after the listeners that use it). Already gone is success.
pub async fn delete_target_group(clients: &Clients, arn: &str) -> Result<()> {
    let result = clients
        .elbv2
        .delete_target_group()
        .target_group_arn(arn)
        .send()
        .for_object(arn)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}

// ---- tags and listings (find by tag) ----

/// Every load balancer of the region.
pub async fn list_load_balancers(clients: &Clients) -> Result<Vec<LoadBalancer>> {
    let found = clients
        .elbv2
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all load balancers")
        .await?;
    Ok(found.iter().map(load_balancer_from).collect())
}

/// Every target group of the region.
pub async fn list_target_groups(clients: &Clients) -> Result<Vec<TargetGroup>> {
    let found = clients
        .elbv2
        .describe_target_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all target groups")
        .await?;
    Ok(found.iter().map(target_group_from).collect())
}

/// Make an ELB object's tags (load balancer, target group or listener, by ARN): add or
/// overwrite `set`, remove `remove`.
pub async fn retag(
    clients: &Clients,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    let elbv2 = &clients.elbv2;
    retag_with(
        set,
        remove,
        |tags| {
            elbv2
                .add_tags()
                .resource_arns(arn)
                .set_tags(Some(tags))
                .send()
                .for_object(arn)
        },
        |keys| {
            elbv2
                .remove_tags()
                .resource_arns(arn)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(arn)
        },
    )
    .await
}

/// ARN → tags, for up to any number of ARNs (DescribeTags takes 20 at a time), in a call shared
/// with other reads' when reads run together.
pub async fn tags_of(
    clients: &Clients,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let all = keyed(clients, "tag-arns", arns, tags_of_arns).await?;
    Ok(arns
        .iter()
        .filter_map(|arn| Some((arn.clone(), all.get(arn)?.clone())))
        .collect())
}

async fn tags_of_arns(
    clients: Clients,
    arns: Vec<String>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut tags = BTreeMap::new();
    for chunk in arns.chunks(KEYS_PER_CALL) {
        let output = clients
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .for_object(chunk.join(", "))
            .await?;
        for description in output.tag_descriptions() {
            let Some(arn) = description.resource_arn() else {
                continue;
            };
            let map = tag_map(description.tags());
            tags.insert(arn.to_string(), map);
        }
    }
    Ok(tags)
}
