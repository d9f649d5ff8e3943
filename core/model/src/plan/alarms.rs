//! What a change of the `alarms` block means: the alarms and their topic created, deleted, or
//! their thresholds, topic and subscriptions changed in place.

use super::{object, output, ActionKind, Risk, StackPlan};
use crate::alarms::{wanted_alarms, ALARM_MONTH_USD};
use crate::spec::StackSpec;

/// Where the alarms go, in the words of a plan line.
fn destination(spec: &StackSpec) -> String {
    let a = &spec.alarms;
    match (&a.topic_arn, a.email_addresses.len()) {
        (Some(arn), _) => format!("notifying the topic {arn}"),
        (None, 0) => "notifying the stack's own SNS topic (no subscribers yet)".into(),
        (None, n) => format!(
            "notifying the stack's own SNS topic, {n} e-mail subscription(s) pending confirmation"
        ),
    }
}

/// The create line of a new stack's (or newly enabled) alarms, with their monthly price.
pub(super) fn plan_create(spec: &StackSpec, plan: &mut StackPlan) {
    let alarms = wanted_alarms(spec);
    if alarms.is_empty() {
        return;
    }
    let keys: Vec<&str> = alarms.iter().map(|a| a.key).collect();
    plan.push(
        object::ALARMS,
        ActionKind::Create,
        format!(
            "{} alarms ({}), {}; about ${:.2} a month",
            alarms.len(),
            keys.join(", "),
            destination(spec),
            alarms.len() as f64 * ALARM_MONTH_USD
        ),
    )
    .risk(Risk::Cost);
}

pub(super) fn plan_alarms(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.alarms, &after.alarms);
    match (b.enabled, a.enabled) {
        (false, true) => {
            plan_create(after, plan);
            plan.unknown_outputs.insert(output::RESOURCES);
        }
        (true, false) => {
            plan.push(
                object::ALARMS,
                ActionKind::Delete,
                if b.owns_topic() {
                    "every alarm deleted, with the stack's SNS topic and its subscriptions"
                } else {
                    "every alarm deleted (the given topic is left as it is)"
                },
            );
            plan.unknown_outputs.insert(output::RESOURCES);
        }
        (true, true) => {
            if b.topic_arn != a.topic_arn || b.email_addresses != a.email_addresses {
                let what = if b.owns_topic() && !a.owns_topic() {
                    format!(
                        "{}; the stack's own topic and its subscriptions are deleted",
                        destination(after)
                    )
                } else {
                    destination(after)
                };
                plan.push(object::ALARM_TOPIC, ActionKind::Update, what);
                plan.unknown_outputs.insert(output::RESOURCES);
            }
            let (old, new) = (wanted_alarms(before), wanted_alarms(after));
            let changed: Vec<String> = new
                .iter()
                .filter(|n| !old.iter().any(|o| o == *n))
                .map(|n| match old.iter().find(|o| o.key == n.key) {
                    Some(o) => format!("{} threshold {} -> {}", n.key, o.threshold, n.threshold),
                    None => format!("{} created", n.key),
                })
                .chain(
                    old.iter()
                        .filter(|o| !new.iter().any(|n| n.key == o.key))
                        .map(|o| format!("{} deleted", o.key)),
                )
                .collect();
            if !changed.is_empty() {
                plan.push(object::ALARMS, ActionKind::Update, changed.join(", "));
            }
        }
        (false, false) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan_create as create, plan_update};
    use crate::state::StackState;

    fn spec() -> StackSpec {
        let mut spec = StackSpec::with_name("blog");
        spec.network.availability_zones = Some(vec!["us-east-1a".into(), "us-east-1b".into()]);
        spec
    }

    fn lines(before: &StackSpec, after: &StackSpec) -> Vec<String> {
        let mut prior = StackState::new(before.clone());
        for name in crate::plan::expected_objects(before) {
            prior.resources.insert(name.clone(), name);
        }
        plan_update(&prior, after)
            .actions
            .iter()
            .filter(|a| a.object == object::ALARMS || a.object == object::ALARM_TOPIC)
            .map(|a| a.line())
            .collect()
    }

    #[test]
    fn a_new_stack_creates_its_alarms_with_their_cost() {
        let plan = create(&spec());
        let line = plan
            .actions
            .iter()
            .find(|a| a.object == object::ALARMS)
            .expect("an alarms line")
            .line();
        assert!(
            line.starts_with("create CloudWatch alarms: 8 alarms"),
            "{line}"
        );
        assert!(line.contains("$0.80 a month"), "{line}");
    }

    #[test]
    fn threshold_topic_and_toggle_changes_read_as_lines() {
        let on = spec();
        assert!(lines(&on, &on).is_empty());
        let mut busier = on.clone();
        busier.alarms.db_connections = 120;
        assert_eq!(
            lines(&on, &busier),
            ["update CloudWatch alarms: db-connections threshold 60 -> 120"]
        );
        let mut given = on.clone();
        given.alarms.topic_arn = Some("arn:aws:sns:us-east-1:123456789012:ops".into());
        assert!(lines(&on, &given)[0].contains("own topic and its subscriptions are deleted"));
        let mut off = on.clone();
        off.alarms.enabled = false;
        assert!(lines(&on, &off)[0].starts_with("delete CloudWatch alarms"));
        assert!(lines(&off, &on)[0].starts_with("create CloudWatch alarms"));
    }
}
