//! The WAF web ACL guarding a resource, as WAFv2 reports it: what the posture and WAF tests
//! assert on.

use std::collections::BTreeSet;

use aws_sdk_wafv2::types::{RateBasedStatementAggregateKeyType, Rule, WebAcl};

use super::{inspect_error, AwsInspector, InspectError};

/// A web ACL's rules, read rule by rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAclView {
    pub arn: String,
    pub name: String,
    /// Requests no rule blocks are allowed.
    pub allows_by_default: bool,
    /// AWS managed rule groups that keep their own actions (override none), metrics and
    /// sampled requests on.
    pub managed_groups: BTreeSet<String>,
    /// The limit of a rule blocking one IP address above it per 5 minutes, metrics on.
    pub rate_limit: Option<i64>,
    pub rule_count: usize,
}

fn visible(rule: &Rule) -> bool {
    rule.visibility_config()
        .is_some_and(|v| v.sampled_requests_enabled() && v.cloud_watch_metrics_enabled())
}

impl WebAclView {
    fn of(acl: &WebAcl) -> WebAclView {
        let managed_groups = acl
            .rules()
            .iter()
            .filter(|r| visible(r) && r.override_action().is_some_and(|o| o.none().is_some()))
            .filter_map(|r| r.statement()?.managed_rule_group_statement())
            .filter(|g| g.vendor_name() == "AWS")
            .map(|g| g.name().to_string())
            .collect();
        let rate_limit = acl
            .rules()
            .iter()
            .filter(|r| visible(r) && r.action().is_some_and(|a| a.block().is_some()))
            .filter_map(|r| r.statement()?.rate_based_statement())
            .find(|s| *s.aggregate_key_type() == RateBasedStatementAggregateKeyType::Ip)
            .map(|s| s.limit());
        WebAclView {
            arn: acl.arn().to_string(),
            name: acl.name().to_string(),
            allows_by_default: acl.default_action().is_some_and(|a| a.allow().is_some()),
            managed_groups,
            rate_limit,
            rule_count: acl.rules().len(),
        }
    }
}

/// AWS's managed rule groups every stack's web ACL carries.
pub const STACK_MANAGED_GROUPS: [&str; 4] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet",
];

impl WebAclView {
    /// Panics unless this is a stack's web ACL: allow by default, the four managed groups and
    /// a per-IP rate rule of `rate_limit`, nothing else.
    #[track_caller]
    pub fn assert_stack_rules(&self, rate_limit: i64) {
        let groups: BTreeSet<String> = STACK_MANAGED_GROUPS.iter().map(|g| g.to_string()).collect();
        assert!(self.allows_by_default, "{self:?}");
        assert_eq!(self.managed_groups, groups, "{self:?}");
        assert_eq!(self.rate_limit, Some(rate_limit), "{self:?}");
        assert_eq!(self.rule_count, 5, "{self:?}");
    }
}

impl AwsInspector {
    /// The web ACL guarding `resource_arn`, if any.
    pub async fn web_acl_guarding(
        &self,
        resource_arn: &str,
    ) -> Result<Option<WebAclView>, InspectError> {
        let out = self
            .wafv2
            .get_web_acl_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(inspect_error("wafv2", "GetWebACLForResource"))?;
        Ok(out.web_acl().map(WebAclView::of))
    }
}
