//! Every name a stack derives from a valid `name` is one AWS accepts: the rules of
//! `stack_model::validate` (1-20 characters, a lowercase letter first, lowercase letters,
//! digits and hyphens, no trailing or doubled hyphen, no `sg-` or `internal-` prefix) are
//! enough for each service's own rules and length limits.

use std::time::{Duration, UNIX_EPOCH};

use stack_core::naming::object_name;
use stack_core::tiers::{app, database, load_balancer, secrets, security};
use stack_core::StackSpec;

/// Valid names at the edges of the rules.
const NAMES: [&str; 6] = [
    "a",
    "b1",
    "blog-prod",
    "abcdefghijklmnopqrst",
    "a-b-c-d-e-f-g-h-i-j0",
    "internals",
];

/// 1..=limit letters, digits and hyphens, a letter first, no trailing or doubled hyphen.
fn assert_identifier(what: &str, name: &str, limit: usize) {
    assert!(
        !name.is_empty() && name.len() <= limit,
        "{what} {name:?} is 1 to {limit} characters"
    );
    assert!(
        name.starts_with(|c: char| c.is_ascii_alphabetic()),
        "{what} {name:?} starts with a letter"
    );
    assert!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{what} {name:?} uses letters, digits and hyphens"
    );
    assert!(
        !name.ends_with('-') && !name.contains("--"),
        "{what} {name:?} has no trailing or doubled hyphen"
    );
}

#[test]
fn valid_names_make_only_names_aws_accepts() {
    for name in NAMES {
        assert!(
            stack_model::validate::validate(&StackSpec::with_name(name), None).is_empty(),
            "{name:?} is valid"
        );
        // RDS: DB instance, snapshot and subnet group identifiers.
        assert_identifier("DB identifier", &database::instance_identifier(name), 63);
        let now = UNIX_EPOCH + Duration::from_secs(4_102_444_800); // year 2100
        let snapshot = format!("{}-99", database::final_snapshot_identifier(name, now));
        assert_identifier("final snapshot", &snapshot, 255);
        assert_identifier("DB subnet group", &database::subnet_group_name(name), 255);
        // Elastic Load Balancing: 32 characters, never `internal-` first.
        for lb_name in [
            load_balancer::load_balancer_name(name),
            load_balancer::target_group_name(name),
        ] {
            assert_identifier("ELB name", &lb_name, 32);
            assert!(!lb_name.starts_with("internal-"), "{lb_name:?}");
        }
        // EC2 security groups: 255 characters, never `sg-` first.
        for tier in security::TIERS {
            let group = object_name(name, tier, None);
            assert!(group.len() <= 255 && !group.starts_with("sg-"), "{group:?}");
        }
        // EC2 launch template (3-128), Auto Scaling names (255), the scaling policy (255).
        let template = app::launch_template_name(name);
        assert!((3..=128).contains(&template.len()), "{template:?}");
        assert!(app::group_name(name).len() <= 255);
        assert!(app::policy_name(name).len() <= 255);
        // Secrets Manager: 512 characters of letters, digits and /_+=.@-.
        assert!(secrets::secret_name(name).len() <= 512);
        // IAM: 64 characters for the role and profile in the longest region name.
        let role = secrets::role_name(name, "ap-southeast-5");
        assert!(role.len() <= 64, "{role:?}");
        // Every Name tag: 256 characters, with the longest zone name.
        assert!(object_name(name, "private-rt", Some("ap-southeast-5c")).len() <= 256);
    }
}
