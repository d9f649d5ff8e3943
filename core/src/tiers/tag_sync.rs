//! Keeping the tags of the service tiers' objects as the stack says (`default_tags`, then
//! `tags`, then ownership and `Name`), and reporting on refresh when they are not.
//!
//! The stack owns the tags it set, never the others: tags added by other tools (backup
//! policies, cost tooling) are neither reported as drift nor removed. A key leaves an object
//! only when the stack set it and no longer wants it: a key of the previous `tags`
//! (`ctx.retired_tags()`), or a key of the previous `default_tags`. The latter are not in any
//! state, so each object records which of its keys came from `default_tags` under
//! [`DEFAULT_KEYS_TAG`].
//!
//! A change of the provider's `default_tags` is invisible to planning (it is not part of the
//! resource), so a refresh must turn it into a difference of `tags` for Terraform to plan an
//! update: [`observed_stack_tags`] computes the `tags` value that shows it.

use std::collections::{BTreeMap, BTreeSet};

use super::context::StepContext;
use crate::naming::RESERVED_TAG_PREFIX;

pub type Tags = BTreeMap<String, String>;

/// Keys AWS manages itself (`aws:cloudformation:…`, `aws:elasticfilesystem:…`).
const AWS_PREFIX: &str = "aws:";

/// The keys an object got from the provider's `default_tags`, comma-separated, so that a
/// default dropped later is known to be the stack's to remove.
pub const DEFAULT_KEYS_TAG: &str = "wordpress-ha:default-tags";

pub use crate::naming::RETAG_MARKER;

/// What to do to an object's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Keys to add or overwrite.
    pub set: Tags,
    /// Keys to remove.
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// `base` (the object's tags from `naming::object_tags`) plus the record of which keys came
/// from `default_tags`.
pub fn with_default_keys(mut base: Tags, default_tags: &Tags) -> Tags {
    if !default_tags.is_empty() {
        let keys: Vec<&str> = default_tags.keys().map(String::as_str).collect();
        base.insert(DEFAULT_KEYS_TAG.to_string(), keys.join(","));
    }
    base
}

/// The keys an object says it got from `default_tags`.
fn recorded_default_keys(observed: &Tags) -> BTreeSet<&str> {
    observed
        .get(DEFAULT_KEYS_TAG)
        .map(|keys| keys.split(',').filter(|k| !k.is_empty()).collect())
        .unwrap_or_default()
}

/// What an object's `observed` tags need to match `wanted`: set what is missing or different,
/// remove the stack's own keys it no longer wants (`retired` user keys, recorded defaults).
pub fn tag_changes(observed: &Tags, wanted: &Tags, retired: &BTreeSet<String>) -> TagChanges {
    let old_defaults = recorded_default_keys(observed);
    let is_ours =
        |key: &str| retired.contains(key) || old_defaults.contains(key) || key == DEFAULT_KEYS_TAG;
    TagChanges {
        set: wanted
            .iter()
            .filter(|(k, v)| observed.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: observed
            .keys()
            .filter(|k| !k.starts_with(AWS_PREFIX) && !wanted.contains_key(*k) && is_ours(k))
            .cloned()
            .collect(),
    }
}

/// On refresh: the `tags` the state should show, given one object's `observed` tags, when
/// they differ from `wanted` (`None` when they match). `stack_tags` is the spec's `tags`.
///
/// The answer holds, for every key the stack has a say in (its `tags`, the current and the
/// recorded `default_tags`), the value the object carries, except a default it carries with
/// the default's current value. When that equals `stack_tags` (a default tag is missing, an
/// ownership tag is off), [`RETAG_MARKER`] is added.
pub fn observed_stack_tags(
    observed: &Tags,
    wanted: &Tags,
    stack_tags: &Tags,
    default_tags: &Tags,
) -> Option<Tags> {
    let changes = tag_changes(observed, wanted, &BTreeSet::new());
    if changes.is_empty() {
        return None;
    }
    let old_defaults = recorded_default_keys(observed);
    let keys: BTreeSet<&str> = stack_tags
        .keys()
        .chain(default_tags.keys())
        .map(String::as_str)
        .chain(old_defaults)
        .collect();
    let mut shown: Tags = keys
        .into_iter()
        .filter_map(|key| {
            let value = observed.get(key)?;
            let current_default =
                !stack_tags.contains_key(key) && default_tags.get(key) == Some(value);
            (!current_default).then(|| (key.to_string(), value.clone()))
        })
        .collect();
    if shown == *stack_tags {
        let keys: Vec<&str> = changes
            .set
            .keys()
            .chain(changes.remove.iter())
            .map(String::as_str)
            .filter(|k| !k.starts_with(RESERVED_TAG_PREFIX) || *k == crate::naming::STACK_TAG)
            .collect();
        let keys = if keys.is_empty() {
            DEFAULT_KEYS_TAG.to_string()
        } else {
            keys.join(",")
        };
        shown.insert(RETAG_MARKER.to_string(), keys);
    }
    Some(shown)
}

/// On import (nothing known but the name): the stack's `tags` as one of its objects shows
/// them: its tags but ownership, AWS's, and those that came from `default_tags` (a current
/// default carried with its current value, or a recorded default that is no longer one). A
/// default key with another value is the user's override of it.
pub fn imported_stack_tags(observed: &Tags, default_tags: &Tags) -> Tags {
    let recorded = recorded_default_keys(observed);
    let from_defaults = |key: &str, value: &String| {
        default_tags.get(key) == Some(value)
            || (recorded.contains(key) && !default_tags.contains_key(key))
    };
    observed
        .iter()
        .filter(|(k, v)| {
            k.as_str() != "Name"
                && !k.starts_with(RESERVED_TAG_PREFIX)
                && !k.starts_with(AWS_PREFIX)
                && !from_defaults(k, v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The tags `object_name` should carry: the stack's, and the record of the default keys.
pub fn wanted(ctx: &StepContext, object_name: &str) -> Tags {
    with_default_keys(ctx.tags(object_name), ctx.default_tags())
}

/// Apply: what `object_name`'s tags need, logged when anything does.
pub fn changes_for(ctx: &StepContext, id: &str, observed: &Tags, object_name: &str) -> TagChanges {
    changes_to(ctx, id, observed, &wanted(ctx, object_name))
}

/// Apply: what an object's tags need to be `wanted` (from [`wanted`], plus any tag the tier
/// keeps on that object), logged when anything does.
pub fn changes_to(ctx: &StepContext, id: &str, observed: &Tags, wanted: &Tags) -> TagChanges {
    let changes = tag_changes(observed, wanted, ctx.retired_tags());
    if !changes.is_empty() {
        tracing::info!(
            id,
            set = ?changes.set.keys().collect::<Vec<_>>(),
            remove = ?changes.remove,
            "retagging"
        );
    }
    changes
}

/// Refresh: when `object_name`'s tags are not what the stack says, show it in the state's
/// `tags` (the first drifted object seen wins; any difference makes the next apply retag all).
pub fn observe(ctx: &StepContext, observed: &Tags, object_name: &str) {
    observe_against(ctx, observed, &wanted(ctx, object_name));
}

/// Refresh: like [`observe`], for an object that should carry exactly `wanted`.
pub fn observe_against(ctx: &StepContext, observed: &Tags, wanted: &Tags) {
    let stack_tags = &ctx.spec().tags;
    let shown = observed_stack_tags(observed, wanted, stack_tags, ctx.default_tags());
    if let Some(shown) = shown {
        ctx.update_state(|s| {
            if s.spec.tags == *stack_tags {
                s.spec.tags = shown;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::object_tags;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// What an object of stack `blog` carries when made with these defaults and tags.
    fn wanted(defaults: &Tags, user: &Tags) -> Tags {
        with_default_keys(object_tags(defaults, user, "blog", "blog-alb"), defaults)
    }

    #[test]
    fn changes_set_what_differs_and_remove_only_the_stacks_own_keys() {
        let defaults = tags(&[("cost", "1"), ("team", "web")]);
        let mut observed = wanted(&defaults, &tags(&[("env", "test"), ("old", "x")]));
        observed.insert("backup".into(), "daily".into()); // someone else's
        observed.insert("aws:owned".into(), "x".into());
        let new_defaults = tags(&[("team", "ops")]);
        let want = wanted(&new_defaults, &tags(&[("env", "prod")]));
        let retired = BTreeSet::from(["old".to_string()]);
        let changes = tag_changes(&observed, &want, &retired);
        assert_eq!(
            changes.set,
            tags(&[("env", "prod"), ("team", "ops"), (DEFAULT_KEYS_TAG, "team")])
        );
        assert_eq!(changes.remove, vec!["cost".to_string(), "old".to_string()]);
        assert!(tag_changes(&want, &want, &retired).is_empty());
    }

    #[test]
    fn matching_tags_and_foreign_tags_report_nothing() {
        let defaults = tags(&[("team", "web")]);
        let user = tags(&[("env", "test")]);
        let want = wanted(&defaults, &user);
        let mut observed = want.clone();
        observed.insert("backup".into(), "daily".into());
        assert_eq!(
            observed_stack_tags(&observed, &want, &user, &defaults),
            None
        );
    }

    #[test]
    fn a_changed_default_shows_its_old_value_in_tags() {
        let user = tags(&[("env", "test")]);
        let on_object = wanted(&tags(&[("team", "web")]), &user);
        let new_defaults = tags(&[("team", "ops")]);
        let shown = observed_stack_tags(
            &on_object,
            &wanted(&new_defaults, &user),
            &user,
            &new_defaults,
        );
        assert_eq!(shown, Some(tags(&[("env", "test"), ("team", "web")])));
    }

    #[test]
    fn a_dropped_default_shows_as_an_extra_tag() {
        let user = tags(&[("env", "test")]);
        let on_object = wanted(&tags(&[("team", "web")]), &user);
        let none = Tags::new();
        let shown = observed_stack_tags(&on_object, &wanted(&none, &user), &user, &none);
        assert_eq!(shown, Some(tags(&[("env", "test"), ("team", "web")])));
    }

    #[test]
    fn a_new_default_is_flagged_with_the_marker() {
        let user = tags(&[("env", "test")]);
        let on_object = wanted(&Tags::new(), &user);
        let defaults = tags(&[("cost", "42")]);
        let shown = observed_stack_tags(&on_object, &wanted(&defaults, &user), &user, &defaults)
            .expect("drift");
        assert_eq!(shown.get("env").map(String::as_str), Some("test"));
        assert_eq!(shown.get(RETAG_MARKER).map(String::as_str), Some("cost"));
    }

    #[test]
    fn import_reads_the_user_tags_back() {
        let defaults = tags(&[("team", "web"), ("cost", "1")]);
        let user = tags(&[("env", "test"), ("team", "blog")]);
        let on_object = wanted(&defaults, &user);
        let now = tags(&[("team", "web")]); // `cost` dropped from the defaults since
        assert_eq!(
            imported_stack_tags(&on_object, &now),
            user,
            "the user's override of a default is the user's; defaults are not"
        );
        let plain = wanted(&Tags::new(), &tags(&[("env", "test")]));
        assert_eq!(imported_stack_tags(&plain, &now), tags(&[("env", "test")]));
    }

    #[test]
    fn a_user_tag_changed_or_removed_out_of_band_shows_its_observed_value() {
        let user = tags(&[("env", "test"), ("owner", "me")]);
        let none = Tags::new();
        let mut on_object = wanted(&none, &user);
        on_object.insert("env".into(), "hacked".into());
        on_object.remove("owner");
        let shown = observed_stack_tags(&on_object, &wanted(&none, &user), &user, &none);
        assert_eq!(shown, Some(tags(&[("env", "hacked")])));
    }
}
