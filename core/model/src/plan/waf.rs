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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan_create, plan_update, ActionKind};
    use crate::state::StackState;

    fn spec(enabled: bool, rate_limit: i64) -> StackSpec {
        let mut spec = StackSpec::with_name("blog");
        spec.network.availability_zones = Some(vec!["us-east-1a".into(), "us-east-1b".into()]);
        spec.waf = WafSpec {
            enabled,
            rate_limit,
        };
        spec
    }

    fn waf_lines(before: &StackSpec, after: &StackSpec) -> Vec<String> {
        let mut prior = StackState::new(before.clone());
        for name in crate::plan::expected_objects(before) {
            prior.resources.insert(name.clone(), name);
        }
        plan_update(&prior, after)
            .actions
            .iter()
            .filter(|a| a.object == object::WAF)
            .map(|a| a.line())
            .collect()
    }

    #[test]
    fn a_new_stack_creates_its_web_acl_with_its_cost() {
        let plan = plan_create(&spec(true, 2000));
        let waf = plan.actions.iter().find(|a| a.object == object::WAF);
        let waf = waf.expect("a web ACL line");
        assert_eq!(waf.action, ActionKind::Create);
        assert!(waf.line().ends_with("[cost]"), "{}", waf.line());
        assert!(!plan_create(&spec(false, 2000))
            .actions
            .iter()
            .any(|a| a.object == object::WAF));
    }

    #[test]
    fn toggles_and_rate_changes_read_as_one_line_each() {
        let on = spec(true, 2000);
        assert_eq!(waf_lines(&on, &on), Vec::<String>::new());
        let faster = waf_lines(&on, &spec(true, 500));
        assert_eq!(
            faster,
            ["update WAF web ACL: rate limit 2000 -> 500 requests per 5 minutes per IP"]
        );
        let off = waf_lines(&on, &spec(false, 2000));
        assert!(
            off[0].starts_with("delete WAF web ACL: disassociated"),
            "{off:?}"
        );
        let again = waf_lines(&spec(false, 2000), &on);
        assert!(
            again[0].starts_with("create WAF web ACL: AWS managed rules"),
            "{again:?}"
        );
        assert_eq!(
            waf_lines(&spec(false, 2000), &spec(false, 700)),
            Vec::<String>::new(),
            "a rate limit without a web ACL changes nothing in AWS"
        );
    }
}
