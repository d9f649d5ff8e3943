//! What the account already holds and what the region offers, read at plan by the preflight:
//! Elastic IPs against `vpc-max-elastic-ips`, VPCs, internet gateways and live NAT gateways
//! per zone (AWS reports no limit for those: the preflight compares with the default quotas),
//! instance-type offerings per zone and key pairs.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{LocationType, NatGatewayState};

use super::filter;
use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// `vpc-max-elastic-ips` as DescribeAccountAttributes reports it.
pub async fn elastic_ip_limit(clients: &Clients) -> Result<Option<usize>> {
    let out = clients
        .ec2
        .describe_account_attributes()
        .send()
        .for_object("account attributes")
        .await?;
    Ok(out
        .account_attributes()
        .iter()
        .find(|a| a.attribute_name() == Some("vpc-max-elastic-ips"))
        .and_then(|a| a.attribute_values().first())
        .and_then(|v| v.attribute_value())
        .and_then(|v| v.parse().ok()))
}

/// Elastic IPs allocated in the region.
pub async fn elastic_ips_in_use(clients: &Clients) -> Result<usize> {
    let out = clients
        .ec2
        .describe_addresses()
        .send()
        .for_object("all Elastic IPs")
        .await?;
    Ok(out.addresses().len())
}

/// VPCs of the region (the default VPC counts against the quota, as AWS counts it).
pub async fn vpc_count(clients: &Clients) -> Result<usize> {
    let vpcs = clients
        .ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all VPCs")
        .await?;
    Ok(vpcs.len())
}

/// Internet gateways of the region.
pub async fn internet_gateway_count(clients: &Clients) -> Result<usize> {
    let gateways = clients
        .ec2
        .describe_internet_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all internet gateways")
        .await?;
    Ok(gateways.len())
}

/// Pending or available NAT gateways per Availability Zone (of their subnet).
pub async fn live_nat_gateways_per_zone(clients: &Clients) -> Result<BTreeMap<String, usize>> {
    let gateways = clients
        .ec2
        .describe_nat_gateways()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all NAT gateways")
        .await?;
    let subnets: Vec<&str> = gateways
        .iter()
        .filter(|g| {
            matches!(
                g.state(),
                Some(NatGatewayState::Pending | NatGatewayState::Available)
            )
        })
        .filter_map(|g| g.subnet_id())
        .collect();
    let mut per_zone = BTreeMap::new();
    if subnets.is_empty() {
        return Ok(per_zone);
    }
    let unique: BTreeSet<&str> = subnets.iter().copied().collect();
    let unique: Vec<&str> = unique.into_iter().collect();
    let found = clients
        .ec2
        .describe_subnets()
        .filters(filter("subnet-id", &unique))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("subnets of NAT gateways")
        .await?;
    let zone_of: BTreeMap<&str, &str> = found
        .iter()
        .filter_map(|s| Some((s.subnet_id()?, s.availability_zone()?)))
        .collect();
    for subnet in subnets {
        if let Some(zone) = zone_of.get(subnet) {
            *per_zone.entry(zone.to_string()).or_insert(0) += 1;
        }
    }
    Ok(per_zone)
}

/// Each of `instance_types` → those of `zones` that offer it.
pub async fn instance_type_zones(
    clients: &Clients,
    instance_types: &[&str],
    zones: &[&str],
) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let offerings = clients
        .ec2
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(filter("instance-type", instance_types))
        .filters(filter("location", zones))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(instance_types.join(", "))
        .await?;
    let mut offered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for offering in &offerings {
        if let (Some(kind), Some(zone)) = (offering.instance_type(), offering.location()) {
            offered
                .entry(kind.as_str().to_string())
                .or_default()
                .insert(zone.to_string());
        }
    }
    Ok(offered)
}

/// Those of `names` that exist as key pairs in the region.
pub async fn existing_key_pairs(clients: &Clients, names: &[&str]) -> Result<BTreeSet<String>> {
    let out = clients
        .ec2
        .describe_key_pairs()
        .filters(filter("key-name", names))
        .send()
        .for_object(names.join(", "))
        .await?;
    Ok(out
        .key_pairs()
        .iter()
        .filter_map(|k| k.key_name().map(str::to_string))
        .collect())
}
