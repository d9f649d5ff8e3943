//! What a change of the `waf` block means: the web ACL created with its association, deleted
//! after it, or its rate rule changed in place.

use super::{object, output, ActionKind, Risk, StackPlan};
use crate::spec::{StackSpec, WafSpec};

/// The managed rule groups and the rate rule, in the words of the create line.
pub fn describe(waf: &WafSpec) -> String {
    format!(
        "AWS managed rules (WordPress, PHP, common, known bad inputs) + rate limit {} requests \
per 5 minutes per IP, associated with the ALB",
        waf.rate_limit
    )
}

/// The create line of a new stack's (or a newly enabled) web ACL: a web ACL and five rules
/// are billed by the month.
pub(super) fn plan_create(spec: &StackSpec, plan: &mut StackPlan) {
    if spec.waf.enabled {
        plan.push(object::WAF, ActionKind::Create, describe(&spec.waf))
            .risk(Risk::Cost);
    }
}

pub(super) fn plan_waf(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.waf, &after.waf);
    match (b.enabled, a.enabled) {
        (false, true) => {
            plan_create(after, plan);
            plan.unknown_outputs.insert(output::RESOURCES);
        }
        (true, false) => {
            plan.push(
                object::WAF,
                ActionKind::Delete,
                "disassociated from the ALB and deleted: requests reach WordPress unfiltered",
            )
            .risk(Risk::Cost);
            plan.unknown_outputs.insert(output::RESOURCES);
        }
        (true, true) if b.rate_limit != a.rate_limit => {
            plan.push(
                object::WAF,
                ActionKind::Update,
                format!(
                    "rate limit {} -> {} requests per 5 minutes per IP",
                    b.rate_limit, a.rate_limit
                ),
            );
        }
        _ => {}
    }
}
