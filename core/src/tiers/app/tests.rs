//! The app tier's unit tests.

use super::*;

fn observed() -> AutoScalingGroup {
    AutoScalingGroup {
        name: "blog-asg".into(),
        min_size: 2,
        max_size: 4,
        desired_capacity: 2,
        launch_template_id: Some("lt-1".into()),
        launch_template_version: Some("1".into()),
        subnet_ids: vec!["subnet-b".into(), "subnet-a".into()],
        target_group_arns: vec!["tg".into()],
        health_check_type: Some("ELB".into()),
        health_check_grace_period: Some(300),
        status: None,
        instance_ids: vec!["i-1".into(), "i-2".into()],
        tags: BTreeMap::new(),
        enabled_metrics: Vec::new(),
    }
}

fn request<'a>(
    version: i64,
    subnets: &'a [String],
    tgs: &'a [String],
    tags: &'a BTreeMap<String, String>,
) -> GroupRequest<'a> {
    GroupRequest {
        name: "blog-asg",
        launch_template_id: "lt-1",
        launch_template_version: version,
        min_size: 2,
        max_size: 4,
        desired_capacity: None,
        subnet_ids: subnets,
        target_group_arns: tgs,
        health_check_grace_period: 300,
        tags,
    }
}

#[test]
fn a_matching_group_needs_nothing() {
    let subnets = vec!["subnet-a".to_string(), "subnet-b".to_string()];
    let tgs = vec!["tg".to_string()];
    let tags = BTreeMap::new();
    let changes = group_changes(&observed(), &request(1, &subnets, &tgs, &tags));
    assert_eq!(
        changes,
        GroupChanges {
            update: false,
            refresh_instances: false,
            attach_target_group: false
        }
    );
}

#[test]
fn a_new_template_version_updates_and_refreshes() {
    let subnets = vec!["subnet-a".to_string(), "subnet-b".to_string()];
    let tgs = vec!["tg".to_string()];
    let tags = BTreeMap::new();
    let changes = group_changes(&observed(), &request(2, &subnets, &tgs, &tags));
    assert!(changes.update && changes.refresh_instances);
}

#[test]
fn size_drift_updates_without_refreshing() {
    let subnets = vec!["subnet-a".to_string(), "subnet-b".to_string()];
    let tgs = vec!["tg".to_string(), "tg-2".to_string()];
    let tags = BTreeMap::new();
    let mut group = observed();
    group.max_size = 9;
    let changes = group_changes(&group, &request(1, &subnets, &tgs, &tags));
    assert!(changes.update);
    assert!(!changes.refresh_instances);
    assert!(changes.attach_target_group);
}

#[test]
fn observed_desired_capacity_only_when_pinned() {
    let mut spec = AutoscalingSpec::default();
    let mut group = observed();
    group.desired_capacity = 3;
    group.max_size = 6;
    observe_group(&mut spec, &group);
    assert_eq!(spec.max_size, 6);
    assert_eq!(spec.desired_capacity, None);
    spec.desired_capacity = Some(2);
    observe_group(&mut spec, &group);
    assert_eq!(spec.desired_capacity, Some(3));
}

#[test]
fn names_follow_the_convention() {
    assert_eq!(launch_template_name("blog"), "blog-app");
    assert_eq!(group_name("blog"), "blog-asg");
}
