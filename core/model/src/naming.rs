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
/// The region tag: IAM names are account-wide, so every IAM object of a stack also carries
/// `wordpress-ha:region = <region>`, and only an object tagged for this stack *and* region is
/// adopted (two stacks of one name in two regions must never share one).
pub const REGION_TAG: &str = "wordpress-ha:region";
/// IAM caps role and instance profile names at 64 characters.
pub const IAM_NAME_LIMIT: usize = 64;
/// IAM caps inline policy names at 128 characters.
pub const IAM_POLICY_NAME_LIMIT: usize = 128;
/// Hex digits of the hash that stands for the part of a name cut to fit its limit.
const NAME_HASH_LEN: usize = 8;

/// `<stack>-<role>` or `<stack>-<role>-<az>`.
pub fn object_name(stack: &str, role: &str, az: Option<&str>) -> String {
    match az {
        Some(az) => format!("{stack}-{role}-{az}"),
        None => format!("{stack}-{role}"),
    }
}

/// `/wordpress/<stack>`: the CloudWatch Logs group the instances write to (group names may
/// hold `/`, and the prefix keeps a stack's groups together in the console).
pub fn log_group_name(stack: &str) -> String {
    format!("/wordpress/{stack}")
}

/// A name that fits `limit` characters: the stack name is cut (never the role), and a
/// trailing hyphen is dropped since ELB refuses names ending in one.
pub fn bounded_name(stack: &str, role: &str, limit: usize) -> String {
    let room = limit.saturating_sub(role.len() + 1);
    let stack_part: String = stack.chars().take(room).collect();
    let stack_part = stack_part.trim_end_matches('-');
    format!("{stack_part}-{role}")
}

/// `<base>-<region>` within `limit` characters. When that is too long, `base` is cut and a
/// hash of the whole uncut name is put before the region, so two different bases never end up
/// with the same cut name, and the same base and region always give the same one.
pub fn regional_name(base: &str, region: &str, limit: usize) -> String {
    let full = format!("{base}-{region}");
    if full.len() <= limit {
        return full;
    }
    let hash = format!("{:016x}", fnv1a(full.as_bytes()));
    let suffix = format!("-{}-{region}", &hash[..NAME_HASH_LEN]);
    match limit.checked_sub(suffix.len()) {
        Some(room) if room > 0 => {
            let cut: String = base.chars().take(room).collect();
            format!("{}{suffix}", cut.trim_end_matches('-'))
        }
        // No room for any of the base (a limit shorter than the region): the hash alone.
        _ => hash.chars().take(limit).collect(),
    }
}

/// FNV-1a, 64 bits: a stable hash (the same in every build and release), which `std`'s
/// hashers do not promise.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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
    fn regional_names_carry_the_region_and_fit_their_limit() {
        assert_eq!(
            regional_name("blog-app", "us-east-1", IAM_NAME_LIMIT),
            "blog-app-us-east-1"
        );
        assert_ne!(
            regional_name("blog-app", "us-east-1", IAM_NAME_LIMIT),
            regional_name("blog-app", "us-west-2", IAM_NAME_LIMIT)
        );
        let long = "a".repeat(70);
        let cut = regional_name(&long, "ap-southeast-2", IAM_NAME_LIMIT);
        assert_eq!(cut.len(), IAM_NAME_LIMIT, "{cut}");
        assert!(cut.ends_with("-ap-southeast-2"), "{cut}");
        assert_eq!(cut, regional_name(&long, "ap-southeast-2", IAM_NAME_LIMIT));
        let other = format!("{}b", "a".repeat(69));
        assert_ne!(cut, regional_name(&other, "ap-southeast-2", IAM_NAME_LIMIT));
        let hyphens = format!("{}-{}", "a".repeat(40), "b".repeat(30));
        assert!(!regional_name(&hyphens, "us-east-1", 50).contains("--"));
        assert_eq!(regional_name("blog", "us-east-1", 4).len(), 4);
    }

    #[test]
    fn regional_names_stay_within_iam_limits_for_every_valid_stack() {
        // The longest stack name validation allows, the longest region names there are.
        let stack = "s".repeat(crate::validate::NAME_MAX_LEN);
        for region in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "ap-northeast-3",
        ] {
            let role = regional_name(&format!("{stack}-app"), region, IAM_NAME_LIMIT);
            assert!(
                role.len() <= IAM_NAME_LIMIT && role.ends_with(region),
                "{role}"
            );
            let policy = regional_name("read-wordpress-secret", region, IAM_POLICY_NAME_LIMIT);
            assert!(policy.len() <= IAM_POLICY_NAME_LIMIT, "{policy}");
        }
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
