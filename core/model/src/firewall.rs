//! The security groups' rules as data: five groups chained by group id, never by CIDR, least
//! privilege, each rule carrying a description that says what it lets in and why (an auditor
//! reading the account sees the reason next to the port; checkov CKV_AWS_23).
//!
//! | group     | ingress                                              | egress                                   |
//! |-----------|------------------------------------------------------|------------------------------------------|
//! | `alb`     | 80 (and 443 with a certificate) from 0.0.0.0/0, ::/0 | 80 to `app` (forwarding, health checks)  |
//! | `bastion` | 22 from each of `allowed_ssh_cidrs` (none if empty)  | 22 to `app`; 443 to 0.0.0.0/0 (updates)  |
//! | `app`     | 80 from `alb`; 22 from `bastion` (when enabled)      | 2049 to `efs`; 3306 to `db`; 80 and 443 to 0.0.0.0/0 (image pulls, dnf, WordPress updates) |
//! | `efs`     | 2049 from `app`                                      | none                                     |
//! | `db`      | 3306 from `app`                                      | none                                     |
//!
//! A rule is identified by protocol, ports and peer ([`SgRule::key`]): AWS keeps two rules
//! that differ only by description as one, so a description is changed in place, never by
//! revoking and authorizing the rule again ([`RuleDiff::redescribe`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::StackSpec;

/// The tiers that own a security group, in creation order.
pub const TIERS: [&str; 5] = ["alb", "bastion", "app", "efs", "db"];

const WORLD_V4: &str = "0.0.0.0/0";
const WORLD_V6: &str = "::/0";

/// AWS's limit on a rule description's length.
pub const DESCRIPTION_MAX: usize = 255;

/// Where a rule's traffic comes from (ingress) or goes to (egress).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    Cidr(String),
    Ipv6Cidr(String),
    Group(String),
}

/// One security-group rule with a single peer: the unit compared when converging rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    pub peer: Peer,
    /// Empty when AWS reports none.
    pub description: String,
}

/// What identifies a rule to AWS: everything but its description.
pub type RuleKey<'a> = (&'a str, i32, i32, &'a Peer);

impl SgRule {
    pub fn tcp(port: i32, peer: Peer, description: &str) -> SgRule {
        SgRule {
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            peer,
            description: description.into(),
        }
    }

    pub fn key(&self) -> RuleKey<'_> {
        (&self.protocol, self.from_port, self.to_port, &self.peer)
    }
}

/// The description of the group itself (set at creation; AWS cannot change it later).
pub fn group_description(tier: &str) -> &'static str {
    match tier {
        "alb" => "WordPress load balancer: HTTP(S) from the internet",
        "bastion" => "SSH bastion: SSH from the allowed CIDRs only",
        "app" => "WordPress instances: HTTP from the ALB, SSH from the bastion",
        "efs" => "WordPress EFS: NFS from the instances",
        "db" => "WordPress database: MySQL from the instances",
        _ => "WordPress stack",
    }
}

/// The desired (ingress, egress) rules of every tier, given the groups' ids, each sorted.
pub fn desired_rules(
    spec: &StackSpec,
    ids: &BTreeMap<String, String>,
) -> BTreeMap<String, (Vec<SgRule>, Vec<SgRule>)> {
    let group = |tier: &str| Peer::Group(ids.get(tier).cloned().unwrap_or_default());
    let v4 = || Peer::Cidr(WORLD_V4.into());
    let world = |port, why: &str| {
        [
            SgRule::tcp(port, v4(), why),
            SgRule::tcp(port, Peer::Ipv6Cidr(WORLD_V6.into()), why),
        ]
    };

    let mut alb_in: Vec<SgRule> =
        world(80, "HTTP from the internet to the WordPress site").to_vec();
    if spec.load_balancer.certificate_arn.is_some() {
        alb_in.extend(world(
            443,
            "HTTPS from the internet to the WordPress site (load_balancer.certificate_arn)",
        ));
    }
    let bastion_in = spec
        .bastion
        .allowed_ssh_cidrs
        .iter()
        .map(|cidr| {
            let peer = if cidr.contains(':') {
                Peer::Ipv6Cidr(cidr.clone())
            } else {
                Peer::Cidr(cidr.clone())
            };
            SgRule::tcp(
                22,
                peer,
                "SSH from bastion.allowed_ssh_cidrs to the bastion",
            )
        })
        .collect();
    let rules =
        [
            (
                "alb",
                alb_in,
                vec![SgRule::tcp(
                    80,
                    group("app"),
                    "HTTP to the WordPress instances: forwarded requests and health checks",
                )],
            ),
            (
                "bastion",
                bastion_in,
                vec![
                    SgRule::tcp(
                        22,
                        group("app"),
                        "SSH to the WordPress instances for operators",
                    ),
                    SgRule::tcp(
                        443,
                        v4(),
                        "HTTPS to the internet for the bastion OS updates",
                    ),
                ],
            ),
            (
                "app",
                app_ingress(spec, group("alb"), group("bastion")),
                vec![
                SgRule::tcp(2049, group("efs"), "NFS to the EFS mount targets: wp-content"),
                SgRule::tcp(3306, group("db"), "MySQL to the WordPress database"),
                SgRule::tcp(
                    80,
                    v4(),
                    "HTTP to the internet: OS packages and container image pulls",
                ),
                SgRule::tcp(
                    443,
                    v4(),
                    "HTTPS to the internet: image pulls, OS packages, WordPress updates, AWS APIs",
                ),
            ],
            ),
            (
                "efs",
                vec![SgRule::tcp(
                    2049,
                    group("app"),
                    "NFS from the WordPress instances: wp-content",
                )],
                vec![],
            ),
            (
                "db",
                vec![SgRule::tcp(
                    3306,
                    group("app"),
                    "MySQL from the WordPress instances",
                )],
                vec![],
            ),
        ];
    rules
        .into_iter()
        .map(|(tier, mut ingress, mut egress)| {
            ingress.sort();
            egress.sort();
            (tier.to_string(), (ingress, egress))
        })
        .collect()
}

/// HTTP from the load balancer; SSH from the bastion only while there is a bastion (a
/// disabled bastion keeps its empty group, which must not open port 22 on the instances).
fn app_ingress(spec: &StackSpec, alb: Peer, bastion: Peer) -> Vec<SgRule> {
    let mut ingress = vec![SgRule::tcp(
        80,
        alb,
        "HTTP from the load balancer: site requests and health checks",
    )];
    if spec.bastion.enabled {
        ingress.push(SgRule::tcp(
            22,
            bastion,
            "SSH from the bastion for operators",
        ));
    }
    ingress
}

/// How to get one side of a group from `observed` to `wanted`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleDiff {
    /// Wanted rules AWS lacks (authorized with their descriptions).
    pub add: Vec<SgRule>,
    /// Rules AWS has that are not wanted, as observed (a revoke names the rule as it is).
    pub remove: Vec<SgRule>,
    /// Wanted rules AWS has under another description, with the wanted one.
    pub redescribe: Vec<SgRule>,
}

impl RuleDiff {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.redescribe.is_empty()
    }
}

/// Rules to add, remove and describe anew to get from `observed` to `wanted`.
pub fn rule_diff(observed: &[SgRule], wanted: &[SgRule]) -> RuleDiff {
    let observed_by_key: BTreeMap<RuleKey<'_>, &SgRule> =
        observed.iter().map(|r| (r.key(), r)).collect();
    let wanted_keys: BTreeSet<RuleKey<'_>> = wanted.iter().map(SgRule::key).collect();
    let mut diff = RuleDiff::default();
    for rule in wanted {
        match observed_by_key.get(&rule.key()) {
            None => diff.add.push(rule.clone()),
            Some(seen) if seen.description != rule.description => {
                diff.redescribe.push(rule.clone());
            }
            Some(_) => {}
        }
    }
    diff.remove = observed
        .iter()
        .filter(|r| !wanted_keys.contains(&r.key()))
        .cloned()
        .collect();
    diff
}

/// Whether two rule lists hold the same rules, descriptions aside.
pub fn same_rules(a: &[SgRule], b: &[SgRule]) -> bool {
    let a: BTreeSet<RuleKey<'_>> = a.iter().map(SgRule::key).collect();
    let b: BTreeSet<RuleKey<'_>> = b.iter().map(SgRule::key).collect();
    a == b
}

/// Whether AWS would take `text` as a rule description: at most 255 characters from
/// a-z, A-Z, 0-9, spaces and `._-:/()#,@[]+=&;{}!$*`.
pub fn valid_description(text: &str) -> bool {
    text.len() <= DESCRIPTION_MAX
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
}

#[cfg(test)]
mod tests;
