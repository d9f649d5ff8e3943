//! What an apply will do, decided before it runs: a pure function of the prior state and the
//! desired spec. The provider turns it into Terraform's plan (RequiresReplace paths, which
//! computed values become unknown) and into a summary a reviewer can read.
//!
//! - `actions`: the vocabulary (`StackPlan`, `PlannedAction`, `ActionKind`), with `object` and
//!   `output` naming what an action touches and which computed values it moves;
//! - `create` and `update`: the two plans, `update` delegating each tier's attributes to
//!   `changes`;
//! - `waf`: the web ACL's create, delete and rate-limit lines;
//! - `site`: the install values, a launch template version without an instance refresh;
//! - `alarms`: the alarms' and their topic's create, delete and threshold lines;
//! - `logs`: the log group's create, delete, retention and encryption lines;
//! - `expected`: the objects a spec owns, so an update notices those deleted outside Terraform;
//! - `hardening`: the TLS settings every stack keeps (EFS policy, DB parameter group), planned
//!   back when a refresh did not find them;
//! - `risk`: what each action risks (data loss, downtime, cost) and its one-line form.

mod actions;
pub mod alarms;
mod changes;
mod create;
mod expected;
mod hardening;
pub mod logs;
pub mod object;
pub mod output;
pub mod risk;
mod site;
mod update;
pub mod waf;

pub use actions::{ActionKind, PlannedAction, StackPlan};
pub use create::plan_create;
pub use expected::expected_objects;
pub use hardening::KEPT_SETTINGS;
pub use risk::Risk;
pub use update::{plan_update, REPLACING_FIELDS};

#[cfg(test)]
mod tests;
