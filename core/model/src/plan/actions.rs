//! The plan's vocabulary: one action on one object, and the plan they make up.

use std::collections::BTreeSet;

use serde::Serialize;

use super::risk::Risk;
use crate::error::FieldPath;

/// One thing the apply will do to one AWS object (or group of objects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAction {
    /// The object as a reviewer names it (`launch template`, `ASG`, `RDS`…): see [`object`].
    pub object: String,
    pub action: ActionKind,
    /// What and why, for a reviewer: "new version (image wordpress:6 -> wordpress:6.6)".
    /// Never a secret's value.
    pub detail: String,
    /// What it risks: see [`super::risk`].
    pub risks: BTreeSet<Risk>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Create,
    Update,
    Replace,
    Delete,
}

/// The decided plan for one stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackPlan {
    /// Changed attributes that force a new stack.
    pub replace: Vec<FieldPath>,
    pub actions: Vec<PlannedAction>,
    /// Outputs whose value only the apply will know.
    pub unknown_outputs: BTreeSet<&'static str>,
}

impl StackPlan {
    pub fn is_noop(&self) -> bool {
        self.replace.is_empty() && self.actions.is_empty()
    }

    /// Add an action; the caller labels it with what it risks.
    pub(super) fn push(
        &mut self,
        object: &str,
        kind: ActionKind,
        detail: impl Into<String>,
    ) -> &mut PlannedAction {
        self.actions.push(action(object, kind, &detail.into()));
        let last = self.actions.len() - 1;
        &mut self.actions[last]
    }
}

pub(super) fn action(object: &str, action: ActionKind, detail: &str) -> PlannedAction {
    PlannedAction {
        object: object.to_string(),
        action,
        detail: detail.to_string(),
        risks: BTreeSet::new(),
    }
}
