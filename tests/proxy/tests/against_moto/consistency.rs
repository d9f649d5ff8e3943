//! Eventual consistency after a create, and DependencyViolation on deletes.

use std::time::Duration;

use aws_fault_proxy::FaultKind;
use aws_sdk_ec2::error::ProvideErrorMetadata;

use crate::common::*;

// ---- eventual consistency and DependencyViolation -------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_object_is_not_found_by_id_until_the_window_passes() {
    let rig = Rig::start(config(r#"{"consistency": {"window_ms": 2000}}"#)).await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = create_vpc(&ec2).await.expect("vpc");
    let error = ec2
        .describe_vpcs()
        .vpc_ids(&vpc)
        .send()
        .await
        .expect_err("not visible yet");
    assert_eq!(error.code(), Some("InvalidVpcID.NotFound"));

    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_instance()
        .db_instance_identifier("db1")
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .master_username("admin")
        .master_user_password("password123")
        .allocated_storage(20)
        .send()
        .await
        .expect("rds create");
    let error = rds
        .describe_db_instances()
        .db_instance_identifier("db1")
        .send()
        .await
        .expect_err("not visible yet");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_db_instance_not_found_fault()),
        "{error:?}"
    );

    let efs = aws_sdk_efs::Client::new(&sdk);
    let fs = efs
        .create_file_system()
        .creation_token("t")
        .send()
        .await
        .expect("efs");
    let error = efs
        .describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect_err("not visible yet");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_file_system_not_found()),
        "{error:?}"
    );

    // A filter naming the VPC is not an error on AWS either.
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("vpc-id")
        .values(&vpc)
        .build();
    ec2.describe_subnets()
        .filters(filter)
        .send()
        .await
        .expect("filters never NotFound");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        ec2.describe_vpcs()
            .vpc_ids(&vpc)
            .send()
            .await
            .expect("visible now")
            .vpcs()
            .len(),
        1
    );
    rds.describe_db_instances()
        .db_instance_identifier("db1")
        .send()
        .await
        .expect("visible now");
    efs.describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect("visible now");
    assert_eq!(rig.stats().faults_of(FaultKind::NotFound), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_meet_dependency_violation_for_the_configured_attempts() {
    let rig = Rig::start(config(r#"{"dependency_violation": {"attempts": 2}}"#)).await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    let vpc = create_vpc(&ec2).await.expect("vpc");
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("sg");
    let sg = sg.group_id().expect("group id").to_string();
    for attempt in 1..=2 {
        let error = ec2
            .delete_security_group()
            .group_id(&sg)
            .send()
            .await
            .expect_err("in use");
        assert_eq!(
            error.code(),
            Some("DependencyViolation"),
            "attempt {attempt}"
        );
    }
    ec2.delete_security_group()
        .group_id(&sg)
        .send()
        .await
        .expect("third attempt deletes");
    for _ in 1..=2 {
        let error = ec2
            .delete_vpc()
            .vpc_id(&vpc)
            .send()
            .await
            .expect_err("in use");
        assert_eq!(error.code(), Some("DependencyViolation"));
    }
    ec2.delete_vpc().vpc_id(&vpc).send().await.expect("deleted");
    assert_eq!(rig.stats().faults_of(FaultKind::DependencyViolation), 4);
}
