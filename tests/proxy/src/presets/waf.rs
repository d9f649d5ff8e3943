//! WAFv2 where moto forgives: AWS refuses to associate a web ACL it has only just created
//! (`WAFUnavailableEntityException`, "you might just need to wait a few minutes"), and refuses
//! to delete a web ACL that still guards a resource (`WAFAssociatedItemException`); moto does
//! neither. Web ACLs and associations are learned from the answers that pass through; deleting
//! a load balancer ends its association, as on AWS.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;

use crate::aws_errors::AwsError;
use crate::config::{millis, WafConfig};
use crate::identify::AwsRequest;

/// What the proxy has seen of web ACLs.
#[derive(Debug, Default)]
pub struct WebAcls {
    /// Web ACL ARN → when CreateWebACL answered.
    created: BTreeMap<String, Instant>,
    /// Resource ARN → the web ACL guarding it.
    guarding: BTreeMap<String, String>,
}

fn operation(request: &AwsRequest) -> (&str, &str) {
    (
        request.call.service.as_str(),
        request.call.operation.as_str(),
    )
}

impl WebAcls {
    /// AWS's refusal of `request`, if it refuses it.
    pub fn refusal(
        &self,
        request: &AwsRequest,
        config: &WafConfig,
        now: Instant,
    ) -> Option<AwsError> {
        match operation(request) {
            ("wafv2", "AssociateWebACL") => {
                let acl = request.param("WebACLArn")?;
                let created = self.created.get(acl)?;
                (now.duration_since(*created) < millis(config.unavailable_ms)).then(|| {
                    AwsError::custom(
                        400,
                        "WAFUnavailableEntityException",
                        Some("AWS WAF couldn't retrieve a resource that you specified for this operation. If you've just created a resource that you're using in this operation, you might just need to wait a few minutes. It can take from a few seconds to a number of minutes for changes to propagate."),
                    )
                })
            }
            ("wafv2", "DeleteWebACL") => {
                let suffix = format!(
                    "/webacl/{}/{}",
                    request.param("Name")?,
                    request.param("Id")?
                );
                self.guarding.values().any(|acl| acl.ends_with(&suffix)).then(|| {
                    AwsError::custom(
                        400,
                        "WAFAssociatedItemException",
                        Some("AWS WAF couldn't perform the operation because your resource is being used by another resource or it's associated with another resource."),
                    )
                })
            }
            _ => None,
        }
    }

    /// Learn from a successful answer (`body`) to `request`.
    pub fn observe(&mut self, request: &AwsRequest, body: &str, now: Instant) {
        match operation(request) {
            ("wafv2", "CreateWebACL") => {
                let answer: Value = serde_json::from_str(body).unwrap_or_default();
                if let Some(arn) = answer["Summary"]["ARN"].as_str() {
                    self.created.insert(arn.to_string(), now);
                }
            }
            ("wafv2", "AssociateWebACL") => {
                if let (Some(acl), Some(resource)) =
                    (request.param("WebACLArn"), request.param("ResourceArn"))
                {
                    self.guarding.insert(resource.to_string(), acl.to_string());
                }
            }
            ("wafv2", "DisassociateWebACL") => {
                if let Some(resource) = request.param("ResourceArn") {
                    self.guarding.remove(resource);
                }
            }
            ("elasticloadbalancing", "DeleteLoadBalancer") => {
                if let Some(balancer) = request.param("LoadBalancerArn") {
                    self.guarding.remove(balancer);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};
    use std::time::Duration;

    const ACL: &str = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/blog-waf/abc";
    const ALB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/1";

    fn call(service: &str, operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: service.into(),
                operation: operation.into(),
            },
            protocol: Protocol::AwsJson,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_new_web_acl_is_unavailable_then_guards_until_its_balancer_goes() {
        let config = WafConfig {
            unavailable_ms: 1_000,
        };
        let start = Instant::now();
        let mut acls = WebAcls::default();
        acls.observe(
            &call("wafv2", "CreateWebACL", &[]),
            &format!(r#"{{"Summary": {{"ARN": "{ACL}"}}}}"#),
            start,
        );
        let associate = call(
            "wafv2",
            "AssociateWebACL",
            &[("WebACLArn", ACL), ("ResourceArn", ALB)],
        );
        let refused = acls.refusal(&associate, &config, start + Duration::from_millis(500));
        assert_eq!(
            refused.map(|e| e.code.into_owned()),
            Some("WAFUnavailableEntityException".to_string())
        );
        let later = start + Duration::from_secs(2);
        assert!(acls.refusal(&associate, &config, later).is_none());
        acls.observe(&associate, "{}", later);

        let delete = call(
            "wafv2",
            "DeleteWebACL",
            &[("Name", "blog-waf"), ("Id", "abc"), ("LockToken", "t")],
        );
        assert!(acls.refusal(&delete, &config, later).is_some());
        acls.observe(
            &call(
                "elasticloadbalancing",
                "DeleteLoadBalancer",
                &[("LoadBalancerArn", ALB)],
            ),
            "",
            later,
        );
        assert!(acls.refusal(&delete, &config, later).is_none());
    }
}
