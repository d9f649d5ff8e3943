//! The WAF tier: a WAFv2 regional web ACL `<name>-waf` (AWS's managed rule groups for
//! WordPress, PHP, common attacks and known bad inputs, each keeping its own actions, and a
//! rule blocking an IP address above `waf.rate_limit` requests per 5 minutes), associated
//! with the stack's load balancer.
//!
//! Two steps: the web ACL (needs nothing of the stack, so it is made while the network is),
//! and its association, after the balancer. Both exist whether or not `waf.enabled` is set,
//! so that turning it off removes what the stack made before: the web ACL step then takes the
//! ACL off the balancer and deletes it. A refresh that finds the association gone or the
//! rules changed leaves the object out of `resources`: the plan shows it as deleted outside
//! Terraform and the next apply puts it back.

use std::sync::Arc;

use super::context::StepContext;
use super::layout::StackLayout;
use super::load_balancer::load_balancer_name;
use super::step::Step;
use super::step_id;
use super::tag_sync;
use crate::aws::elbv2;
use crate::aws::wafv2::{self, RuleKind, WafRule, WebAcl};
use crate::error::Result;
use crate::naming::STACK_TAG;
use crate::spec::WafSpec;
use crate::state::logical;
use crate::wait;

/// The managed rule groups (vendor `AWS`), in the order WAF evaluates them.
pub const MANAGED_RULE_GROUPS: [&str; 4] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet",
];
/// The rate rule's name (and CloudWatch metric).
pub const RATE_RULE: &str = "per-ip-rate-limit";

/// AWS is still making a web ACL created moments ago usable elsewhere.
const UNAVAILABLE: &str = "WAFUnavailableEntityException";
/// Someone changed the web ACL since it was read: read it again and redo the change.
const LOCK_CONFLICT: &str = "WAFOptimisticLockException";

/// `<name>-waf`.
pub fn web_acl_name(stack: &str) -> String {
    crate::naming::object_name(stack, "waf", None)
}

/// The rules a web ACL of this spec carries: the rate rule first, so a flood is cut before
/// the managed groups inspect it, then the managed groups.
pub fn wanted_rules(waf: &WafSpec) -> Vec<WafRule> {
    let mut rules = vec![WafRule {
        name: RATE_RULE.to_string(),
        priority: 0,
        kind: RuleKind::RateLimit(waf.rate_limit),
    }];
    rules.extend(
        MANAGED_RULE_GROUPS
            .iter()
            .zip(1..)
            .map(|(group, priority)| WafRule {
                name: group.to_string(),
                priority,
                kind: RuleKind::ManagedGroup(group.to_string()),
            }),
    );
    rules
}

fn same_rules(observed: &[WafRule], wanted: &[WafRule]) -> bool {
    let mut observed = observed.to_vec();
    observed.sort();
    let mut wanted = wanted.to_vec();
    wanted.sort();
    observed == wanted
}

/// The rate limit an ACL's rate rule holds, if it has one the stack wrote.
fn observed_rate_limit(acl: &WebAcl) -> Option<i64> {
    acl.rules.iter().find_map(|rule| match rule.kind {
        RuleKind::RateLimit(limit) if rule.name == RATE_RULE => Some(limit),
        _ => None,
    })
}

pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![
        Step::new(step_id::WAF_WEB_ACL, Vec::<String>::new())
            .create(|ctx| async move { converge_web_acl(&ctx).await })
            .delete(|ctx| async move { delete_web_acl(&ctx).await }),
        Step::new(
            step_id::WAF_ASSOCIATION,
            [step_id::WAF_WEB_ACL, step_id::LOAD_BALANCER],
        )
        .create(|ctx| async move { converge_association(&ctx).await })
        .delete(|ctx| async move { delete_association(&ctx).await }),
    ]
}

/// The web ACL the state recorded, else the one of the stack's name.
async fn find_web_acl(ctx: &StepContext) -> Result<Option<WebAcl>> {
    if let Some(arn) = ctx.resource(logical::WAF_WEB_ACL) {
        if let Some((name, id)) = wafv2::name_and_id(&arn) {
            if let Some(acl) = wafv2::get_web_acl(&ctx.clients, name, id).await? {
                return Ok(Some(acl));
            }
        }
    }
    find_by_name(ctx).await
}

async fn find_by_name(ctx: &StepContext) -> Result<Option<WebAcl>> {
    let name = web_acl_name(ctx.stack());
    let listed = wafv2::list_web_acls(&ctx.clients).await?;
    match listed.into_iter().find(|acl| acl.name == name) {
        Some(acl) => wafv2::get_web_acl(&ctx.clients, &acl.name, &acl.id).await,
        None => Ok(None),
    }
}

/// A change guarded by the web ACL's lock token: on a conflict (someone wrote the ACL since it
/// was read) it is read again and the change made on the fresh read.
async fn with_fresh_lock<F, Fut>(
    ctx: &StepContext,
    what: &str,
    acl: &WebAcl,
    change: F,
) -> Result<()>
where
    F: Fn(WebAcl) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let first = std::sync::Mutex::new(Some(acl.clone()));
    let (first, change) = (&first, &change);
    wait::retrying(
        ctx.bounds(),
        what,
        |e| e.aws_code() == Some(LOCK_CONFLICT),
        || async move {
            let ready = first.lock().ok().and_then(|mut slot| slot.take());
            let fresh = match ready {
                Some(read) => Some(read),
                None => wafv2::get_web_acl(&ctx.clients, &acl.name, &acl.id).await?,
            };
            match fresh {
                Some(fresh) => change(fresh).await,
                // Gone since: nothing left to change.
                None => Ok(()),
            }
        },
    )
    .await
}

async fn converge_web_acl(ctx: &Arc<StepContext>) -> Result<()> {
    if !ctx.spec().waf.enabled {
        return remove_web_acl(ctx).await;
    }
    let name = web_acl_name(ctx.stack());
    let wanted = wanted_rules(&ctx.spec().waf);
    let arn = match find_web_acl(ctx).await? {
        Some(acl) => {
            if !same_rules(&acl.rules, &wanted) {
                tracing::info!(web_acl = %acl.arn, "setting the web ACL's rules");
                with_fresh_lock(ctx, &format!("update web ACL {}", acl.arn), &acl, |acl| {
                    let wanted = wanted.clone();
                    async move { wafv2::set_rules(&ctx.clients, &acl, &wanted).await }
                })
                .await?;
            }
            let observed = wafv2::tags_of(&ctx.clients, &acl.arn).await?;
            let changes = tag_sync::changes_for(ctx, &acl.arn, &observed, &name);
            wafv2::retag(&ctx.clients, &acl.arn, &changes.set, &changes.remove).await?;
            acl.arn
        }
        None => {
            let tags = tag_sync::wanted(ctx, &name);
            let (name, wanted, tags) = (&name, &wanted, &tags);
            let created = ctx
                .create_or_adopt(
                    &format!("create web ACL {name}"),
                    || async move {
                        let made = wafv2::create_web_acl(&ctx.clients, name, wanted, tags).await?;
                        Ok(made.arn)
                    },
                    || async move { Ok(find_by_name(ctx).await?.map(|acl| acl.arn)) },
                )
                .await?;
            tracing::info!(web_acl = %created, "created web ACL");
            created
        }
    };
    ctx.record(logical::WAF_WEB_ACL, arn);
    Ok(())
}

/// `waf.enabled = false`: take the stack's web ACL off the balancer, then delete it.
async fn remove_web_acl(ctx: &StepContext) -> Result<()> {
    let Some(acl) = find_web_acl(ctx).await? else {
        ctx.forget(logical::WAF_ASSOCIATION);
        ctx.forget(logical::WAF_WEB_ACL);
        return Ok(());
    };
    let balancer = match ctx.resource(logical::WAF_ASSOCIATION) {
        Some(arn) => Some(arn),
        None => ctx.resource(logical::LOAD_BALANCER),
    };
    if let Some(balancer) = balancer {
        disassociate_if_ours(ctx, &balancer, &acl.arn).await?;
    }
    ctx.forget(logical::WAF_ASSOCIATION);
    delete_found(ctx, &acl).await?;
    ctx.forget(logical::WAF_WEB_ACL);
    Ok(())
}

async fn disassociate_if_ours(ctx: &StepContext, balancer: &str, acl_arn: &str) -> Result<()> {
    let guarding = wafv2::web_acl_for(&ctx.clients, balancer).await?;
    if guarding.is_some_and(|acl| acl.arn == acl_arn) {
        wafv2::disassociate(&ctx.clients, balancer).await?;
        tracing::info!(load_balancer = %balancer, web_acl = %acl_arn, "disassociated web ACL");
    }
    Ok(())
}

async fn delete_found(ctx: &StepContext, acl: &WebAcl) -> Result<()> {
    with_fresh_lock(
        ctx,
        &format!("delete web ACL {}", acl.arn),
        acl,
        |acl| async move { wafv2::delete_web_acl(&ctx.clients, &acl).await },
    )
    .await?;
    tracing::info!(web_acl = %acl.arn, "deleted web ACL");
    Ok(())
}

/// Destroy: the association's delete ran first (it depends on this step).
async fn delete_web_acl(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(acl) = find_web_acl(ctx).await? {
        delete_found(ctx, &acl).await?;
    }
    ctx.forget(logical::WAF_WEB_ACL);
    Ok(())
}

async fn converge_association(ctx: &Arc<StepContext>) -> Result<()> {
    if !ctx.spec().waf.enabled {
        // The web ACL step took it off and deleted the ACL.
        ctx.forget(logical::WAF_ASSOCIATION);
        return Ok(());
    }
    let acl_arn = ctx.require(logical::WAF_WEB_ACL)?;
    let balancer = ctx.require(logical::LOAD_BALANCER)?;
    let current = wafv2::web_acl_for(&ctx.clients, &balancer)
        .await?
        .map(|acl| acl.arn);
    if current.as_deref() != Some(acl_arn.as_str()) {
        if let Some(other) = &current {
            tracing::info!(load_balancer = %balancer, web_acl = %other, "replacing the balancer's web ACL");
            wafv2::disassociate(&ctx.clients, &balancer).await?;
        }
        // A web ACL created moments ago is refused for a while (WAFUnavailableEntityException).
        wait::retrying(
            ctx.bounds(),
            &format!("associate web ACL {acl_arn} with {balancer}"),
            |e| e.aws_code() == Some(UNAVAILABLE),
            || wafv2::associate(&ctx.clients, &acl_arn, &balancer),
        )
        .await?;
        tracing::info!(load_balancer = %balancer, web_acl = %acl_arn, "associated web ACL");
    }
    ctx.record(logical::WAF_ASSOCIATION, balancer);
    Ok(())
}

async fn delete_association(ctx: &Arc<StepContext>) -> Result<()> {
    let balancer = match ctx.resource(logical::WAF_ASSOCIATION) {
        Some(arn) => Some(arn),
        None => ctx.resource(logical::LOAD_BALANCER),
    };
    if let (Some(balancer), Some(acl)) = (balancer, find_web_acl(ctx).await?) {
        disassociate_if_ours(ctx, &balancer, &acl.arn).await?;
    }
    ctx.forget(logical::WAF_ASSOCIATION);
    Ok(())
}

/// Record the web ACL when its rules are the spec's, and the association when the balancer
/// still has it; observed `rate_limit` goes into the spec (import: `enabled` too).
///
/// One round of two concurrent calls for what the prior state knows: the balancer's web ACL
/// (GetWebACLForResource answers it whole, rules included) and the web ACL's tags. A second
/// only on import, or when the balancer is no longer guarded by the recorded web ACL (GetWebACL,
/// or ListWebACLs by name). A stack without a web ACL that wants none asks nothing.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let prior_acl = ctx.prior_resource(logical::WAF_WEB_ACL).map(str::to_string);
    let prior_lb = ctx
        .prior_resource(logical::LOAD_BALANCER)
        .map(str::to_string);
    if prior_acl.is_none() && !ctx.spec().waf.enabled && !ctx.is_import() {
        return Ok(());
    }
    let clients = &ctx.clients;
    let name = web_acl_name(ctx.stack());
    let (guarding, tags) = tokio::join!(
        async {
            match &prior_lb {
                Some(lb) => wafv2::web_acl_for(clients, lb).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            match &prior_acl {
                Some(arn) => wafv2::tags_of(clients, arn).await.map(Some),
                None => Ok(None),
            }
        },
    );
    // (balancer, the web ACL guarding it): on import the balancer is found by its name.
    let guarded = match (guarding?, prior_lb) {
        (Some(found), Some(lb)) => Some((lb, found)),
        _ => match elbv2::find_load_balancer(clients, &load_balancer_name(ctx.stack())).await? {
            Some(lb) => {
                let found = wafv2::web_acl_for(clients, &lb.arn).await?;
                Some((lb.arn, found))
            }
            None => None,
        },
    };
    let ours = |acl: &WebAcl| prior_acl.as_deref() == Some(acl.arn.as_str()) || acl.name == name;
    let on_balancer = guarded
        .as_ref()
        .and_then(|(_, found)| found.clone())
        .filter(|acl| ours(acl));
    let acl = match on_balancer.clone() {
        Some(acl) => Some(acl),
        None => find_web_acl_read(ctx, prior_acl.as_deref()).await?,
    };
    let tags = match (tags, &acl) {
        (Ok(Some(tags)), Some(acl)) if prior_acl.as_deref() == Some(acl.arn.as_str()) => tags,
        (_, Some(acl)) => wafv2::tags_of(clients, &acl.arn).await?,
        (_, None) => Default::default(),
    };
    // A web ACL of the stack's name that another stack's tag claims is not this stack's.
    let acl = acl.filter(|acl| {
        prior_acl.as_deref() == Some(acl.arn.as_str())
            || tags.get(STACK_TAG).map(String::as_str) == Some(ctx.stack())
    });
    let Some(acl) = acl else {
        if ctx.is_import() {
            ctx.update_state(|s| s.spec.waf.enabled = false);
        }
        return Ok(());
    };
    tag_sync::observe(ctx, &tags, &name);
    let rate_limit = observed_rate_limit(&acl);
    ctx.update_state(|s| {
        if ctx.is_import() {
            s.spec.waf.enabled = true;
        }
        if let Some(limit) = rate_limit {
            s.spec.waf.rate_limit = limit;
        }
    });
    let waf = ctx.snapshot().spec.waf;
    if same_rules(&acl.rules, &wanted_rules(&waf)) || !waf.enabled {
        ctx.record(logical::WAF_WEB_ACL, &acl.arn);
    } else {
        tracing::info!(web_acl = %acl.arn, "the web ACL's rules drifted from the configuration");
    }
    match (guarded, on_balancer) {
        (Some((lb, _)), Some(found)) if found.arn == acl.arn => {
            ctx.record(logical::WAF_ASSOCIATION, lb)
        }
        _ if waf.enabled => {
            tracing::info!(web_acl = %acl.arn, "the web ACL no longer guards the load balancer")
        }
        _ => {}
    }
    Ok(())
}

/// A refresh's read of the web ACL the state recorded, else the one of the stack's name.
async fn find_web_acl_read(ctx: &StepContext, recorded: Option<&str>) -> Result<Option<WebAcl>> {
    if let Some((name, id)) = recorded.and_then(wafv2::name_and_id) {
        if let Some(acl) = wafv2::get_web_acl(&ctx.clients, name, id).await? {
            return Ok(Some(acl));
        }
    }
    find_by_name(ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_are_the_rate_rule_then_the_four_managed_groups() {
        let rules = wanted_rules(&WafSpec {
            enabled: true,
            rate_limit: 500,
        });
        assert_eq!(rules.len(), 5);
        assert_eq!(rules[0].kind, RuleKind::RateLimit(500));
        let groups: Vec<&str> = rules[1..].iter().map(|r| r.name.as_str()).collect();
        assert_eq!(groups, MANAGED_RULE_GROUPS);
        let priorities: Vec<i32> = rules.iter().map(|r| r.priority).collect();
        assert_eq!(priorities, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn rules_compare_whatever_their_order() {
        let wanted = wanted_rules(&WafSpec::default());
        let mut shuffled = wanted.clone();
        shuffled.reverse();
        assert!(same_rules(&shuffled, &wanted));
        shuffled.pop();
        assert!(!same_rules(&shuffled, &wanted));
        assert_eq!(web_acl_name("blog"), "blog-waf");
    }
}
