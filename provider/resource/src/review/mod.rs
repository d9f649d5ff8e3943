//! A reviewer's account of a saved plan (`terraform show -json PLANFILE`): per
//! `wordpress_ha_stack`, what it does to the AWS objects behind it (the resource's
//! `planned_changes`, each line labelled by the provider with what it risks), grouped by risk
//! (data loss, downtime, cost; `stack_model::plan::risk`), the monthly cost delta at on-demand
//! prices (`stack_model::pricing`), and whether a CI gate (`--fail-on`) should stop.
//!
//! `read` takes the stacks out of the document, `render` writes them as text or Markdown from
//! one outline, so both say the same.

mod read;
mod render;

use std::collections::BTreeSet;

use stack_model::plan::PlannedAction;
pub use stack_model::plan::Risk;
use stack_model::pricing::CostDelta;

pub use read::review_plan;

/// The resource docs' section on the labels and the review (`docs/resources/ha_stack.md`).
pub const LABELS_DOC: &str = include_str!("labels.md");
pub use render::{render, Format};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("the input is not JSON from `terraform show -json PLANFILE`: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error(
        "the input is not a saved plan: it has no `resource_changes`. Run \
         `terraform plan -out=tfplan` and `terraform show -json tfplan > tfplan.json`."
    )]
    NotAPlan,
}

/// What Terraform does to the resource as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackAction {
    Create,
    Update,
    Replace,
    Delete,
}

impl StackAction {
    pub fn words(self) -> &'static str {
        match self {
            StackAction::Create => "create",
            StackAction::Update => "update in place",
            StackAction::Replace => "replace (destroy, then create)",
            StackAction::Delete => "destroy",
        }
    }
}

/// One stack's review.
#[derive(Debug, Clone, PartialEq)]
pub struct StackReview {
    pub address: String,
    pub action: StackAction,
    /// Dotted paths of the arguments whose value changes (paths only: values may be secret).
    pub arguments: Vec<String>,
    /// Dotted paths whose value only the apply will know.
    pub known_after_apply: Vec<String>,
    /// The sub-resource actions, labelled, in the provider's order.
    pub changes: Vec<PlannedAction>,
    /// The monthly cost difference the plan makes.
    pub cost: CostDelta,
}

impl StackReview {
    pub fn risks(&self) -> BTreeSet<Risk> {
        self.changes
            .iter()
            .flat_map(|c| c.risks.iter().copied())
            .collect()
    }
}

/// The review of a whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub stacks: Vec<StackReview>,
    /// Changes to resources of other types, which this review does not describe.
    pub other_changes: usize,
}

impl Review {
    /// The labels of `fail_on` that some change carries: a CI gate fails on any.
    pub fn gate(&self, fail_on: &[Risk]) -> Vec<Risk> {
        let present: BTreeSet<Risk> = self.stacks.iter().flat_map(StackReview::risks).collect();
        let wanted: BTreeSet<Risk> = fail_on.iter().copied().collect();
        present.intersection(&wanted).copied().collect()
    }

    /// How many changes carry `risk`, over every stack.
    pub fn count(&self, risk: Risk) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| &s.changes)
            .filter(|c| c.risks.contains(&risk))
            .count()
    }
}

#[cfg(test)]
mod tests;
