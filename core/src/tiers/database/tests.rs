//! The database tier's unit tests.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;

fn observed() -> DbInstance {
    let spec = DatabaseSpec::default();
    DbInstance {
        identifier: "blog-db".into(),
        arn: None,
        status: "available".into(),
        instance_class: spec.instance_class.clone(),
        engine: "mysql".into(),
        engine_version: "8.4.5".into(),
        auto_minor_version_upgrade: true,
        allocated_storage: spec.allocated_storage,
        max_allocated_storage: Some(spec.max_allocated_storage),
        multi_az: spec.multi_az,
        storage_encrypted: true,
        publicly_accessible: false,
        backup_retention_days: spec.backup_retention_days,
        deletion_protection: spec.deletion_protection,
        db_name: Some(spec.db_name.clone()),
        username: Some(spec.username.clone()),
        address: Some("blog-db.abc.us-east-1.rds.amazonaws.com".into()),
        port: Some(3306),
        subnet_group: Some("blog-db-subnets".into()),
        security_group_ids: vec!["sg-db".into()],
        parameter_groups: vec![rds::ParameterGroupStatus {
            name: "blog-mysql84".into(),
            apply_status: "in-sync".into(),
        }],
        tags: BTreeMap::new(),
    }
}

#[test]
fn names_follow_the_convention() {
    assert_eq!(subnet_group_name("blog"), "blog-db-subnets");
    assert_eq!(instance_identifier("blog"), "blog-db");
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    assert_eq!(
        final_snapshot_identifier("blog", at),
        "blog-final-1800000000"
    );
    assert_eq!(numbered_snapshot_name("blog-final-1", 1), "blog-final-1");
    assert_eq!(numbered_snapshot_name("blog-final-1", 3), "blog-final-1-3");
}

#[test]
fn an_instance_matching_the_spec_needs_no_change() {
    let change = modification_for(
        &observed(),
        &DatabaseSpec::default(),
        "sg-db",
        "blog-mysql84",
        None,
    );
    assert!(change.is_empty(), "{change:?}");
}

#[test]
fn drifted_settings_are_put_back() {
    let mut db = observed();
    db.instance_class = "db.t3.large".into();
    db.multi_az = false;
    db.security_group_ids = vec!["sg-other".into()];
    db.max_allocated_storage = None;
    let change = modification_for(&db, &DatabaseSpec::default(), "sg-db", "blog-mysql84", None);
    assert_eq!(change.instance_class.as_deref(), Some("db.t3.micro"));
    assert_eq!(change.multi_az, Some(true));
    assert_eq!(change.security_group_ids, Some(vec!["sg-db".to_string()]));
    assert_eq!(change.max_allocated_storage, Some(100));
    assert_eq!(change.engine_version, None, "8.0.39 satisfies 8.0");
}

#[test]
fn the_final_snapshot_setting_is_read_back_from_its_tag() {
    assert!(FINAL_SNAPSHOT_TAG.starts_with(crate::naming::RESERVED_TAG_PREFIX));
    let mut db = observed();
    let mut spec = DatabaseSpec::default();
    observe_database(&mut spec, &db);
    assert!(!spec.skip_final_snapshot, "no tag: the spec's value stays");
    db.tags.insert(FINAL_SNAPSHOT_TAG.into(), "skip".into());
    observe_database(&mut spec, &db);
    assert!(spec.skip_final_snapshot);
    db.tags.insert(FINAL_SNAPSHOT_TAG.into(), "take".into());
    observe_database(&mut spec, &db);
    assert!(!spec.skip_final_snapshot);
}

#[test]
fn storage_never_shrinks() {
    let mut db = observed();
    db.allocated_storage = 50; // grown by storage autoscaling
    assert_eq!(
        modification_for(&db, &DatabaseSpec::default(), "sg-db", "blog-mysql84", None)
            .allocated_storage,
        None
    );
    let bigger = DatabaseSpec {
        allocated_storage: 80,
        ..DatabaseSpec::default()
    };
    assert_eq!(
        modification_for(&db, &bigger, "sg-db", "blog-mysql84", None).allocated_storage,
        Some(80)
    );
}

#[test]
fn a_ceiling_not_above_the_start_size_leaves_autoscaling_alone() {
    let mut db = observed();
    db.max_allocated_storage = None;
    let no_autoscaling = DatabaseSpec {
        max_allocated_storage: 20,
        ..DatabaseSpec::default()
    };
    let change = modification_for(&db, &no_autoscaling, "sg-db", "blog-mysql84", None);
    assert_eq!(change.max_allocated_storage, None);
    assert!(change.is_empty(), "{change:?}");
}

#[test]
fn an_instance_without_the_stacks_parameter_group_is_moved_to_it() {
    let mut db = observed();
    db.parameter_groups[0].name = "default.mysql8.4".into();
    let change = modification_for(&db, &DatabaseSpec::default(), "sg-db", "blog-mysql84", None);
    assert_eq!(change.parameter_group.as_deref(), Some("blog-mysql84"));
    let upgrade = DatabaseSpec {
        engine_version: "8.4".into(),
        ..DatabaseSpec::default()
    };
    db.engine_version = "8.0.39".into();
    let change = modification_for(&db, &upgrade, "sg-db", "blog-mysql84", None);
    assert_eq!(change.engine_version.as_deref(), Some("8.4"));
    assert_eq!(change.parameter_group.as_deref(), Some("blog-mysql84"));
}

#[test]
fn a_new_password_is_sent_only_when_it_changed() {
    let change = modification_for(
        &observed(),
        &DatabaseSpec::default(),
        "sg-db",
        "blog-mysql84",
        Some(Secret::new("n3w-password")),
    );
    assert_eq!(
        change.password.as_ref().map(Secret::expose),
        Some("n3w-password")
    );
}

#[test]
fn observation_reports_drift_but_not_autoscaled_storage() {
    let mut spec = DatabaseSpec {
        engine_version: "8.0".into(),
        ..DatabaseSpec::default()
    };
    let mut db = observed();
    db.instance_class = "db.m5.large".into();
    db.allocated_storage = 60;
    db.engine_version = "8.4.3".into();
    observe_database(&mut spec, &db);
    assert_eq!(spec.instance_class, "db.m5.large");
    assert_eq!(spec.allocated_storage, 20);
    assert_eq!(
        spec.engine_version, "8.0",
        "a newer engine is kept as configured: RDS cannot go back down"
    );
    let mut newer = DatabaseSpec {
        engine_version: "8.4".into(),
        ..DatabaseSpec::default()
    };
    db.engine_version = "8.0.39".into();
    observe_database(&mut newer, &db);
    assert_eq!(
        newer.engine_version, "8.0.39",
        "an older engine shows as drift"
    );
    let mut same = DatabaseSpec::default();
    observe_database(&mut same, &observed());
    assert_eq!(same, DatabaseSpec::default());
}

#[test]
fn a_pinned_version_turns_auto_minor_upgrades_off_and_a_newer_engine_stays() {
    let pinned = DatabaseSpec {
        engine_version: "8.0.35".into(),
        ..DatabaseSpec::default()
    };
    let mut db = observed();
    db.engine_version = "8.0.35".into();
    let change = modification_for(&db, &pinned, "sg-db", "blog-mysql84", None);
    assert_eq!(change.auto_minor_version_upgrade, Some(false));
    assert_eq!(change.engine_version, None);
    db.engine_version = "8.0.40".into();
    db.auto_minor_version_upgrade = false;
    let change = modification_for(&db, &pinned, "sg-db", "blog-mysql84", None);
    assert!(change.is_empty(), "never sent back down: {change:?}");
    assert!(runs_newer_engine(&db, &pinned));
    assert!(newer_engine_detail(&db, "8.0.35").contains("runs MySQL 8.0.40"));
    db.engine_version = "8.0.30".into();
    let change = modification_for(&db, &pinned, "sg-db", "blog-mysql84", None);
    assert_eq!(change.engine_version.as_deref(), Some("8.0.35"));
}

#[test]
fn storage_optimisation_holds_back_only_the_storage_change() {
    let mut change = DbModification {
        allocated_storage: Some(40),
        password: Some(Secret::new("n3w-password")),
        ..DbModification::default()
    };
    assert_eq!(change.take_storage_change(), Some(40));
    assert!(change.password.is_some() && !change.is_empty());
    assert!(storage_waits_detail("blog-db", 30, 40).contains("stays at 30 GiB"));
}
