//! The stack's name and tags (also the provider's `default_tags`): AWS's tag limits and the
//! keys the provider keeps for itself.

use std::collections::BTreeMap;

use super::{
    path, Errors, MAX_TAGS_PER_OBJECT, MAX_USER_TAGS, NAME_MAX_LEN, PROVIDER_TAGS, TAG_KEY_MAX_LEN,
    TAG_VALUE_MAX_LEN,
};
use crate::error::FieldPath;
use crate::naming::RESERVED_TAG_PREFIX;

/// The tag key the provider fills with each object's name.
const NAME_TAG: &str = "Name";

pub(super) fn check_name(errors: &mut Errors, name: &str) {
    let at = path(&["name"]);
    let fix = "Use 1 to 20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, such as \"blog\" or \"shop-prod\".";
    let length = name.chars().count();
    if length == 0 || length > NAME_MAX_LEN {
        errors.push(
            at,
            format!("name must be 1 to {NAME_MAX_LEN} characters long, got {length}"),
            fix,
        );
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        errors.push(
            at,
            format!("name {name:?} must start with a lowercase letter"),
            fix,
        );
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        errors.push(
            at,
            format!("name {name:?} contains {bad:?}, which AWS names do not allow"),
            fix,
        );
    } else if name.ends_with('-') {
        errors.push(
            at,
            format!("name {name:?} ends with a hyphen"),
            format!("RDS identifiers and load balancer names may not end with one. {fix}"),
        );
    } else if name.contains("--") {
        errors.push(
            at,
            format!("name {name:?} contains two consecutive hyphens"),
            format!("The database identifier <name>-db and its final snapshot <name>-final-<time> would be refused by RDS, which allows no \"--\" in an identifier. {fix}"),
        );
    } else if let Some((prefix, why)) = RESERVED_NAME_PREFIXES
        .iter()
        .find(|(prefix, _)| format!("{name}-").starts_with(prefix))
    {
        // `sg` alone is refused too: it makes `sg-alb`.
        errors.push(
            at,
            format!("name {name:?} makes names starting with {prefix:?}"),
            format!("{why} {fix}"),
        );
    }
}

/// Prefixes AWS reserves in the names the stack derives from `name`, and who refuses them.
const RESERVED_NAME_PREFIXES: [(&str, &str); 2] = [
    (
        "sg-",
        "EC2 refuses security group names starting with \"sg-\" (the prefix of group ids), and every group of the stack is named <name>-<tier>.",
    ),
    (
        "internal-",
        "Elastic Load Balancing refuses load balancer names starting with \"internal-\" (the prefix of internal load balancers' DNS names), and the load balancer is named <name>-alb.",
    ),
];

/// Characters every service of the stack accepts in tags (EFS and ELB are the strictest).
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

pub(super) fn check_tags(errors: &mut Errors, at: FieldPath, tags: &BTreeMap<String, String>) {
    if tags.len() > MAX_USER_TAGS {
        errors.push(
            at.clone(),
            format!("{} tags given; at most {MAX_USER_TAGS} fit", tags.len()),
            format!(
                "AWS allows {MAX_TAGS_PER_OBJECT} tags per object and the provider adds {PROVIDER_TAGS} of its own; remove {} of them.",
                tags.len() - MAX_USER_TAGS
            ),
        );
    }
    for (key, value) in tags {
        check_tag(errors, at.clone().key(key), key, value);
    }
}

fn check_tag(errors: &mut Errors, at: FieldPath, key: &str, value: &str) {
    let allowed = "Tags may use letters, digits, spaces and _ . : / = + - @.";
    if key.starts_with(RESERVED_TAG_PREFIX) {
        errors.push(
            at.clone(),
            format!("tag key {key:?} uses the reserved prefix {RESERVED_TAG_PREFIX:?}"),
            format!("The provider owns tags starting with {RESERVED_TAG_PREFIX:?} (it finds the stack's objects by them); rename the key."),
        );
    } else if key.to_ascii_lowercase().starts_with("aws:") {
        errors.push(
            at.clone(),
            format!("tag key {key:?} uses AWS's reserved prefix \"aws:\""),
            "AWS refuses tag keys starting with \"aws:\"; rename the key.",
        );
    } else if key == NAME_TAG {
        errors.push(
            at.clone(),
            format!("tag key {NAME_TAG:?} is set by the provider"),
            "The provider names every object <stack>-<role>[-<zone>] in its Name tag, which would overwrite this one; use another key, such as \"app\".",
        );
    }
    let key_length = key.chars().count();
    if key_length == 0 || key_length > TAG_KEY_MAX_LEN {
        errors.push(
            at.clone(),
            format!("tag key must be 1 to {TAG_KEY_MAX_LEN} characters, got {key_length}"),
            "Shorten the tag key (AWS's limit).",
        );
    }
    if value.chars().count() > TAG_VALUE_MAX_LEN {
        errors.push(
            at.clone(),
            format!("tag {key:?} has a value longer than {TAG_VALUE_MAX_LEN} characters"),
            "Shorten the tag value (AWS's limit).",
        );
    }
    if let Some(bad) = key.chars().chain(value.chars()).find(|c| !is_tag_char(*c)) {
        errors.push(
            at,
            format!("tag {key:?} contains {bad:?}, which AWS tags do not allow"),
            allowed,
        );
    }
}
