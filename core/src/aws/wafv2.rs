//! AWS WAF (WAFv2), regional scope: the web ACL in front of the stack's load balancer, its
//! rules, its association with the balancer, and its tags.
//!
//! Web ACLs are named by name *and* id, and every change carries the lock token of the last
//! read (`WAFOptimisticLockException` otherwise): [`WebAcl::lock_token`] travels from the read
//! to the update or delete. The SDK has no paginators for WAFv2's list calls (they page with
//! `NextMarker`, not a smithy pagination trait), so [`list_web_acls`] loops by hand.

use std::collections::BTreeMap;

use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, DefaultAction, ManagedRuleGroupStatement, NoneAction, OverrideAction,
    RateBasedStatement, RateBasedStatementAggregateKeyType, Rule, RuleAction, Scope, Statement,
    VisibilityConfig,
};

use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{Clients, SendFor};
use crate::error::{Result, StackError};

/// WAF's answer about a web ACL, association or resource it does not know.
const NONEXISTENT: &str = "WAFNonexistentItemException";
/// The longest page ListWebACLs returns.
const PAGE: i32 = 100;

/// A rule of the stack's web ACL as the core describes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WafRule {
    /// Also the rule's CloudWatch metric name.
    pub name: String,
    pub priority: i32,
    pub kind: RuleKind,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleKind {
    /// An AWS managed rule group (vendor `AWS`), its own rule actions kept (override none).
    ManagedGroup(String),
    /// Block an IP address above `limit` requests per 5 minutes.
    RateLimit(i64),
    /// Anything else (another vendor, another action, metrics off): never the stack's.
    Other,
}

/// One web ACL as GetWebACL returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAcl {
    pub arn: String,
    pub name: String,
    pub id: String,
    /// The token the next update or delete must carry.
    pub lock_token: String,
    pub rules: Vec<WafRule>,
}

/// One line of ListWebACLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAclSummary {
    pub arn: String,
    pub name: String,
    pub id: String,
}

/// `(name, id)` of a web ACL's ARN `arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>`.
pub fn name_and_id(arn: &str) -> Option<(&str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_scope), Some("webacl"), Some(name), Some(id))
            if !name.is_empty() && !id.is_empty() =>
        {
            Some((name, id))
        }
        _ => None,
    }
}

fn visibility(metric: &str) -> Result<VisibilityConfig> {
    VisibilityConfig::builder()
        .sampled_requests_enabled(true)
        .cloud_watch_metrics_enabled(true)
        .metric_name(metric)
        .build()
        .map_err(|e| StackError::Internal(format!("WAF visibility of {metric}: {e}")))
}

fn sdk_rule(rule: &WafRule) -> Result<Rule> {
    let built = |what: &str, e: aws_smithy_types::error::operation::BuildError| {
        StackError::Internal(format!("WAF rule {}: {what}: {e}", rule.name))
    };
    let builder = Rule::builder()
        .name(&rule.name)
        .priority(rule.priority)
        .visibility_config(visibility(&rule.name)?);
    let builder = match &rule.kind {
        RuleKind::ManagedGroup(group) => builder
            .statement(
                Statement::builder()
                    .managed_rule_group_statement(
                        ManagedRuleGroupStatement::builder()
                            .vendor_name("AWS")
                            .name(group)
                            .build()
                            .map_err(|e| built("managed group", e))?,
                    )
                    .build(),
            )
            .override_action(
                OverrideAction::builder()
                    .none(NoneAction::builder().build())
                    .build(),
            ),
        RuleKind::RateLimit(limit) => builder
            .statement(
                Statement::builder()
                    .rate_based_statement(
                        RateBasedStatement::builder()
                            .limit(*limit)
                            .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
                            .build()
                            .map_err(|e| built("rate statement", e))?,
                    )
                    .build(),
            )
            .action(
                RuleAction::builder()
                    .block(BlockAction::builder().build())
                    .build(),
            ),
        RuleKind::Other => {
            return Err(StackError::Internal(format!(
                "WAF rule {} has no kind the stack writes",
                rule.name
            )))
        }
    };
    builder.build().map_err(|e| built("rule", e))
}

/// The core's view of an SDK rule: a kind the stack writes only when every part of it is the
/// one the stack writes (action, override, visibility on, metric named after the rule).
fn observed_rule(rule: &Rule) -> WafRule {
    let visible = rule.visibility_config().is_some_and(|v| {
        v.sampled_requests_enabled()
            && v.cloud_watch_metrics_enabled()
            && v.metric_name() == rule.name()
    });
    let statement = rule.statement();
    let managed = statement.and_then(Statement::managed_rule_group_statement);
    let rate = statement.and_then(Statement::rate_based_statement);
    let override_none = rule.override_action().is_some_and(|o| o.none().is_some());
    let blocks = rule.action().is_some_and(|a| a.block().is_some());
    let kind = match (managed, rate) {
        (Some(group), None)
            if visible
                && override_none
                && group.vendor_name() == "AWS"
                && group.excluded_rules().is_empty()
                && group.rule_action_overrides().is_empty()
                && group.scope_down_statement().is_none() =>
        {
            RuleKind::ManagedGroup(group.name().to_string())
        }
        (None, Some(rate))
            if visible
                && blocks
                && *rate.aggregate_key_type() == RateBasedStatementAggregateKeyType::Ip
                && rate.scope_down_statement().is_none() =>
        {
            RuleKind::RateLimit(rate.limit())
        }
        _ => RuleKind::Other,
    };
    WafRule {
        name: rule.name().to_string(),
        priority: rule.priority(),
        kind,
    }
}

fn sdk_rules(rules: &[WafRule]) -> Result<Vec<Rule>> {
    rules.iter().map(sdk_rule).collect()
}

/// Every regional web ACL of the account in this region.
pub async fn list_web_acls(clients: &Clients) -> Result<Vec<WebAclSummary>> {
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = clients
            .wafv2
            .list_web_acls()
            .scope(Scope::Regional)
            .limit(PAGE)
            .set_next_marker(marker.clone())
            .send()
            .for_object("regional web ACLs")
            .await?;
        let acls = page.web_acls();
        found.extend(acls.iter().filter_map(|acl| {
            Some(WebAclSummary {
                arn: acl.arn()?.to_string(),
                name: acl.name()?.to_string(),
                id: acl.id()?.to_string(),
            })
        }));
        // WAF may hand back a marker with its last page: an empty page or a marker seen
        // before ends the listing as surely as no marker.
        match page.next_marker() {
            Some(next) if !acls.is_empty() && marker.as_deref() != Some(next) => {
                marker = Some(next.to_string());
            }
            _ => return Ok(found),
        }
    }
}

/// The web ACL `name`/`id`, or `None` when WAF does not know it.
pub async fn get_web_acl(clients: &Clients, name: &str, id: &str) -> Result<Option<WebAcl>> {
    let result = clients
        .wafv2
        .get_web_acl()
        .scope(Scope::Regional)
        .name(name)
        .id(id)
        .send()
        .for_object(name)
        .await;
    let output = match result {
        Ok(output) => output,
        Err(error) if error.aws_code() == Some(NONEXISTENT) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(output
        .web_acl()
        .map(|acl| web_acl(acl, output.lock_token().unwrap_or_default())))
}

/// Create the web ACL `name` (default action allow, metrics on) with `rules` and `tags`.
/// WAF refuses a second web ACL of a name (`WAFDuplicateItemException`), so a re-sent create
/// never makes two.
pub async fn create_web_acl(
    clients: &Clients,
    name: &str,
    rules: &[WafRule],
    tags: &BTreeMap<String, String>,
) -> Result<WebAclSummary> {
    let output = clients
        .wafv2
        .create_web_acl()
        .scope(Scope::Regional)
        .name(name)
        .description("WordPress HA stack: AWS managed rules and a per-IP rate limit")
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .visibility_config(visibility(name)?)
        .set_rules(Some(sdk_rules(rules)?))
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(name)
        .await?;
    let summary = output.summary();
    let field = |value: Option<&str>| value.unwrap_or_default().to_string();
    Ok(WebAclSummary {
        arn: field(summary.and_then(|s| s.arn())),
        name: field(summary.and_then(|s| s.name())),
        id: field(summary.and_then(|s| s.id())),
    })
}

/// Put `rules` on `acl` (read moments before: its lock token guards the write).
pub async fn set_rules(clients: &Clients, acl: &WebAcl, rules: &[WafRule]) -> Result<()> {
    clients
        .wafv2
        .update_web_acl()
        .scope(Scope::Regional)
        .name(&acl.name)
        .id(&acl.id)
        .lock_token(&acl.lock_token)
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .visibility_config(visibility(&acl.name)?)
        .set_rules(Some(sdk_rules(rules)?))
        .send()
        .for_object(&acl.arn)
        .await?;
    Ok(())
}

/// Delete `acl` with the lock token of its last read; `Ok` when it is already gone.
pub async fn delete_web_acl(clients: &Clients, acl: &WebAcl) -> Result<()> {
    let result = clients
        .wafv2
        .delete_web_acl()
        .scope(Scope::Regional)
        .name(&acl.name)
        .id(&acl.id)
        .lock_token(&acl.lock_token)
        .send()
        .for_object(&acl.arn)
        .await;
    match result {
        Err(error) if error.aws_code() != Some(NONEXISTENT) => Err(error),
        _ => Ok(()),
    }
}

/// The web ACL guarding `resource_arn`, rules included (no lock token: GetWebACLForResource
/// gives none), or `None` (none, or no such resource).
pub async fn web_acl_for(clients: &Clients, resource_arn: &str) -> Result<Option<WebAcl>> {
    let result = clients
        .wafv2
        .get_web_acl_for_resource()
        .resource_arn(resource_arn)
        .send()
        .for_object(resource_arn)
        .await;
    match result {
        Ok(output) => Ok(output.web_acl().map(|acl| web_acl(acl, ""))),
        Err(error) if error.aws_code() == Some(NONEXISTENT) => Ok(None),
        Err(error) => Err(error),
    }
}

fn web_acl(acl: &aws_sdk_wafv2::types::WebAcl, lock_token: &str) -> WebAcl {
    WebAcl {
        arn: acl.arn().to_string(),
        name: acl.name().to_string(),
        id: acl.id().to_string(),
        lock_token: lock_token.to_string(),
        rules: acl.rules().iter().map(observed_rule).collect(),
    }
}

/// Put the web ACL `acl_arn` in front of `resource_arn` (replacing any other).
pub async fn associate(clients: &Clients, acl_arn: &str, resource_arn: &str) -> Result<()> {
    clients
        .wafv2
        .associate_web_acl()
        .web_acl_arn(acl_arn)
        .resource_arn(resource_arn)
        .send()
        .for_object(resource_arn)
        .await?;
    Ok(())
}

/// Take whatever web ACL guards `resource_arn` off it; `Ok` when there is none or no resource.
pub async fn disassociate(clients: &Clients, resource_arn: &str) -> Result<()> {
    let result = clients
        .wafv2
        .disassociate_web_acl()
        .resource_arn(resource_arn)
        .send()
        .for_object(resource_arn)
        .await;
    match result {
        Err(error) if error.aws_code() != Some(NONEXISTENT) => Err(error),
        _ => Ok(()),
    }
}

/// The tags of the web ACL `arn` (one page: an object carries at most 50).
pub async fn tags_of(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>> {
    let output = clients
        .wafv2
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .for_object(arn)
        .await?;
    Ok(output
        .tag_info_for_resource()
        .map(|info| tag_map(info.tag_list()))
        .unwrap_or_default())
}

/// Make the web ACL's tags: `set` added or overwritten, `remove` dropped.
pub async fn retag(
    clients: &Clients,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    retag_with(
        set,
        remove,
        |tags| {
            clients
                .wafv2
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags))
                .send()
                .for_object(arn)
        },
        |keys| {
            clients
                .wafv2
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(arn)
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_acl_arn_names_it() {
        let arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/blog-waf/a1b2-c3";
        assert_eq!(name_and_id(arn), Some(("blog-waf", "a1b2-c3")));
        assert_eq!(
            name_and_id("arn:aws:wafv2:us-east-1:1:regional/ipset/x/y"),
            None
        );
        assert_eq!(name_and_id("blog-waf"), None);
    }

    #[test]
    fn rules_read_back_as_written() {
        let rules = [
            WafRule {
                name: "AWSManagedRulesPHPRuleSet".into(),
                priority: 1,
                kind: RuleKind::ManagedGroup("AWSManagedRulesPHPRuleSet".into()),
            },
            WafRule {
                name: "rate-limit".into(),
                priority: 5,
                kind: RuleKind::RateLimit(2000),
            },
        ];
        for rule in &rules {
            let sdk = sdk_rule(rule).expect("builds");
            assert_eq!(&observed_rule(&sdk), rule);
        }
        let counted = Rule::builder()
            .name("AWSManagedRulesPHPRuleSet")
            .priority(1)
            .visibility_config(visibility("AWSManagedRulesPHPRuleSet").expect("builds"))
            .set_statement(sdk_rule(&rules[0]).expect("builds").statement().cloned())
            .override_action(
                OverrideAction::builder()
                    .count(aws_sdk_wafv2::types::CountAction::builder().build())
                    .build(),
            )
            .build()
            .expect("builds");
        assert_eq!(observed_rule(&counted).kind, RuleKind::Other);
    }
}
