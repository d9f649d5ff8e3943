//! What a planned action risks, in three labels a reviewer (or a CI gate) acts on, and the
//! one-line form of an action that `planned_changes` carries and the plan review reads back.
//!
//! - `data-loss`: the database or the file system is replaced or deleted, a final snapshot is
//!   skipped, or a DNS record of that name may be overwritten;
//! - `downtime`: the site stops answering or answers errors for a while: an instance refresh,
//!   a database modification that reboots or fails over, a listener or health check change, a
//!   DNS record removed or renamed;
//! - `cost`: the monthly bill moves: NAT gateways, Multi-AZ, instance class, type or count,
//!   storage, the bastion.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::{ActionKind, PlannedAction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    DataLoss,
    Downtime,
    Cost,
}

impl Risk {
    /// Most severe first: the order of the review's groups.
    pub const ALL: [Risk; 3] = [Risk::DataLoss, Risk::Downtime, Risk::Cost];

    /// The label in `planned_changes` lines and on the command line (`--fail-on data-loss`).
    pub fn label(self) -> &'static str {
        match self {
            Risk::DataLoss => "data-loss",
            Risk::Downtime => "downtime",
            Risk::Cost => "cost",
        }
    }

    /// The heading of the review's group.
    pub fn title(self) -> &'static str {
        match self {
            Risk::DataLoss => "Data loss",
            Risk::Downtime => "Downtime",
            Risk::Cost => "Cost",
        }
    }

    pub fn from_label(label: &str) -> Option<Risk> {
        Risk::ALL.into_iter().find(|r| r.label() == label)
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl ActionKind {
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Replace => "replace",
            ActionKind::Delete => "delete",
        }
    }

    pub fn from_verb(verb: &str) -> Option<ActionKind> {
        [
            ActionKind::Create,
            ActionKind::Update,
            ActionKind::Replace,
            ActionKind::Delete,
        ]
        .into_iter()
        .find(|k| k.verb() == verb)
    }
}

impl PlannedAction {
    /// Label this action with `risk`.
    pub fn risk(&mut self, risk: Risk) -> &mut Self {
        self.risks.insert(risk);
        self
    }

    /// Label this action with `risk` when `applies`.
    pub fn risk_if(&mut self, applies: bool, risk: Risk) -> &mut Self {
        if applies {
            self.risks.insert(risk);
        }
        self
    }

    /// `<verb> <object>: <detail>` and, when it risks anything, ` [data-loss, downtime]`:
    /// one line of `planned_changes`.
    pub fn line(&self) -> String {
        let mut line = format!("{} {}: {}", self.action.verb(), self.object, self.detail);
        if !self.risks.is_empty() {
            let labels: Vec<&str> = self.risks.iter().map(|r| r.label()).collect();
            line.push_str(&format!(" [{}]", labels.join(", ")));
        }
        line
    }

    /// The action a [`PlannedAction::line`] describes; `None` for a line of another shape.
    pub fn parse_line(line: &str) -> Option<PlannedAction> {
        let (verb, rest) = line.split_once(' ')?;
        let action = ActionKind::from_verb(verb)?;
        let (object, detail) = rest.split_once(": ")?;
        let (detail, risks) = split_labels(detail);
        Some(PlannedAction {
            object: object.to_string(),
            action,
            detail: detail.to_string(),
            risks,
        })
    }
}

/// A trailing ` [label, label]` of known labels, split off the detail.
fn split_labels(detail: &str) -> (&str, BTreeSet<Risk>) {
    let parsed = detail
        .strip_suffix(']')
        .and_then(|d| d.rsplit_once(" ["))
        .and_then(|(text, labels)| {
            let risks: Option<BTreeSet<Risk>> = labels.split(", ").map(Risk::from_label).collect();
            risks.map(|risks| (text, risks))
        });
    parsed.unwrap_or((detail, BTreeSet::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back_as_the_same_action() {
        let mut action = super::super::actions::action("RDS", ActionKind::Update, "modify [x]");
        action.risk(Risk::Cost).risk(Risk::Downtime);
        assert_eq!(action.line(), "update RDS: modify [x] [downtime, cost]");
        assert_eq!(PlannedAction::parse_line(&action.line()), Some(action));
        let plain = PlannedAction::parse_line("create VPC: 10.0.0.0/16").expect("parses");
        assert!(plain.risks.is_empty());
        assert_eq!(plain.detail, "10.0.0.0/16");
        assert_eq!(PlannedAction::parse_line("nonsense"), None);
    }
}
