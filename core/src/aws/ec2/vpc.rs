//! VPCs, their subnets, and the region's availability zones.

use aws_sdk_ec2::operation::describe_availability_zones::builders::DescribeAvailabilityZonesFluentBuilder;
use aws_sdk_ec2::operation::describe_availability_zones::DescribeAvailabilityZonesOutput;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, VpcAttributeName};

use super::scoped::{scoped, InScope};
use super::{filter, ignore_not_found, opt, tag_spec, Scope, Tags, NO_ID};
use crate::aws::tags::tag_map;
use crate::aws::{ec2_send_once, Clients, SendFor};
use crate::error::Result;

/// Names of the region's available zones, sorted.
pub async fn availability_zones(clients: &Clients) -> Result<Vec<String>> {
    let out = zones_request(clients).send().for_object("region").await?;
    Ok(zone_names(&out))
}

/// The DescribeAvailabilityZones of [`availability_zones`], also sent by the settings check
/// (`aws/access.rs`), so both list the same zones.
pub(crate) fn zones_request(clients: &Clients) -> DescribeAvailabilityZonesFluentBuilder {
    clients
        .ec2
        .describe_availability_zones()
        .filters(filter("state", &["available"]))
        .filters(filter("zone-type", &["availability-zone"]))
}

/// The zone names of an answer to [`zones_request`], sorted.
pub(crate) fn zone_names(out: &DescribeAvailabilityZonesOutput) -> Vec<String> {
    let mut zones: Vec<String> = out
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    zones
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: String,
    pub cidr: String,
    pub tags: Tags,
}

/// VPCs tagged for the stack (normally zero or one).
/// VPCs tagged for the stack.
pub async fn stack_vpcs(clients: &Clients, stack: &str) -> Result<Vec<Vpc>> {
    vpcs(clients, Scope::Stack(stack)).await
}

/// VPCs of the scope (`Scope::Vpc`: that VPC, if it exists).
pub async fn vpcs(clients: &Clients, scope: Scope<'_>) -> Result<Vec<Vpc>> {
    scoped(clients, scope, "vpc-id", "VPC", describe_vpcs).await
}

async fn describe_vpcs(clients: Clients, by: Filter, what: String) -> Result<Vec<Vpc>> {
    let found = clients
        .ec2
        .describe_vpcs()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|v| Vpc {
            id: opt(v.vpc_id()),
            cidr: opt(v.cidr_block()),
            tags: tag_map(v.tags()),
        })
        .collect())
}

pub async fn create_vpc(clients: &Clients, cidr: &str, tags: &Tags) -> Result<String> {
    let (out, call) = clients
        .ec2
        .create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tag_spec(ResourceType::Vpc, tags)?)
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation(format!("vpc {cidr}"))
        .await?;
    let id = out.vpc().and_then(|v| v.vpc_id()).map(str::to_string);
    id.ok_or_else(|| call.refusal(cidr, None, NO_ID))
}

/// Whether DNS resolution and DNS host names are both on (one attribute per call).
pub async fn vpc_dns_enabled(clients: &Clients, vpc_id: &str) -> Result<bool> {
    let ask = |attribute| {
        clients
            .ec2
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(attribute)
            .send()
            .for_object(vpc_id)
    };
    let (support, hostnames) = futures::try_join!(
        ask(VpcAttributeName::EnableDnsSupport),
        ask(VpcAttributeName::EnableDnsHostnames)
    )?;
    let on = |value: Option<&AttributeBooleanValue>| value.and_then(|v| v.value()) == Some(true);
    Ok(on(support.enable_dns_support()) && on(hostnames.enable_dns_hostnames()))
}

/// DNS resolution and DNS host names on: EFS mount by name and RDS endpoints need both.
pub async fn enable_vpc_dns(clients: &Clients, vpc_id: &str) -> Result<()> {
    let on = || AttributeBooleanValue::builder().value(true).build();
    let support = clients
        .ec2
        .modify_vpc_attribute()
        .vpc_id(vpc_id)
        .enable_dns_support(on())
        .send()
        .for_object(vpc_id);
    let hostnames = clients
        .ec2
        .modify_vpc_attribute()
        .vpc_id(vpc_id)
        .enable_dns_hostnames(on())
        .send()
        .for_object(vpc_id);
    let (support, hostnames) = futures::join!(support, hostnames);
    support?;
    hostnames?;
    Ok(())
}

pub async fn delete_vpc(clients: &Clients, vpc_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .for_object(vpc_id)
            .await
            .map(|_| ()),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
    pub cidr: String,
    pub tags: Tags,
}

/// Subnets tagged for the stack.
pub async fn stack_subnets(clients: &Clients, stack: &str) -> Result<Vec<Subnet>> {
    subnets(clients, Scope::Stack(stack)).await
}

pub async fn subnets(clients: &Clients, scope: Scope<'_>) -> Result<Vec<Subnet>> {
    scoped(clients, scope, "vpc-id", "subnets", describe_subnets).await
}

async fn describe_subnets(clients: Clients, by: Filter, what: String) -> Result<Vec<Subnet>> {
    let found = clients
        .ec2
        .describe_subnets()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|s| Subnet {
            id: opt(s.subnet_id()),
            vpc_id: opt(s.vpc_id()),
            zone: opt(s.availability_zone()),
            cidr: opt(s.cidr_block()),
            tags: tag_map(s.tags()),
        })
        .collect())
}

pub async fn create_subnet(
    clients: &Clients,
    vpc_id: &str,
    zone: &str,
    cidr: &str,
    tags: &Tags,
) -> Result<String> {
    let (out, call) = clients
        .ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .availability_zone(zone)
        .cidr_block(cidr)
        .tag_specifications(tag_spec(ResourceType::Subnet, tags)?)
        .send()
        .with_operation(format!("subnet {cidr} in {zone}"))
        .await?;
    let id = out.subnet().and_then(|s| s.subnet_id()).map(str::to_string);
    id.ok_or_else(|| call.refusal(cidr, None, NO_ID))
}

pub async fn delete_subnet(clients: &Clients, subnet_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .delete_subnet()
            .subnet_id(subnet_id)
            .send()
            .for_object(subnet_id)
            .await
            .map(|_| ()),
    )
}

impl InScope for Vpc {
    fn vpc_ids(&self) -> Vec<&str> {
        vec![&self.id]
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}

impl InScope for Subnet {
    fn vpc_ids(&self) -> Vec<&str> {
        vec![&self.vpc_id]
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}
