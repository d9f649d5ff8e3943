//! Names and tags of the stack's AWS objects: `<name>-<role>[-<az>]`, within each service's
//! limits, and the tag set that marks ownership.

use std::collections::BTreeMap;

/// The ownership tag: every object of a stack carries `wordpress-ha:stack = <name>`.
pub const STACK_TAG: &str = "wordpress-ha:stack";
/// Tag keys with this prefix belong to the provider; users may not set them.
pub const RESERVED_TAG_PREFIX: &str = "wordpress-ha:";
/// Set on the VPC once every object of a create exists: a stack found with this tag but absent
/// from Terraform's state is someone else's and must be imported, not adopted.
pub const COMPLETE_TAG: &str = "wordpress-ha:complete";
/// The key a refresh adds to `tags` when an object's tags are wrong in a way `tags` alone
/// cannot show (a default tag missing, an ownership tag changed). Configurations may not use
/// the reserved prefix, so the next plan always sees a difference, and its value names the
/// keys to fix for the reviewer.
pub const RETAG_MARKER: &str = "wordpress-ha:retag";
/// Elastic Load Balancing caps load balancer and target group names at 32 characters.
pub const ELB_NAME_LIMIT: usize = 32;

/// `<stack>-<role>` or `<stack>-<role>-<az>`.
pub fn object_name(stack: &str, role: &str, az: Option<&str>) -> String {
    match az {
        Some(az) => format!("{stack}-{role}-{az}"),
        None => format!("{stack}-{role}"),
    }
}

/// A name that fits `limit` characters: the stack name is cut (never the role), and a
/// trailing hyphen is dropped since ELB refuses names ending in one.
pub fn bounded_name(stack: &str, role: &str, limit: usize) -> String {
    let room = limit.saturating_sub(role.len() + 1);
    let stack_part: String = stack.chars().take(room).collect();
    let stack_part = stack_part.trim_end_matches('-');
    format!("{stack_part}-{role}")
}

/// All tags for one object: provider defaults, then the stack's tags, then ownership and Name
/// (later entries win).
pub fn object_tags(
    default_tags: &BTreeMap<String, String>,
    stack_tags: &BTreeMap<String, String>,
    stack: &str,
    name: &str,
) -> BTreeMap<String, String> {
    let mut tags = default_tags.clone();
    tags.extend(stack_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags.insert(STACK_TAG.to_string(), stack.to_string());
    tags.insert("Name".to_string(), name.to_string());
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_stack_role_and_zone() {
        assert_eq!(
            object_name("blog", "public", Some("us-east-1a")),
            "blog-public-us-east-1a"
        );
        assert_eq!(object_name("blog", "vpc", None), "blog-vpc");
    }

    #[test]
    fn bounded_names_fit_elb_limits_and_never_end_in_hyphen() {
        let name = bounded_name("a-very-long-stack-nam", "alb", ELB_NAME_LIMIT);
        assert!(name.len() <= ELB_NAME_LIMIT, "{name}");
        assert!(name.ends_with("-alb"));
        let cut = bounded_name("abcdefghijklmnopqrstuvwxyz-bcd", "tg", 30);
        assert_eq!(cut, "abcdefghijklmnopqrstuvwxyz-tg");
        assert!(!cut.contains("--"));
    }

    #[test]
    fn ownership_tags_override_user_tags() {
        let defaults = BTreeMap::from([("team".to_string(), "web".to_string())]);
        let user = BTreeMap::from([
            ("team".to_string(), "blog".to_string()),
            ("Name".to_string(), "mine".to_string()),
        ]);
        let tags = object_tags(&defaults, &user, "blog", "blog-vpc");
        assert_eq!(tags["team"], "blog");
        assert_eq!(tags["Name"], "blog-vpc");
        assert_eq!(tags[STACK_TAG], "blog");
    }
}
