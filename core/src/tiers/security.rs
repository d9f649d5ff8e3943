//! The security tier: five groups chained by group id, never by CIDR, least privilege.
//!
//! The rules, with their descriptions, are `stack_model::firewall`'s (`desired_rules`).
//!
//! The default allow-all egress rule of every new group is revoked. Groups are stateful, so
//! replies need no rule; the Amazon DNS resolver, NTP (169.254.169.123) and instance metadata
//! are not subject to security groups, so none of them needs an egress rule either.
//!
//! Converging is a diff: the rules AWS reports against the wanted ones; missing ones are
//! authorized and extra ones revoked, and a rule whose description is missing or changed gets
//! the wanted one in place (UpdateSecurityGroupRuleDescriptions*; one call per group, direction
//! and kind), which also repairs rules added, removed or described anew out of band.

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
pub use crate::firewall::TIERS;
use crate::firewall::{desired_rules, group_description, rule_diff, same_rules};
use crate::state::logical::{self, qualified};

/// Two steps: the groups, then their rules. What only names a group (the database, mount
/// targets, balancer and launch template) needs its id, so it does not wait for the rules;
/// what runs code in the VPC (the fleet, the bastion) does. Deleting the groups revokes their
/// rules first, so the rules step has nothing to delete.
pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![
        Step::new(step_id::SECURITY_GROUPS, [step_id::VPC])
            .create(|ctx| async move { ensure_groups(&ctx).await })
            .delete(|ctx| async move { delete_groups(&ctx).await }),
        Step::new(step_id::SECURITY_RULES, [step_id::SECURITY_GROUPS])
            .create(|ctx| async move { ensure_rules(&ctx).await }),
    ]
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
    // A VPC this apply made holds none of them (a duplicate name is adopted all the same).
    let existing = if ctx.created_here(logical::VPC) {
        BTreeMap::new()
    } else {
        groups_by_tier(
            ctx,
            &vpc_id,
            ec2::security_groups(clients, Scope::Vpc(&vpc_id)).await?,
        )
    };
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
                || ec2::create_security_group(clients, vpc, &name, group_description(tier), &tags),
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
    Ok(())
}

/// Converge every group's rules. The groups are read again: new ones come with AWS's default
/// egress rule, and converging starts from what AWS holds.
async fn ensure_rules(ctx: &StepContext) -> Result<()> {
    let vpc_id = ctx.require(logical::VPC)?;
    let groups = groups_by_tier(
        ctx,
        &vpc_id,
        ec2::security_groups(&ctx.clients, Scope::Vpc(&vpc_id)).await?,
    );
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
    if groups.len() == TIERS.len() {
        ctx.record(logical::SECURITY_GROUP_RULE_DESCRIPTIONS, &vpc_id);
    }
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
        let diff = rule_diff(observed, &wanted);
        let (add, remove) = (diff.add, diff.remove);
        if !diff.redescribe.is_empty() {
            ctx.eventually(&format!("describe rules on {}", group.id), || {
                ec2::update_descriptions(clients, &group.id, direction, &diff.redescribe)
            })
            .await?;
            tracing::info!(security_group = %group.id, ?direction, rules = diff.redescribe.len(), "rule descriptions updated");
        }
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
    ctx.forget(logical::SECURITY_GROUP_RULE_DESCRIPTIONS);
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
    let mut described = groups.len() == TIERS.len();
    for (tier, group) in &groups {
        let (ingress, egress) = wanted.get(tier).cloned().unwrap_or_default();
        let tagged = observe_tags(ctx, &group.tags, &group.group_name);
        if matches_spec(tier, group, &ingress, &egress) && tagged {
            ctx.record(qualified(logical::SECURITY_GROUP, tier), &group.id);
        } else {
            tracing::info!(security_group = %group.id, tier, "rules drifted from the configuration");
        }
        let diff_in = rule_diff(&group.ingress, &ingress);
        let diff_out = rule_diff(&group.egress, &egress);
        if !diff_in.redescribe.is_empty() || !diff_out.redescribe.is_empty() {
            tracing::info!(security_group = %group.id, tier, "rule descriptions drifted");
            described = false;
        }
    }
    // Recorded only while every rule the stack wants carries its description, so a missing
    // or changed one is planned back as an update of the groups (`plan::hardening`).
    if described {
        ctx.record(logical::SECURITY_GROUP_RULE_DESCRIPTIONS, &vpc_id);
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
    let same = same_rules;
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
