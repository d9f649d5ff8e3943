//! The security tier: five groups chained by group id, never by CIDR, least privilege.
//!
//! | group     | ingress                                              | egress                                   |
//! |-----------|------------------------------------------------------|------------------------------------------|
//! | `alb`     | 80 (and 443 with a certificate) from 0.0.0.0/0, ::/0 | 80 to `app` (forwarding, health checks)  |
//! | `bastion` | 22 from each of `allowed_ssh_cidrs` (none if empty)  | 22 to `app`; 443 to 0.0.0.0/0 (updates)  |
//! | `app`     | 80 from `alb`; 22 from `bastion` (when enabled)      | 2049 to `efs`; 3306 to `db`; 80 and 443 to 0.0.0.0/0 (image pulls, dnf, WordPress updates) |
//! | `efs`     | 2049 from `app`                                      | none                                     |
//! | `db`      | 3306 from `app`                                      | none                                     |
//!
//! The default allow-all egress rule of every new group is revoked. Groups are stateful, so
//! replies need no rule; the Amazon DNS resolver, NTP (169.254.169.123) and instance metadata
//! are not subject to security groups, so none of them needs an egress rule either.
//!
//! Converging is a diff: the rules AWS reports against the rules above; missing ones are
//! authorized and extra ones revoked (one call per group and direction), which also repairs
//! rules added or removed out of band.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::{join_all, try_join_all};

use super::context::StepContext;
use super::dependency::retry_dependency;
use super::ec2_tags::{ensure_tags, observe_tags};
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use crate::aws::ec2::{self, Direction, Peer, Scope, SecurityGroup, SgRule};
use crate::error::{Result, StackError};
use crate::spec::StackSpec;
use crate::state::logical::{self, qualified};

/// The tiers that own a security group, in creation order.
pub const TIERS: [&str; 5] = ["alb", "bastion", "app", "efs", "db"];

const WORLD_V4: &str = "0.0.0.0/0";
const WORLD_V6: &str = "::/0";

pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![Step::new(step_id::SECURITY_GROUPS, [step_id::VPC])
        .create(|ctx| async move { ensure_groups(&ctx).await })
        .delete(|ctx| async move { delete_groups(&ctx).await })]
}

fn description(tier: &str) -> &'static str {
    match tier {
        "alb" => "WordPress load balancer: HTTP(S) from the internet",
        "bastion" => "SSH bastion: SSH from the allowed CIDRs only",
        "app" => "WordPress instances: HTTP from the ALB, SSH from the bastion",
        "efs" => "WordPress EFS: NFS from the instances",
        "db" => "WordPress database: MySQL from the instances",
        _ => "WordPress stack",
    }
}

/// The desired (ingress, egress) rules of every tier, given the groups' ids.
pub fn desired_rules(
    spec: &StackSpec,
    ids: &BTreeMap<String, String>,
) -> BTreeMap<String, (Vec<SgRule>, Vec<SgRule>)> {
    let group = |tier: &str| Peer::Group(ids.get(tier).cloned().unwrap_or_default());
    let world = |port| {
        [
            SgRule::tcp(port, Peer::Cidr(WORLD_V4.into())),
            SgRule::tcp(port, Peer::Ipv6Cidr(WORLD_V6.into())),
        ]
    };

    let mut alb_in: Vec<SgRule> = world(80).to_vec();
    if spec.load_balancer.certificate_arn.is_some() {
        alb_in.extend(world(443));
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
            SgRule::tcp(22, peer)
        })
        .collect();
    let rules = [
        ("alb", alb_in, vec![SgRule::tcp(80, group("app"))]),
        (
            "bastion",
            bastion_in,
            vec![
                SgRule::tcp(22, group("app")),
                SgRule::tcp(443, Peer::Cidr(WORLD_V4.into())),
            ],
        ),
        (
            "app",
            app_ingress(spec, group("alb"), group("bastion")),
            vec![
                SgRule::tcp(2049, group("efs")),
                SgRule::tcp(3306, group("db")),
                SgRule::tcp(80, Peer::Cidr(WORLD_V4.into())),
                SgRule::tcp(443, Peer::Cidr(WORLD_V4.into())),
            ],
        ),
        ("efs", vec![SgRule::tcp(2049, group("app"))], vec![]),
        ("db", vec![SgRule::tcp(3306, group("app"))], vec![]),
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
    let mut ingress = vec![SgRule::tcp(80, alb)];
    if spec.bastion.enabled {
        ingress.push(SgRule::tcp(22, bastion));
    }
    ingress
}

/// Rules to add and to remove to get from `observed` to `wanted`.
pub fn rule_diff(observed: &[SgRule], wanted: &[SgRule]) -> (Vec<SgRule>, Vec<SgRule>) {
    let observed: BTreeSet<&SgRule> = observed.iter().collect();
    let wanted: BTreeSet<&SgRule> = wanted.iter().collect();
    let add = wanted.difference(&observed).map(|r| (*r).clone()).collect();
    let remove = observed.difference(&wanted).map(|r| (*r).clone()).collect();
    (add, remove)
}

fn group_name(ctx: &StepContext, tier: &str) -> String {
    ctx.name(tier, None)
}

/// The stack's group of each tier in `vpc_id`, by group name.
fn groups_by_tier(
    ctx: &StepContext,
    vpc_id: &str,
    groups: Vec<SecurityGroup>,
) -> BTreeMap<String, SecurityGroup> {
    let mut by_tier = BTreeMap::new();
    for group in groups.into_iter().filter(|g| g.vpc_id == vpc_id) {
        if let Some(tier) = TIERS
            .iter()
            .find(|t| group.group_name == group_name(ctx, t))
        {
            by_tier.insert(tier.to_string(), group);
        }
    }
    by_tier
}

async fn ensure_groups(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let vpc_id = ctx.require(logical::VPC)?;
    let existing = groups_by_tier(
        ctx,
        &vpc_id,
        ec2::security_groups(clients, Scope::Vpc(&vpc_id)).await?,
    );
    let missing: Vec<&str> = TIERS
        .iter()
        .copied()
        .filter(|t| !existing.contains_key(*t))
        .collect();
    let vpc = vpc_id.as_str();
    let created = settle_all(missing.iter().map(|tier| async move {
        let name = group_name(ctx, tier);
        let tags = ctx.tags(&name);
        let id = ctx
            .create_or_adopt(
                &format!("create security group {name}"),
                || ec2::create_security_group(clients, vpc, &name, description(tier), &tags),
                || async {
                    let groups = ec2::security_groups(clients, Scope::Vpc(vpc)).await?;
                    Ok(groups
                        .into_iter()
                        .find(|g| g.group_name == name)
                        .map(|g| g.id))
                },
            )
            .await?;
        ctx.record(qualified(logical::SECURITY_GROUP, tier), &id);
        tracing::info!(security_group = %id, tier = *tier, "security group created");
        Ok::<_, StackError>(())
    }))
    .await;
    for (tier, group) in &existing {
        ctx.record(qualified(logical::SECURITY_GROUP, tier), &group.id);
    }
    created?;
    try_join_all(
        existing
            .values()
            .map(|g| ensure_tags(ctx, &g.id, &g.tags, &g.group_name)),
    )
    .await?;
    // New groups come with AWS's default egress rule: read them back to converge from truth.
    let groups = if missing.is_empty() {
        existing
    } else {
        groups_by_tier(
            ctx,
            &vpc_id,
            ec2::security_groups(clients, Scope::Vpc(&vpc_id)).await?,
        )
    };
    let ids: BTreeMap<String, String> = groups
        .iter()
        .map(|(t, g)| (t.clone(), g.id.clone()))
        .collect();
    let wanted = desired_rules(ctx.spec(), &ids);
    try_join_all(groups.iter().map(|(tier, group)| {
        let (ingress, egress) = wanted.get(tier).cloned().unwrap_or_default();
        converge_group(ctx, group, ingress, egress)
    }))
    .await?;
    Ok(())
}

async fn converge_group(
    ctx: &StepContext,
    group: &SecurityGroup,
    ingress: Vec<SgRule>,
    egress: Vec<SgRule>,
) -> Result<()> {
    let clients = &ctx.clients;
    for (direction, observed, wanted) in [
        (Direction::Ingress, &group.ingress, ingress),
        (Direction::Egress, &group.egress, egress),
    ] {
        let (add, remove) = rule_diff(observed, &wanted);
        if !add.is_empty() {
            ctx.eventually(&format!("authorize rules on {}", group.id), || {
                ec2::authorize(clients, &group.id, direction, &add)
            })
            .await?;
            tracing::info!(security_group = %group.id, ?direction, rules = add.len(), "rules authorized");
        }
        if !remove.is_empty() {
            ec2::revoke(clients, &group.id, direction, &remove).await?;
            tracing::info!(security_group = %group.id, ?direction, rules = remove.len(), "rules revoked");
        }
    }
    Ok(())
}

/// Groups reference each other (app ← alb, alb → app…), and AWS refuses to delete a group
/// another group's rule names: revoke every group-to-group rule first, then delete.
async fn delete_groups(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let recorded: BTreeSet<String> = ctx
        .resources_with_prefix(&format!("{}:", logical::SECURITY_GROUP))
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    if recorded.is_empty() {
        return Ok(());
    }
    let groups: Vec<SecurityGroup> = ec2::stack_security_groups(clients, ctx.stack())
        .await?
        .into_iter()
        .filter(|g| recorded.contains(&g.id))
        .collect();
    revoke_cross_references(ctx, &groups).await?;
    settle_all(TIERS.iter().map(|tier| async move {
        let key = qualified(logical::SECURITY_GROUP, tier);
        let Some(id) = ctx.resource(&key) else {
            return Ok(());
        };
        retry_dependency(ctx, &format!("delete security group {id}"), || {
            ec2::delete_security_group(clients, &id)
        })
        .await?;
        tracing::info!(security_group = %id, tier, "security group deleted");
        ctx.forget(&key);
        Ok::<_, StackError>(())
    }))
    .await?;
    Ok(())
}

/// Wait for every future, then return the first error. Unlike `try_join_all`, one failure
/// does not drop the others halfway through a call AWS may already have carried out, so each
/// group created is recorded and each group deleted is forgotten.
async fn settle_all<F>(futures: impl IntoIterator<Item = F>) -> Result<()>
where
    F: std::future::Future<Output = Result<()>>,
{
    join_all(futures).await.into_iter().collect()
}

/// Revoke every rule whose peer is a group, on each of `groups`.
pub(crate) async fn revoke_cross_references(
    ctx: &StepContext,
    groups: &[SecurityGroup],
) -> Result<()> {
    let clients = &ctx.clients;
    let by_group = |rules: &[SgRule]| -> Vec<SgRule> {
        rules
            .iter()
            .filter(|r| matches!(r.peer, Peer::Group(_)))
            .cloned()
            .collect()
    };
    try_join_all(groups.iter().map(|g| async move {
        ec2::revoke(clients, &g.id, Direction::Ingress, &by_group(&g.ingress)).await?;
        ec2::revoke(clients, &g.id, Direction::Egress, &by_group(&g.egress)).await
    }))
    .await?;
    Ok(())
}

/// Record the groups that exist; a group whose rules drifted from the spec is left out, so
/// the plan shows it as missing and the next apply converges its rules. The bastion's SSH
/// sources are read back into the spec (they are the user's attribute).
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let prior_vpc = ctx.prior_resource(logical::VPC);
    let scope = prior_vpc.map_or(Scope::Stack(ctx.stack()), Scope::Vpc);
    let groups = ec2::security_groups(clients, scope).await?;
    let Some(vpc_id) = prior_vpc
        .map(str::to_string)
        .or_else(|| groups_vpc(ctx, &groups))
    else {
        return Ok(());
    };
    let groups = groups_by_tier(ctx, &vpc_id, groups);
    if let Some(bastion) = groups.get("bastion") {
        let mut cidrs: Vec<String> = bastion
            .ingress
            .iter()
            .filter(|r| r.protocol == "tcp" && r.from_port == 22 && r.to_port == 22)
            .filter_map(|r| match &r.peer {
                Peer::Cidr(c) | Peer::Ipv6Cidr(c) => Some(c.clone()),
                Peer::Group(_) => None,
            })
            .collect();
        let mut spec_cidrs = ctx.spec().bastion.allowed_ssh_cidrs.clone();
        cidrs.sort();
        spec_cidrs.sort();
        if cidrs != spec_cidrs {
            ctx.update_state(|s| s.spec.bastion.allowed_ssh_cidrs = cidrs);
        }
    }
    let spec = ctx.snapshot().spec;
    let ids: BTreeMap<String, String> = groups
        .iter()
        .map(|(t, g)| (t.clone(), g.id.clone()))
        .collect();
    let wanted = desired_rules(&spec, &ids);
    for (tier, group) in &groups {
        let (ingress, egress) = wanted.get(tier).cloned().unwrap_or_default();
        let tagged = observe_tags(ctx, &group.tags, &group.group_name);
        if matches_spec(tier, group, &ingress, &egress) && tagged {
            ctx.record(qualified(logical::SECURITY_GROUP, tier), &group.id);
        } else {
            tracing::info!(security_group = %group.id, tier, "rules drifted from the configuration");
        }
    }
    Ok(())
}

/// The VPC the stack's groups are in, on import (the network tier refreshes the VPC
/// concurrently, so it is read from the groups themselves).
fn groups_vpc(ctx: &StepContext, groups: &[SecurityGroup]) -> Option<String> {
    groups
        .iter()
        .find(|g| TIERS.iter().any(|t| g.group_name == group_name(ctx, t)))
        .map(|g| g.vpc_id.clone())
}

/// The ALB's 443 rules depend on the load balancer tier's certificate, which a concurrent
/// import has not read yet: for `alb`, accept the rules with or without them.
fn matches_spec(tier: &str, group: &SecurityGroup, ingress: &[SgRule], egress: &[SgRule]) -> bool {
    let same = |a: &[SgRule], b: &[SgRule]| {
        let a: BTreeSet<&SgRule> = a.iter().collect();
        let b: BTreeSet<&SgRule> = b.iter().collect();
        a == b
    };
    if !same(&group.egress, egress) {
        return false;
    }
    if tier != "alb" {
        return same(&group.ingress, ingress);
    }
    let without_https: Vec<SgRule> = group
        .ingress
        .iter()
        .filter(|r| r.from_port != 443)
        .cloned()
        .collect();
    let wanted_without_https: Vec<SgRule> = ingress
        .iter()
        .filter(|r| r.from_port != 443)
        .cloned()
        .collect();
    same(&without_https, &wanted_without_https)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> BTreeMap<String, String> {
        TIERS
            .iter()
            .map(|t| (t.to_string(), format!("sg-{t}")))
            .collect()
    }

    #[test]
    fn groups_are_chained_by_id_and_nothing_else_gets_in() {
        let mut spec = StackSpec::with_name("blog");
        spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
        let rules = desired_rules(&spec, &ids());
        let ingress = |tier: &str| rules[tier].0.clone();
        assert_eq!(ingress("app"), {
            let mut v = vec![
                SgRule::tcp(80, Peer::Group("sg-alb".into())),
                SgRule::tcp(22, Peer::Group("sg-bastion".into())),
            ];
            v.sort();
            v
        });
        assert_eq!(
            ingress("efs"),
            vec![SgRule::tcp(2049, Peer::Group("sg-app".into()))]
        );
        assert_eq!(
            ingress("db"),
            vec![SgRule::tcp(3306, Peer::Group("sg-app".into()))]
        );
        assert_eq!(
            ingress("bastion"),
            vec![SgRule::tcp(22, Peer::Cidr("203.0.113.0/24".into()))]
        );
        assert_eq!(
            ingress("alb").len(),
            2,
            "80 over IPv4 and IPv6, no 443 without a certificate"
        );
        assert!(rules["efs"].1.is_empty() && rules["db"].1.is_empty());
    }

    #[test]
    fn a_certificate_opens_443_and_no_cidrs_means_no_ssh() {
        let mut spec = StackSpec::with_name("blog");
        spec.load_balancer.certificate_arn = Some("arn:aws:acm:us-east-1:1:certificate/x".into());
        let rules = desired_rules(&spec, &ids());
        assert!(rules["alb"]
            .0
            .iter()
            .any(|r| r.from_port == 443 && r.peer == Peer::Ipv6Cidr("::/0".into())));
        assert!(rules["bastion"].0.is_empty());
    }

    fn port_22_on_app(spec: &StackSpec) -> Vec<SgRule> {
        desired_rules(spec, &ids())["app"]
            .0
            .iter()
            .filter(|r| r.from_port <= 22 && 22 <= r.to_port)
            .cloned()
            .collect()
    }

    #[test]
    fn without_a_bastion_the_instances_take_no_ssh_at_all() {
        let mut spec = StackSpec::with_name("blog");
        spec.bastion.enabled = false;
        spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
        assert!(port_22_on_app(&spec).is_empty());
        assert_eq!(
            desired_rules(&spec, &ids())["app"].0,
            vec![SgRule::tcp(80, Peer::Group("sg-alb".into()))]
        );
    }

    #[test]
    fn toggling_the_bastion_revokes_then_restores_only_the_ssh_rule() {
        let mut enabled = StackSpec::with_name("blog");
        enabled.bastion.enabled = true;
        let mut disabled = enabled.clone();
        disabled.bastion.enabled = false;
        let ssh = vec![SgRule::tcp(22, Peer::Group("sg-bastion".into()))];
        assert_eq!(port_22_on_app(&enabled), ssh);

        let app = |spec: &StackSpec| desired_rules(spec, &ids())["app"].clone();
        // enabled → disabled: the converge diff revokes SSH and nothing else.
        let (add, remove) = rule_diff(&app(&enabled).0, &app(&disabled).0);
        assert!(add.is_empty());
        assert_eq!(remove, ssh);
        assert_eq!(app(&enabled).1, app(&disabled).1, "egress unchanged");
        // disabled → enabled: it comes back.
        let (add, remove) = rule_diff(&app(&disabled).0, &app(&enabled).0);
        assert_eq!(add, ssh);
        assert!(remove.is_empty());
    }

    #[test]
    fn diff_adds_missing_and_removes_extra_rules() {
        let default_egress = SgRule {
            protocol: "-1".into(),
            from_port: -1,
            to_port: -1,
            peer: Peer::Cidr("0.0.0.0/0".into()),
        };
        let wanted = vec![SgRule::tcp(3306, Peer::Group("sg-db".into()))];
        let (add, remove) = rule_diff(std::slice::from_ref(&default_egress), &wanted);
        assert_eq!(add, wanted);
        assert_eq!(remove, vec![default_egress]);
        let (add, remove) = rule_diff(&wanted, &wanted);
        assert!(add.is_empty() && remove.is_empty());
    }
}
