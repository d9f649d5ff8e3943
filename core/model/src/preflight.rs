//! Preflight: what a plan would add, checked against the account before anything is built.
//!
//! [`PreflightQuery::of`] asks only about what a create (or an update that adds objects) would
//! make: a no-op plan of an existing stack asks nothing. The engine answers with
//! [`PreflightFacts`] (read-only calls, all at once), and [`judge`] turns the answers into
//! errors on the attributes that caused them, each naming the limit, what is in use and the fix.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{FieldPath, SpecError};
use crate::spec::{DnsSpec, NatMode, StackSpec};
use crate::state::{logical, StackState};

mod snapshot;
pub use snapshot::SnapshotFacts;

/// AWS's default per-region quotas for what no API reports (Elastic IPs come from
/// DescribeAccountAttributes instead).
pub const DEFAULT_VPC_QUOTA: usize = 5;
pub const DEFAULT_INTERNET_GATEWAY_QUOTA: usize = 5;
pub const DEFAULT_NAT_GATEWAYS_PER_ZONE: usize = 5;

/// An instance type the plan launches, and the zones it must be offered in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeCheck {
    pub path: FieldPath,
    pub instance_type: String,
    pub zones: Vec<String>,
}

/// The record a plan writes, and what makes an existing one the stack's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCheck {
    pub dns: DnsSpec,
    /// The prior state recorded this very record.
    pub owned: bool,
    /// The stack's load balancer, when it exists: an alias to it is the stack's.
    pub alb_dns_name: Option<String>,
    /// The stack's name: when the prior state does not know the load balancer (a create cut
    /// short), the engine looks for the one this stack's name and tag make its own.
    pub stack: String,
}

/// Everything a plan would add that the account may refuse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreflightQuery {
    /// A create: one VPC and one internet gateway more.
    pub new_vpc: bool,
    /// Zones getting a NAT gateway (and its Elastic IP).
    pub new_nat_zones: Vec<String>,
    pub instance_types: Vec<TypeCheck>,
    /// `(instance class, engine version)` of a new or changed database.
    pub database: Option<(String, String)>,
    pub record: Option<RecordCheck>,
    /// Key pairs named anew, with the attribute naming each.
    pub key_pairs: Vec<(FieldPath, String)>,
    /// A certificate named anew, and the record name it must cover.
    pub certificate: Option<(String, Option<String>)>,
    /// The DB snapshot a new stack's database is restored from, and the engine version the
    /// configuration asks for.
    pub snapshot: Option<(String, String)>,
}

impl PreflightQuery {
    /// What `desired` adds over `prior` (everything on create).
    pub fn of(desired: &StackSpec, prior: Option<&StackState>) -> PreflightQuery {
        let zones = desired
            .network
            .availability_zones
            .clone()
            .unwrap_or_default();
        let before = prior.map(|p| &p.spec);
        let changed = |get: fn(&StackSpec) -> String| before.is_none_or(|b| get(b) != get(desired));
        let mut query = PreflightQuery {
            new_vpc: prior.is_none(),
            ..PreflightQuery::default()
        };
        let nat_zones: Vec<String> = match desired.network.nat_gateways {
            NatMode::OnePerAz => zones.clone(),
            NatMode::Single => zones.iter().take(1).cloned().collect(),
        };
        query.new_nat_zones = nat_zones
            .into_iter()
            .filter(|az| {
                prior.is_none_or(|p| {
                    p.resource(&logical::qualified(logical::NAT_GATEWAY, az))
                        .is_none()
                })
            })
            .collect();
        if changed(|s| s.wordpress.instance_type.clone()) {
            query.instance_types.push(TypeCheck {
                path: FieldPath::attrs(&["wordpress", "instance_type"]),
                instance_type: desired.wordpress.instance_type.clone(),
                zones: zones.clone(),
            });
        }
        let bastion_new = before.is_none_or(|b| {
            !b.bastion.enabled || b.bastion.instance_type != desired.bastion.instance_type
        });
        if desired.bastion.enabled && bastion_new {
            query.instance_types.push(TypeCheck {
                path: FieldPath::attrs(&["bastion", "instance_type"]),
                instance_type: desired.bastion.instance_type.clone(),
                zones: zones.iter().take(1).cloned().collect(),
            });
        }
        if changed(|s| {
            format!(
                "{} {}",
                s.database.instance_class, s.database.engine_version
            )
        }) {
            query.database = Some((
                desired.database.instance_class.clone(),
                desired.database.engine_version.clone(),
            ));
        }
        if let Some(dns) = &desired.dns {
            let owned = prior
                .and_then(|p| p.resource(logical::DNS_RECORD))
                .is_some_and(|id| id == dns.record_id());
            // A block the prior state already had is the apply's to enforce: a record it did
            // not get to own yet (a create cut short) is refused there, not at every plan.
            let same = before.and_then(|b| b.dns.as_ref()) == Some(dns);
            if !same {
                query.record = Some(RecordCheck {
                    dns: dns.clone(),
                    owned,
                    alb_dns_name: prior.and_then(|p| p.outputs.alb_dns_name.clone()),
                    stack: desired.name.clone(),
                });
            }
        }
        let keys = [
            (
                ["wordpress", "key_name"],
                desired.wordpress.key_name.clone(),
                before.and_then(|b| b.wordpress.key_name.clone()),
            ),
            (
                ["bastion", "key_name"],
                desired
                    .bastion
                    .key_name
                    .clone()
                    .filter(|_| desired.bastion.enabled),
                before.and_then(|b| b.bastion.key_name.clone().filter(|_| b.bastion.enabled)),
            ),
        ];
        for (path, wanted, had) in keys {
            if let Some(key) = wanted.filter(|k| Some(k) != had.as_ref()) {
                query.key_pairs.push((FieldPath::attrs(&path), key));
            }
        }
        let record_name = desired.dns.as_ref().map(|d| d.record_name.clone());
        if let Some(arn) = &desired.load_balancer.certificate_arn {
            let had = before.and_then(|b| b.load_balancer.certificate_arn.as_ref());
            let had_name = before.and_then(|b| b.dns.as_ref().map(|d| d.record_name.clone()));
            if had != Some(arn) || had_name != record_name {
                query.certificate = Some((arn.clone(), record_name));
            }
        }
        // Only a create restores: on a live stack a changed identifier is refused outright.
        if prior.is_none() {
            query.snapshot = desired
                .database
                .snapshot_identifier
                .clone()
                .map(|id| (id, desired.database.engine_version.clone()));
        }
        query
    }

    pub fn is_empty(&self) -> bool {
        *self == PreflightQuery::default()
    }
}

/// A record found at the name the stack wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRecord {
    /// `A alias to x`, `CNAME y`: for the message.
    pub description: String,
    /// The alias target, when it is an alias A record.
    pub alias_target: Option<String>,
}

/// A certificate as ACM describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub status: String,
    /// The domain name and every subject alternative name.
    pub names: Vec<String>,
}

/// AWS's answers to a [`PreflightQuery`]; a part not asked is left at its default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreflightFacts {
    /// `vpc-max-elastic-ips`, and the addresses allocated.
    pub eip_limit: Option<usize>,
    pub eips_in_use: usize,
    pub vpcs_in_use: usize,
    pub internet_gateways_in_use: usize,
    /// Live (pending or available) NAT gateways per zone.
    pub nat_gateways_in_use: BTreeMap<String, usize>,
    /// Instance type → the asked zones it is offered in.
    pub offered: BTreeMap<String, BTreeSet<String>>,
    /// Engine versions RDS lists as orderable for the class; `None` when it lists none for
    /// the engine at all, so there is nothing to judge against.
    pub orderable_versions: Option<Vec<String>>,
    /// The hosted zone's name (`None`: no such zone).
    pub zone_name: Option<String>,
    pub records: Vec<FoundRecord>,
    /// The DNS name of a load balancer tagged for this stack that the prior state does not
    /// know (left by a create cut short): an alias to it is the stack's too.
    pub stack_alb_dns_name: Option<String>,
    /// The asked key pairs that exist.
    pub key_pairs: BTreeSet<String>,
    /// `None`: no such certificate.
    pub certificate: Option<CertificateFacts>,
    /// `None`: no such DB snapshot (or none asked).
    pub snapshot: Option<SnapshotFacts>,
}

/// The errors of `facts` for what `query` adds.
pub fn judge(query: &PreflightQuery, facts: &PreflightFacts) -> Vec<SpecError> {
    let mut errors = Vec::new();
    quotas(query, facts, &mut errors);
    for check in &query.instance_types {
        let offered = facts.offered.get(&check.instance_type);
        let missing: Vec<&str> = check
            .zones
            .iter()
            .filter(|az| !offered.is_some_and(|o| o.contains(*az)))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            errors.push(SpecError::new(
                check.path.clone(),
                format!(
                    "instance type {} is not offered in {}",
                    check.instance_type,
                    missing.join(", ")
                ),
                format!(
                    "EC2 lists no {} offering in {} (DescribeInstanceTypeOfferings). Choose an instance type offered in every zone of network.availability_zones, or choose zones that offer it.",
                    check.instance_type,
                    missing.join(", ")
                ),
            ));
        }
    }
    if let (Some((class, version)), Some(versions)) = (&query.database, &facts.orderable_versions) {
        if !versions.iter().any(|v| version_matches(version, v)) {
            let mut known: Vec<&String> = versions.iter().collect();
            known.sort();
            known.dedup();
            let listed = if known.is_empty() {
                format!("no MySQL version at all on {class}")
            } else {
                let names: Vec<&str> = known.iter().map(|v| v.as_str()).collect();
                format!("{class} for MySQL {} only", names.join(", "))
            };
            errors.push(SpecError::new(
                FieldPath::attrs(&["database", "instance_class"]),
                format!("RDS offers no MySQL {version} on {class} in this region"),
                format!(
                    "DescribeOrderableDBInstanceOptions lists {listed}. Choose another database.instance_class (db.t4g.micro, db.t3.micro and db.m7g.large run every current MySQL) or another database.engine_version."
                ),
            ));
        }
    }
    if let Some(check) = &query.record {
        record(check, facts, &mut errors);
    }
    for (path, key) in &query.key_pairs {
        if !facts.key_pairs.contains(key) {
            errors.push(SpecError::new(
                path.clone(),
                format!("EC2 key pair {key:?} does not exist in this region"),
                "Create or import the key pair in the provider's region (aws ec2 import-key-pair), or fix the name.",
            ));
        }
    }
    if let Some((arn, name)) = &query.certificate {
        certificate(arn, name.as_deref(), facts, &mut errors);
    }
    if let Some((identifier, version)) = &query.snapshot {
        snapshot::judge(identifier, facts.snapshot.as_ref(), version, &mut errors);
    }
    errors
}

fn quotas(query: &PreflightQuery, facts: &PreflightFacts, errors: &mut Vec<SpecError>) {
    let nat_path = || FieldPath::attrs(&["network", "nat_gateways"]);
    let needed = query.new_nat_zones.len();
    if let Some(limit) = facts.eip_limit {
        if needed > 0 && facts.eips_in_use + needed > limit {
            let fix = if needed > 1 {
                "Set network.nat_gateways = \"single\" (one address), release unused Elastic IPs, or request a higher \"EC2-VPC Elastic IPs\" quota".to_string()
            } else {
                "Release unused Elastic IPs, or request a higher \"EC2-VPC Elastic IPs\" quota"
                    .to_string()
            };
            errors.push(SpecError::new(
                nat_path(),
                format!(
                    "{needed} Elastic IP(s) needed for NAT gateways, {} free",
                    limit.saturating_sub(facts.eips_in_use)
                ),
                format!(
                    "The region allows {limit} Elastic IPs (vpc-max-elastic-ips) and {} are allocated; apply would fail with AddressLimitExceeded after building the VPC. {fix} in Service Quotas.",
                    facts.eips_in_use
                ),
            ));
        }
    }
}

/// Warnings for what `query` adds against AWS's *default* quotas of VPCs, internet gateways
/// and NAT gateways per zone. No EC2 API reports the quota an account really has, and many
/// accounts have raised these, so reaching a default is told, not refused (the Elastic IP
/// limit is the account's own, `vpc-max-elastic-ips`, and [`judge`] refuses on it).
pub fn cautions(query: &PreflightQuery, facts: &PreflightFacts) -> Vec<SpecError> {
    let mut cautions = Vec::new();
    let nat_path = || FieldPath::attrs(&["network", "nat_gateways"]);
    if query.new_vpc {
        let vpc_path = FieldPath::attrs(&["network", "vpc_cidr"]);
        for (what, in_use, limit, code) in [
            (
                "VPCs",
                facts.vpcs_in_use,
                DEFAULT_VPC_QUOTA,
                "VpcLimitExceeded",
            ),
            (
                "internet gateways",
                facts.internet_gateways_in_use,
                DEFAULT_INTERNET_GATEWAY_QUOTA,
                "InternetGatewayLimitExceeded",
            ),
        ] {
            if in_use >= limit {
                cautions.push(SpecError::new(
                    vpc_path.clone(),
                    format!("the region may have no room for another of its {what}: {in_use} exist"),
                    format!(
                        "AWS's default quota is {limit} {what} per region and {in_use} exist; unless this account's quota was raised, apply will fail with {code}. Delete unused {what}, or request a higher quota in Service Quotas."
                    ),
                ));
            }
        }
    }
    for az in &query.new_nat_zones {
        let in_use = facts.nat_gateways_in_use.get(az).copied().unwrap_or(0);
        if in_use >= DEFAULT_NAT_GATEWAYS_PER_ZONE {
            cautions.push(SpecError::new(
                nat_path(),
                format!("{az} may have no room for another NAT gateway: {in_use} exist"),
                format!(
                    "AWS's default quota is {DEFAULT_NAT_GATEWAYS_PER_ZONE} NAT gateways per Availability Zone and {az} has {in_use}; unless this account's quota was raised, apply will fail with NatGatewayLimitExceeded. Use another zone, delete unused NAT gateways, or request a higher quota in Service Quotas."
                ),
            ));
        }
    }
    cautions
}

fn record(check: &RecordCheck, facts: &PreflightFacts, errors: &mut Vec<SpecError>) {
    let dns = &check.dns;
    let name = normalize(&dns.record_name);
    let Some(zone) = facts.zone_name.as_deref().map(normalize) else {
        errors.push(SpecError::new(
            FieldPath::attrs(&["dns", "zone_id"]),
            format!("Route 53 hosted zone {} does not exist", dns.zone_id),
            "Use the id of a hosted zone of this account (aws route53 list-hosted-zones).",
        ));
        return;
    };
    if name != zone && !name.ends_with(&format!(".{zone}")) {
        errors.push(SpecError::new(
            FieldPath::attrs(&["dns", "record_name"]),
            format!("{name} is not inside the hosted zone {zone}"),
            format!(
                "Route 53 refuses a record outside its zone. Use a name ending in .{zone}, or the zone_id of the zone that holds {name}."
            ),
        ));
        return;
    }
    let ours = |r: &FoundRecord| {
        let target = r.alias_target.as_deref().map(normalize);
        let alb = check
            .alb_dns_name
            .as_deref()
            .or(facts.stack_alb_dns_name.as_deref())
            .map(normalize);
        target.is_some()
            && target.as_deref().map(strip_dualstack) == alb.as_deref().map(strip_dualstack)
    };
    let foreign: Vec<&FoundRecord> = facts.records.iter().filter(|r| !ours(r)).collect();
    if !foreign.is_empty() && !check.owned && !dns.allow_overwrite {
        let found: Vec<&str> = foreign.iter().map(|r| r.description.as_str()).collect();
        errors.push(SpecError::new(
            FieldPath::attrs(&["dns", "record_name"]),
            format!("Route 53 record {name} already exists and this stack did not create it"),
            format!(
                "Hosted zone {} already has {} at {name}. The stack never overwrites a record it did not create. Choose another record_name, delete that record, or set dns.allow_overwrite = true to replace it (the stack then owns it and deletes it on destroy).",
                dns.bare_zone_id(),
                found.join(" and ")
            ),
        ));
    }
}

fn certificate(arn: &str, name: Option<&str>, facts: &PreflightFacts, errors: &mut Vec<SpecError>) {
    let path = FieldPath::attrs(&["load_balancer", "certificate_arn"]);
    let Some(cert) = &facts.certificate else {
        errors.push(SpecError::new(
            path,
            format!("ACM certificate {arn} does not exist in this region"),
            "An Application Load Balancer takes a certificate of its own region: request or import it there (aws acm list-certificates), or fix the ARN.",
        ));
        return;
    };
    if cert.status != "ISSUED" {
        errors.push(SpecError::new(
            path.clone(),
            format!("ACM certificate {arn} is {}, not ISSUED", cert.status),
            "The HTTPS listener needs an issued certificate: complete its DNS or email validation, or name an issued one.",
        ));
    }
    if let Some(name) = name {
        let name = normalize(name);
        if !cert.names.iter().any(|pattern| covers(pattern, &name)) {
            errors.push(SpecError::new(
                path,
                format!("ACM certificate {arn} does not cover {name}"),
                format!(
                    "It names {}; browsers would refuse https://{name}. Use a certificate whose name or alternative names include {name} (or a wildcard over it).",
                    cert.names.join(", ")
                ),
            ));
        }
    }
}

/// Whether a certificate name (`example.com`, `*.example.com`) covers host `name`.
pub fn covers(pattern: &str, name: &str) -> bool {
    let pattern = normalize(pattern);
    match pattern.strip_prefix("*.") {
        Some(parent) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => pattern == name,
    }
}

/// `8.4` (any 8.4.x) or a pinned `8.4.3` against an orderable version.
pub fn version_matches(wanted: &str, orderable: &str) -> bool {
    orderable == wanted || orderable.starts_with(&format!("{wanted}."))
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn strip_dualstack(name: &str) -> &str {
    name.strip_prefix("dualstack.").unwrap_or(name)
}

#[cfg(test)]
mod tests;
