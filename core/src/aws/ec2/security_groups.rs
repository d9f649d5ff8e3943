//! Security groups and their rules, compared one peer at a time; each rule is sent and read
//! back with its description.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, ResourceType, UserIdGroupPair};

use super::scoped::{scoped, InScope};
use super::{ignore_not_found, opt, tag_spec, Scope, Tags, NO_ID};
use crate::aws::tags::tag_map;
use crate::aws::{Clients, SendFor};
use crate::error::Result;
pub use crate::firewall::{Peer, SgRule};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub group_name: String,
    pub vpc_id: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
    pub tags: Tags,
}

fn rules_of(permissions: &[IpPermission]) -> Vec<SgRule> {
    let mut rules = Vec::new();
    for p in permissions {
        let protocol = p.ip_protocol().unwrap_or("-1").to_string();
        let (from_port, to_port) = if protocol == "-1" {
            (-1, -1)
        } else {
            (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1))
        };
        let rule = |peer, description: Option<&str>| SgRule {
            protocol: protocol.clone(),
            from_port,
            to_port,
            peer,
            description: description.unwrap_or_default().to_string(),
        };
        rules.extend(p.ip_ranges().iter().filter_map(|r| {
            r.cidr_ip()
                .map(|c| rule(Peer::Cidr(c.into()), r.description()))
        }));
        rules.extend(p.ipv6_ranges().iter().filter_map(|r| {
            r.cidr_ipv6()
                .map(|c| rule(Peer::Ipv6Cidr(c.into()), r.description()))
        }));
        rules.extend(p.user_id_group_pairs().iter().filter_map(|g| {
            g.group_id()
                .map(|id| rule(Peer::Group(id.into()), g.description()))
        }));
    }
    rules.sort();
    rules
}

fn permission_of(rule: &SgRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol);
    if rule.protocol != "-1" {
        p = p.from_port(rule.from_port).to_port(rule.to_port);
    }
    // An empty description is sent as none: AWS stores the two alike.
    let description = Some(rule.description.clone()).filter(|d| !d.is_empty());
    match &rule.peer {
        Peer::Cidr(c) => p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(description)
                .build(),
        ),
        Peer::Ipv6Cidr(c) => p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(description)
                .build(),
        ),
        Peer::Group(g) => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(description)
                .build(),
        ),
    }
    .build()
}

pub async fn stack_security_groups(clients: &Clients, stack: &str) -> Result<Vec<SecurityGroup>> {
    security_groups(clients, Scope::Stack(stack)).await
}

pub async fn security_groups(clients: &Clients, scope: Scope<'_>) -> Result<Vec<SecurityGroup>> {
    scoped(clients, scope, "vpc-id", "groups", describe_security_groups).await
}

async fn describe_security_groups(
    clients: Clients,
    by: Filter,
    what: String,
) -> Result<Vec<SecurityGroup>> {
    let found = clients
        .ec2
        .describe_security_groups()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|g| SecurityGroup {
            id: opt(g.group_id()),
            group_name: opt(g.group_name()),
            vpc_id: opt(g.vpc_id()),
            ingress: rules_of(g.ip_permissions()),
            egress: rules_of(g.ip_permissions_egress()),
            tags: tag_map(g.tags()),
        })
        .collect())
}

pub async fn create_security_group(
    clients: &Clients,
    vpc_id: &str,
    group_name: &str,
    description: &str,
    tags: &Tags,
) -> Result<String> {
    let (out, call) = clients
        .ec2
        .create_security_group()
        .vpc_id(vpc_id)
        .group_name(group_name)
        .description(description)
        .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags)?)
        .send()
        .with_operation(group_name)
        .await?;
    out.group_id()
        .map(str::to_string)
        .ok_or_else(|| call.refusal(group_name, None, NO_ID))
}

/// Which side of a group a rule is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// Add `rules` to the group (one call); rules that already exist are not an error.
pub async fn authorize(
    clients: &Clients,
    group_id: &str,
    direction: Direction,
    rules: &[SgRule],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
    let result = match direction {
        Direction::Ingress => clients
            .ec2
            .authorize_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
        Direction::Egress => clients
            .ec2
            .authorize_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    };
    match result {
        Err(e) if e.aws_code() == Some("InvalidPermission.Duplicate") => Ok(()),
        other => other,
    }
}

/// Give rules the group already has the descriptions `rules` carry (one call): AWS keeps rules
/// that differ only by description as one rule, so this is the only way to change the text.
pub async fn update_descriptions(
    clients: &Clients,
    group_id: &str,
    direction: Direction,
    rules: &[SgRule],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
    match direction {
        Direction::Ingress => clients
            .ec2
            .update_security_group_rule_descriptions_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
        Direction::Egress => clients
            .ec2
            .update_security_group_rule_descriptions_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    }
}

/// Remove `rules` from the group (one call), each named with the description it was read
/// with (an endpoint may match a group-to-group rule on it); rules already gone are not an
/// error.
pub async fn revoke(
    clients: &Clients,
    group_id: &str,
    direction: Direction,
    rules: &[SgRule],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
    let result = match direction {
        Direction::Ingress => clients
            .ec2
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
        Direction::Egress => clients
            .ec2
            .revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    };
    match result {
        Err(e) if e.aws_code() == Some("InvalidPermission.NotFound") => Ok(()),
        other => ignore_not_found(other),
    }
}

pub async fn delete_security_group(clients: &Clients, group_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .delete_security_group()
            .group_id(group_id)
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    )
}

impl InScope for SecurityGroup {
    fn vpc_ids(&self) -> Vec<&str> {
        vec![&self.vpc_id]
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_round_trip_to_single_peer_rules() {
        let rules = vec![
            SgRule::tcp(80, Peer::Cidr("0.0.0.0/0".into()), "HTTP in"),
            SgRule::tcp(80, Peer::Ipv6Cidr("::/0".into()), "HTTP in"),
            SgRule::tcp(3306, Peer::Group("sg-123".into()), "MySQL in"),
            SgRule::tcp(22, Peer::Group("sg-456".into()), ""),
        ];
        let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
        let mut expected = rules.clone();
        expected.sort();
        assert_eq!(rules_of(&permissions), expected);
    }

    #[test]
    fn all_traffic_rules_ignore_ports() {
        let p = IpPermission::builder()
            .ip_protocol("-1")
            .from_port(0)
            .to_port(65535)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let rules = rules_of(&[p]);
        assert_eq!(rules[0].from_port, -1);
        assert_eq!(rules[0].protocol, "-1");
    }
}
