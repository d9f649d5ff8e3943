//! What a change of the `logs` block means: the log group created or deleted (and the
//! instances' user data and role following it), or its retention or KMS key changed in place.

use super::changes::TemplateReasons;
use super::{object, output, ActionKind, Risk, StackPlan};
use crate::naming::log_group_name;
use crate::spec::{LogsSpec, StackSpec};

/// `30 days`, or `never expire` for 0.
pub fn retention(days: i64) -> String {
    match days {
        0 => "never expire".to_string(),
        1 => "1 day".to_string(),
        days => format!("{days} days"),
    }
}

fn encryption(logs: &LogsSpec) -> String {
    match &logs.kms_key_id {
        Some(key) => format!("KMS key {key}"),
        None => "CloudWatch Logs' own encryption".to_string(),
    }
}

/// The group, its retention and its encryption, in the words of the create line.
pub fn describe(stack: &str, logs: &LogsSpec) -> String {
    format!(
        "{} (retention {}, {}): the WordPress container and the boot script write to it",
        log_group_name(stack),
        retention(logs.retention_in_days),
        encryption(logs)
    )
}

/// The create line of a new stack's (or a newly enabled) log group: ingestion and storage are
/// billed by use.
pub(super) fn plan_create(spec: &StackSpec, plan: &mut StackPlan) {
    if spec.logs.enabled {
        plan.push(
            object::LOG_GROUP,
            ActionKind::Create,
            describe(&spec.name, &spec.logs),
        )
        .risk(Risk::Cost);
    }
}

pub(super) fn plan_logs(
    before: &StackSpec,
    after: &StackSpec,
    plan: &mut StackPlan,
    template: &mut TemplateReasons,
) {
    let (b, a) = (&before.logs, &after.logs);
    match (b.enabled, a.enabled) {
        (false, true) => {
            plan_create(after, plan);
            // The user data names the group; the role may write to it.
            template.add("logs to CloudWatch Logs");
            plan.unknown_outputs.insert(output::RESOURCES);
        }
        (true, false) => {
            plan.push(
                object::LOG_GROUP,
                ActionKind::Delete,
                format!(
                    "{} deleted with every event in it; the instances log to their journal only",
                    log_group_name(&before.name)
                ),
            )
            .risk(Risk::DataLoss);
            template.add("logs to the journal only");
            plan.unknown_outputs.insert(output::RESOURCES);
        }
        (true, true) => {
            if b.retention_in_days != a.retention_in_days {
                let shorter = a.retention_in_days != 0
                    && (b.retention_in_days == 0 || a.retention_in_days < b.retention_in_days);
                plan.push(
                    object::LOG_GROUP,
                    ActionKind::Update,
                    format!(
                        "retention {} -> {}",
                        retention(b.retention_in_days),
                        retention(a.retention_in_days)
                    ),
                )
                // Events older than the new retention are deleted.
                .risk_if(shorter, Risk::DataLoss);
            }
            if b.kms_key_id != a.kms_key_id {
                plan.push(
                    object::LOG_GROUP,
                    ActionKind::Update,
                    format!("encryption {} -> {}", encryption(b), encryption(a)),
                );
            }
        }
        (false, false) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{plan_create, plan_update};
    use crate::state::StackState;

    fn spec(enabled: bool, retention_in_days: i64, kms: Option<&str>) -> StackSpec {
        let mut spec = StackSpec::with_name("blog");
        spec.network.availability_zones = Some(vec!["us-east-1a".into(), "us-east-1b".into()]);
        spec.logs = LogsSpec {
            enabled,
            retention_in_days,
            kms_key_id: kms.map(str::to_string),
        };
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
            .filter(|a| a.object == object::LOG_GROUP || a.object == object::LAUNCH_TEMPLATE)
            .map(|a| a.line())
            .collect()
    }

    #[test]
    fn a_new_stack_creates_its_group_with_retention_and_encryption() {
        let plan = plan_create(&spec(true, 30, None));
        let line = plan
            .actions
            .iter()
            .find(|a| a.object == object::LOG_GROUP)
            .expect("a log group line")
            .line();
        assert!(line.starts_with("create CloudWatch Logs group: /wordpress/blog (retention 30 days, CloudWatch Logs' own encryption)"), "{line}");
        assert!(!plan_create(&spec(false, 30, None))
            .actions
            .iter()
            .any(|a| a.object == object::LOG_GROUP));
    }

    #[test]
    fn changes_read_as_one_line_each() {
        let on = spec(true, 30, None);
        assert_eq!(lines(&on, &on), Vec::<String>::new());
        let shorter = lines(&on, &spec(true, 7, None));
        assert_eq!(
            shorter,
            ["update CloudWatch Logs group: retention 30 days -> 7 days [data-loss]"]
        );
        let keyed = lines(&on, &spec(true, 30, Some("arn:aws:kms:us-east-1:1:key/k")));
        assert_eq!(keyed, ["update CloudWatch Logs group: encryption CloudWatch Logs' own encryption -> KMS key arn:aws:kms:us-east-1:1:key/k"]);
        let off = lines(&on, &spec(false, 30, None));
        assert!(
            off[0].starts_with("delete CloudWatch Logs group"),
            "{off:?}"
        );
        assert!(off[1].starts_with("update launch template"), "{off:?}");
        let again = lines(&spec(false, 30, None), &on);
        assert!(
            again[0].starts_with("create CloudWatch Logs group"),
            "{again:?}"
        );
        assert_eq!(
            lines(&spec(false, 30, None), &spec(false, 7, None)),
            Vec::<String>::new()
        );
    }
}
