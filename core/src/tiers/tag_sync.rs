//! Keeping the tags of the service tiers' objects exactly as the stack says (`default_tags`,
//! then `tags`, then ownership and `Name`), and reporting on refresh when they are not.
//!
//! The stack owns every tag of its objects, as the AWS provider does: an apply sets what is
//! missing or different and removes what nobody asked for. Only AWS's own `aws:` keys, which
//! no caller may change, are left alone.
//!
//! A change of the provider's `default_tags` is invisible to planning (it is not part of the
//! resource), so a refresh must turn it into a difference of `tags` for Terraform to plan an
//! update: [`observed_stack_tags`] computes the `tags` value that shows it.

use std::collections::BTreeMap;

use super::StepContext;
use crate::naming::RESERVED_TAG_PREFIX;

pub type Tags = BTreeMap<String, String>;

/// Keys AWS manages itself (`aws:cloudformation:…`, `aws:elasticfilesystem:…`).
const AWS_PREFIX: &str = "aws:";

/// The key a refresh adds to `tags` when an object's tags are wrong in a way `tags` alone
/// cannot show (a default tag missing, an ownership tag changed). Configurations may not use
/// the reserved prefix, so the next plan always sees a difference, and its value names the
/// keys to fix for the reviewer.
pub const RETAG_MARKER: &str = "wordpress-ha:retag";

/// What to do to an object's tags so that it carries exactly `wanted`.
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

pub fn tag_changes(observed: &Tags, wanted: &Tags) -> TagChanges {
    TagChanges {
        set: wanted
            .iter()
            .filter(|(k, v)| observed.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: observed
            .keys()
            .filter(|k| !k.starts_with(AWS_PREFIX) && !wanted.contains_key(*k))
            .cloned()
            .collect(),
    }
}

/// On refresh: the `tags` the state should show, given one object's `observed` tags, when
/// they differ from `wanted` (`None` when they match). `stack_tags` is the spec's `tags`.
///
/// The answer is the object's tags that are not ownership, not AWS's, and not a provider
/// default it carries with the default's current value. When that equals `stack_tags` (the
/// object lacks a default tag, or an ownership tag is off), [`RETAG_MARKER`] is added.
pub fn observed_stack_tags(
    observed: &Tags,
    wanted: &Tags,
    stack_tags: &Tags,
    default_tags: &Tags,
) -> Option<Tags> {
    let changes = tag_changes(observed, wanted);
    if changes.is_empty() {
        return None;
    }
    let is_current_default = |key: &str, value: &str| {
        !stack_tags.contains_key(key) && default_tags.get(key).map(String::as_str) == Some(value)
    };
    let mut user: Tags = observed
        .iter()
        .filter(|(k, v)| {
            k.as_str() != "Name"
                && !k.starts_with(RESERVED_TAG_PREFIX)
                && !k.starts_with(AWS_PREFIX)
                && !is_current_default(k, v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if user == *stack_tags {
        let keys: Vec<&str> = changes
            .set
            .keys()
            .chain(changes.remove.iter())
            .map(String::as_str)
            .collect();
        user.insert(RETAG_MARKER.to_string(), keys.join(","));
    }
    Some(user)
}

/// Apply: what `object_name`'s tags need, logged when anything does.
pub fn changes_for(ctx: &StepContext, id: &str, observed: &Tags, object_name: &str) -> TagChanges {
    let changes = tag_changes(observed, &ctx.tags(object_name));
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
    let stack_tags = &ctx.spec().tags;
    let shown = observed_stack_tags(
        observed,
        &ctx.tags(object_name),
        stack_tags,
        ctx.default_tags(),
    );
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

    fn wanted(defaults: &Tags, user: &Tags) -> Tags {
        object_tags(defaults, user, "blog", "blog-alb")
    }

    #[test]
    fn changes_set_what_differs_and_remove_what_nobody_wants_but_aws_keys() {
        let observed = tags(&[
            ("env", "test"),
            ("team", "web"),
            ("aws:owned", "x"),
            ("old", "1"),
        ]);
        let want = tags(&[("env", "prod"), ("team", "web"), ("new", "2")]);
        let changes = tag_changes(&observed, &want);
        assert_eq!(changes.set, tags(&[("env", "prod"), ("new", "2")]));
        assert_eq!(changes.remove, vec!["old".to_string()]);
        assert!(tag_changes(&want, &want).is_empty());
    }

    #[test]
    fn matching_tags_report_nothing() {
        let defaults = tags(&[("team", "web")]);
        let user = tags(&[("env", "test")]);
        let want = wanted(&defaults, &user);
        assert_eq!(observed_stack_tags(&want, &want, &user, &defaults), None);
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
    fn a_removed_default_shows_as_an_extra_tag() {
        let user = tags(&[("env", "test")]);
        let on_object = wanted(&tags(&[("team", "web")]), &user);
        let shown = observed_stack_tags(
            &on_object,
            &wanted(&Tags::new(), &user),
            &user,
            &Tags::new(),
        );
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
    fn a_user_tag_changed_out_of_band_shows_its_observed_value() {
        let user = tags(&[("env", "test")]);
        let mut on_object = wanted(&Tags::new(), &user);
        on_object.insert("env".into(), "hacked".into());
        let shown = observed_stack_tags(
            &on_object,
            &wanted(&Tags::new(), &user),
            &user,
            &Tags::new(),
        );
        assert_eq!(shown, Some(tags(&[("env", "hacked")])));
    }
}
