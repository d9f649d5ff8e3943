//! The stacks of a saved plan's JSON: Terraform's action for each, its `planned_changes` read
//! back into labelled actions, and the cost delta between the prior and the planned spec.

use serde_json::Value as Json;
use tfplugin::codec;

use stack_model::plan::{object, ActionKind, PlannedAction, Risk};
use stack_model::pricing;
use stack_model::StackSpec;

use super::{Review, ReviewError, StackAction, StackReview};
use crate::stack::{convert, schema, to_schema};

/// Review the plan in `text` (`terraform show -json PLANFILE`).
pub fn review_plan(text: &str) -> Result<Review, ReviewError> {
    let document: Json = serde_json::from_str(text)?;
    let changes = document
        .get("resource_changes")
        .and_then(Json::as_array)
        .ok_or(ReviewError::NotAPlan)?;
    let mut review = Review {
        stacks: Vec::new(),
        other_changes: 0,
    };
    for change in changes {
        let actions: Vec<&str> = change
            .pointer("/change/actions")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let Some(action) = stack_action(&actions) else {
            continue;
        };
        let is_stack = change.get("type").and_then(Json::as_str) == Some(schema::TYPE_NAME)
            && change.get("mode").and_then(Json::as_str) == Some("managed");
        if is_stack {
            review.stacks.push(stack_review(change, action));
        } else {
            review.other_changes += 1;
        }
    }
    Ok(review)
}

/// Terraform's action list; `None` for no-op and read.
fn stack_action(actions: &[&str]) -> Option<StackAction> {
    match actions {
        ["create"] => Some(StackAction::Create),
        ["update"] => Some(StackAction::Update),
        ["delete"] => Some(StackAction::Delete),
        ["delete", "create"] | ["create", "delete"] => Some(StackAction::Replace),
        _ => None,
    }
}

fn stack_review(change: &Json, action: StackAction) -> StackReview {
    let address = change
        .get("address")
        .and_then(Json::as_str)
        .unwrap_or(schema::TYPE_NAME)
        .to_string();
    let before = change.pointer("/change/before").and_then(spec_of);
    let after = change.pointer("/change/after").and_then(spec_of);
    let mut changes = Vec::new();
    match action {
        StackAction::Delete => changes.push(whole_stack(ActionKind::Delete, before.as_ref())),
        StackAction::Replace => changes.push(whole_stack(ActionKind::Replace, before.as_ref())),
        StackAction::Create | StackAction::Update => {}
    }
    if action != StackAction::Delete {
        let planned = change
            .pointer("/change/after/planned_changes")
            .and_then(Json::as_array);
        changes.extend(
            planned
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .map(|line| {
                    PlannedAction::parse_line(line).unwrap_or_else(|| PlannedAction {
                        object: object::STACK.to_string(),
                        action: ActionKind::Update,
                        detail: line.to_string(),
                        risks: Default::default(),
                    })
                }),
        );
    }
    let cost = match action {
        StackAction::Delete => pricing::delta(before.as_ref(), None),
        StackAction::Create => pricing::delta(None, after.as_ref()),
        StackAction::Update | StackAction::Replace => {
            pricing::delta(before.as_ref(), after.as_ref())
        }
    };
    let (arguments, known_after_apply) = if action == StackAction::Update {
        let (before, after) = (
            change.pointer("/change/before"),
            change.pointer("/change/after"),
        );
        let unknown = change
            .pointer("/change/after_unknown")
            .unwrap_or(&Json::Null);
        let mut paths = Paths::default();
        paths.walk(
            before.unwrap_or(&Json::Null),
            after.unwrap_or(&Json::Null),
            unknown,
            "",
        );
        (paths.changed, paths.unknown)
    } else {
        (Vec::new(), Vec::new())
    };
    StackReview {
        address,
        action,
        arguments,
        known_after_apply,
        changes,
        cost,
    }
}

/// The attribute paths an update changes, and those only the apply will know.
#[derive(Default)]
struct Paths {
    changed: Vec<String>,
    unknown: Vec<String>,
}

impl Paths {
    fn walk(&mut self, before: &Json, after: &Json, unknown: &Json, prefix: &str) {
        if unknown == &Json::Bool(true) {
            self.unknown.push(prefix.to_string());
            return;
        }
        if let (Json::Object(b), Json::Object(a)) = (before, after) {
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for key in keys {
                // The plan's own account, not an argument.
                if prefix.is_empty() && key == schema::PLANNED_CHANGES {
                    continue;
                }
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                self.walk(
                    b.get(key).unwrap_or(&Json::Null),
                    a.get(key).unwrap_or(&Json::Null),
                    unknown.get(key).unwrap_or(&Json::Null),
                    &path,
                );
            }
        } else if before != after {
            self.changed.push(prefix.to_string());
        }
    }
}

/// The line Terraform's own action stands for: the provider plans a replacement's create half
/// from nothing, and a destroy plans nothing at all.
fn whole_stack(kind: ActionKind, before: Option<&StackSpec>) -> PlannedAction {
    let snapshot = match before.map(|b| b.database.skip_final_snapshot) {
        Some(true) => "no final snapshot",
        Some(false) => "final snapshot taken",
        None => "final snapshot as configured",
    };
    let detail = match kind {
        ActionKind::Replace => format!(
            "every AWS object is destroyed and created again: the database ({snapshot}) and \
             the file system's contents are lost"
        ),
        _ => format!(
            "every AWS object is deleted: the database ({snapshot}) and the file system's \
             contents are lost"
        ),
    };
    let mut line = PlannedAction {
        object: object::STACK.to_string(),
        action: kind,
        detail,
        risks: Default::default(),
    };
    line.risk(Risk::DataLoss).risk(Risk::Downtime);
    line.risk_if(kind == ActionKind::Delete, Risk::Cost);
    line
}

/// The spec of a resource value in the plan's JSON; `None` when absent or unreadable (then the
/// cost has no price, and the review still lists every change).
fn spec_of(values: &Json) -> Option<StackSpec> {
    if values.is_null() {
        return None;
    }
    let ty = to_schema::resource_schema(&schema::resource()).value_type();
    let bytes = serde_json::to_vec(values).ok()?;
    let value = codec::decode_json(&bytes, &ty).ok()?;
    let (spec, _, _) = convert::spec_from_value(&value);
    Some(spec)
}
