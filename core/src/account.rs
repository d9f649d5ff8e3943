//! The preflight's answers: what the account holds and the region offers for what a plan
//! would add (`stack_model::preflight::PreflightQuery`), each asked only when the query needs
//! it, all at once, read-only.

use std::collections::BTreeMap;

use crate::aws::{acm, ec2, rds, route53, Clients};
use crate::error::Result;
use crate::preflight::{FoundRecord, PreflightFacts, PreflightQuery, SnapshotFacts};
use crate::tiers::load_balancer::names_stack_load_balancer;

/// Ask AWS what `query` needs; nothing when it is empty.
pub async fn facts(clients: &Clients, query: &PreflightQuery) -> Result<PreflightFacts> {
    let (eips, network, offered, orderable, dns, key_pairs, certificate, snapshot) = tokio::try_join!(
        elastic_ips(clients, query),
        network_room(clients, query),
        offerings(clients, query),
        orderable(clients, query),
        record(clients, query),
        key_pairs(clients, query),
        certificate(clients, query),
        snapshot(clients, query),
    )?;
    let (eip_limit, eips_in_use) = eips;
    let (vpcs_in_use, internet_gateways_in_use, nat_gateways_in_use) = network;
    let (zone_name, records, stack_alb_dns_name) = dns;
    Ok(PreflightFacts {
        eip_limit,
        eips_in_use,
        vpcs_in_use,
        internet_gateways_in_use,
        nat_gateways_in_use,
        offered,
        orderable_versions: orderable,
        zone_name,
        records,
        stack_alb_dns_name,
        key_pairs,
        certificate,
        snapshot,
    })
}

async fn snapshot(clients: &Clients, query: &PreflightQuery) -> Result<Option<SnapshotFacts>> {
    match &query.snapshot {
        Some((identifier, _)) => rds::describe_db_snapshot(clients, identifier).await,
        None => Ok(None),
    }
}

async fn elastic_ips(clients: &Clients, query: &PreflightQuery) -> Result<(Option<usize>, usize)> {
    if query.new_nat_zones.is_empty() {
        return Ok((None, 0));
    }
    tokio::try_join!(
        ec2::elastic_ip_limit(clients),
        ec2::elastic_ips_in_use(clients)
    )
}

async fn network_room(
    clients: &Clients,
    query: &PreflightQuery,
) -> Result<(usize, usize, BTreeMap<String, usize>)> {
    let vpcs = async {
        if query.new_vpc {
            tokio::try_join!(
                ec2::vpc_count(clients),
                ec2::internet_gateway_count(clients)
            )
        } else {
            Ok((0, 0))
        }
    };
    let nats = async {
        if query.new_nat_zones.is_empty() {
            Ok(BTreeMap::new())
        } else {
            ec2::live_nat_gateways_per_zone(clients).await
        }
    };
    let ((vpcs, gateways), nats) = tokio::try_join!(vpcs, nats)?;
    Ok((vpcs, gateways, nats))
}

async fn offerings(
    clients: &Clients,
    query: &PreflightQuery,
) -> Result<BTreeMap<String, std::collections::BTreeSet<String>>> {
    let mut types: Vec<&str> = query
        .instance_types
        .iter()
        .map(|c| c.instance_type.as_str())
        .collect();
    let mut zones: Vec<&str> = query
        .instance_types
        .iter()
        .flat_map(|c| c.zones.iter().map(String::as_str))
        .collect();
    types.sort_unstable();
    types.dedup();
    zones.sort_unstable();
    zones.dedup();
    if types.is_empty() || zones.is_empty() {
        return Ok(BTreeMap::new());
    }
    ec2::instance_type_zones(clients, &types, &zones).await
}

async fn orderable(clients: &Clients, query: &PreflightQuery) -> Result<Option<Vec<String>>> {
    let Some((class, _)) = &query.database else {
        return Ok(None);
    };
    let versions = rds::orderable_versions(clients, class).await?;
    // Nothing for the class: judge only when RDS lists the engine at all in the region.
    if versions.is_empty() && !rds::engine_listed(clients).await? {
        tracing::warn!(class = %class, "RDS lists no orderable MySQL option at all: class not checked");
        return Ok(None);
    }
    Ok(Some(versions))
}

async fn record(
    clients: &Clients,
    query: &PreflightQuery,
) -> Result<(Option<String>, Vec<FoundRecord>, Option<String>)> {
    let Some(check) = &query.record else {
        return Ok((None, Vec::new(), None));
    };
    let dns = &check.dns;
    let Some(zone_name) = route53::zone_name(clients, &dns.zone_id).await? else {
        return Ok((None, Vec::new(), None));
    };
    let found = route53::conflicting_records(clients, &dns.zone_id, &dns.record_name).await?;
    let records = found
        .iter()
        .map(|r| FoundRecord {
            description: r.describe(),
            alias_target: r.alias.as_ref().map(|a| a.target_dns_name.clone()),
        })
        .collect();
    // A create cut short left a record aliasing a balancer of this stack's name.
    let stack_alb = if check.alb_dns_name.is_some() {
        None
    } else {
        found
            .iter()
            .filter_map(|r| r.alias.as_ref())
            .map(|alias| alias.target_dns_name.clone())
            .find(|target| names_stack_load_balancer(&check.stack, target))
    };
    Ok((Some(zone_name), records, stack_alb))
}

async fn key_pairs(
    clients: &Clients,
    query: &PreflightQuery,
) -> Result<std::collections::BTreeSet<String>> {
    let mut names: Vec<&str> = query.key_pairs.iter().map(|(_, k)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(Default::default());
    }
    ec2::existing_key_pairs(clients, &names).await
}

async fn certificate(
    clients: &Clients,
    query: &PreflightQuery,
) -> Result<Option<crate::preflight::CertificateFacts>> {
    match &query.certificate {
        Some((arn, _)) => acm::certificate(clients, arn).await,
        None => Ok(None),
    }
}
