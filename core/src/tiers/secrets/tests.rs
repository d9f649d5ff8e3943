//! The secrets tier's unit tests.

use super::*;

#[test]
fn the_policy_allows_reading_and_describing_one_secret() {
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:blog/wordpress-AbCdEf";
    let policy: Value = serde_json::from_str(&read_secret_policy(arn)).expect("json");
    let statements = policy["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(
        statements[0]["Action"],
        serde_json::json!([
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret"
        ])
    );
    assert_eq!(statements[0]["Resource"], arn);
    let trust: Value = serde_json::from_str(&trust_policy()).expect("json");
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
}

#[test]
fn policies_compare_by_meaning_not_by_spelling() {
    let wanted = read_secret_policy("arn:x");
    let respelled = r#"{ "Statement": [ { "Resource": "arn:x", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Effect": "Allow" } ], "Version": "2012-10-17" }"#;
    assert!(same_policy(respelled, &wanted));
    assert!(!same_policy(&read_secret_policy("arn:y"), &wanted));
    assert!(!same_policy("garbage", &wanted));
}

#[test]
fn tags_are_set_and_removed_but_aws_keys_are_left_alone() {
    let observed = BTreeMap::from([
        ("keep".to_string(), "1".to_string()),
        ("old".to_string(), "x".to_string()),
        ("aws:cloudformation:stack".to_string(), "s".to_string()),
    ]);
    let wanted = BTreeMap::from([
        ("keep".to_string(), "1".to_string()),
        ("new".to_string(), "2".to_string()),
    ]);
    let (set, remove) = tag_diff(&observed, &wanted);
    assert_eq!(set, BTreeMap::from([("new".to_string(), "2".to_string())]));
    assert_eq!(remove, ["old"]);
}

#[test]
fn the_template_waits_for_the_profile_and_the_secret_but_never_for_the_database() {
    let layout = StackLayout {
        spec: crate::spec::StackSpec::with_name("blog"),
        zones: vec!["a".into(), "b".into()],
    };
    let all = super::super::all_steps(&layout);
    let deps_of = |id: &str| -> Vec<String> {
        all.iter()
            .find(|s| s.id == id)
            .map(|s| s.deps.clone())
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    let template = deps_of(step_id::LAUNCH_TEMPLATE);
    assert!(template.contains(&step_id::INSTANCE_PROFILE.to_string()));
    assert_eq!(deps_of(step_id::INSTANCE_PROFILE), [step_id::SECRET]);
    assert!(deps_of(step_id::SECRET).is_empty(), "made first");
    assert_eq!(
        deps_of(step_id::SECRET_DATABASE),
        [step_id::SECRET, step_id::DB_INSTANCE]
    );
    // Nothing the instances need waits for RDS: the fleet boots while it is being created.
    let mut needed = vec![step_id::AUTOSCALING_GROUP.to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(id) = needed.pop() {
        assert_ne!(id, step_id::DB_INSTANCE, "the group waits for the database");
        if seen.insert(id.clone()) {
            needed.extend(deps_of(&id));
        }
    }
    assert_eq!(
        deps_of(step_id::TEMPLATE_SECRET_VERSION),
        [step_id::SECRET_DATABASE, step_id::AUTOSCALING_GROUP]
    );
}

#[test]
fn names_follow_the_convention() {
    assert_eq!(secret_name("blog"), "blog/wordpress");
    assert_eq!(role_name("blog", "us-east-1"), "blog-app-us-east-1");
    assert_eq!(policy_name("us-east-1"), "read-wordpress-secret-us-east-1");
}
