//! The presets that play how AWS keeps data and accounts: RDS transitional states, EFS
//! UpdateFileSystem, secret metadata that lags a write, account quotas, and the images' root
//! snapshot sizes.

use std::time::Duration;

use aws_fault_proxy::FaultKind;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::DomainType;

use crate::common::*;

async fn create_database(rds: &aws_sdk_rds::Client, id: &str) {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .master_username("admin")
        .master_user_password("password123")
        .allocated_storage(20)
        .send()
        .await
        .expect("rds create");
}

async fn db_status(rds: &aws_sdk_rds::Client, id: &str) -> String {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .expect("describe db")
        .db_instances()[0]
        .db_instance_status()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_refuses_delete_and_modify_until_it_is_available() {
    let rig = Rig::start(config(
        r#"{"rds_states": {"creating_ms": 1500, "backing_up_ms": 1500, "modifying_ms": 1000, "storage_optimization_ms": 2000}}"#,
    ))
    .await;
    let rds = aws_sdk_rds::Client::new(&rig.sdk(1).await);
    create_database(&rds, "db1").await;
    assert_eq!(db_status(&rds, "db1").await, "creating");
    let error = rds
        .delete_db_instance()
        .db_instance_identifier("db1")
        .final_db_snapshot_identifier("db1-final")
        .send()
        .await
        .expect_err("creating");
    assert_eq!(error.code(), Some("InvalidDBInstanceState"));
    assert_eq!(
        error.message(),
        Some("Instance db1 is currently creating - a final snapshot cannot be taken.")
    );
    let error = rds
        .modify_db_instance()
        .db_instance_identifier("db1")
        .master_user_password("another-password")
        .apply_immediately(true)
        .send()
        .await
        .expect_err("creating");
    assert_eq!(
        error.message(),
        Some("Instance db1 is not in available state.")
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(db_status(&rds, "db1").await, "backing-up");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(db_status(&rds, "db1").await, "available");

    rds.modify_db_instance()
        .db_instance_identifier("db1")
        .allocated_storage(30)
        .apply_immediately(true)
        .send()
        .await
        .expect("grow the storage");
    assert_eq!(db_status(&rds, "db1").await, "modifying");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(db_status(&rds, "db1").await, "storage-optimization");
    let error = rds
        .modify_db_instance()
        .db_instance_identifier("db1")
        .allocated_storage(40)
        .apply_immediately(true)
        .send()
        .await
        .expect_err("storage is being optimised");
    assert_eq!(error.code(), Some("InvalidParameterCombination"));
    rds.modify_db_instance()
        .db_instance_identifier("db1")
        .master_user_password("another-password")
        .apply_immediately(true)
        .send()
        .await
        .expect("a password change is not a storage change");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(db_status(&rds, "db1").await, "available");
    rds.delete_db_instance()
        .db_instance_identifier("db1")
        .final_db_snapshot_identifier("db1-final")
        .send()
        .await
        .expect("available: deleted with its final snapshot");
    let snapshots = rds
        .describe_db_snapshots()
        .db_snapshot_identifier("db1-final")
        .send()
        .await
        .expect("snapshot");
    assert_eq!(snapshots.db_snapshots().len(), 1);
    assert_eq!(rig.stats().faults_of(FaultKind::Error), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_database_can_be_deleted_but_not_modified() {
    let rig = Rig::start(config(r#"{"rds_states": {}}"#)).await;
    let rds = aws_sdk_rds::Client::new(&rig.sdk(1).await);
    create_database(&rds, "db2").await;
    rds.stop_db_instance()
        .db_instance_identifier("db2")
        .send()
        .await
        .expect("stop");
    assert_eq!(db_status(&rds, "db2").await, "stopped");
    let error = rds
        .modify_db_instance()
        .db_instance_identifier("db2")
        .master_user_password("another-password")
        .send()
        .await
        .expect_err("stopped");
    assert_eq!(error.code(), Some("InvalidDBInstanceState"));
    rds.delete_db_instance()
        .db_instance_identifier("db2")
        .skip_final_snapshot(true)
        .send()
        .await
        .expect("AWS deletes a stopped instance");
}

#[tokio::test(flavor = "multi_thread")]
async fn efs_throughput_updates_are_answered_and_remembered() {
    let rig = Rig::start(config(r#"{"efs_update": {"updating_ms": 500}}"#)).await;
    let efs = aws_sdk_efs::Client::new(&rig.sdk(1).await);
    let fs = efs
        .create_file_system()
        .creation_token("t")
        .send()
        .await
        .expect("efs");
    use aws_sdk_efs::types::{LifeCycleState, ThroughputMode};
    let updated = efs
        .update_file_system()
        .file_system_id(fs.file_system_id())
        .throughput_mode(ThroughputMode::Provisioned)
        .provisioned_throughput_in_mibps(64.0)
        .send()
        .await
        .expect("update");
    assert_eq!(
        updated.throughput_mode(),
        Some(&ThroughputMode::Provisioned)
    );
    assert_eq!(updated.life_cycle_state(), &LifeCycleState::Updating);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let described = efs
        .describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect("describe");
    let described = &described.file_systems()[0];
    assert_eq!(
        described.throughput_mode(),
        Some(&ThroughputMode::Provisioned)
    );
    assert_eq!(described.provisioned_throughput_in_mibps(), Some(64.0));
    assert_eq!(described.life_cycle_state(), &LifeCycleState::Available);
    let error = efs
        .update_file_system()
        .file_system_id("fs-00000000")
        .throughput_mode(ThroughputMode::Elastic)
        .send()
        .await
        .expect_err("no such file system");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_file_system_not_found()),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn efs_backup_policies_are_answered_and_remembered() {
    let rig = Rig::start(config(r#"{"efs_backups": {"enabling_ms": 300}}"#)).await;
    let efs = aws_sdk_efs::Client::new(&rig.sdk(1).await);
    let fs = efs
        .create_file_system()
        .creation_token("b")
        .send()
        .await
        .expect("efs");
    use aws_sdk_efs::types::{BackupPolicy, Status};
    let policy = |status| {
        BackupPolicy::builder()
            .status(status)
            .build()
            .expect("policy")
    };
    let put = efs
        .put_backup_policy()
        .file_system_id(fs.file_system_id())
        .backup_policy(policy(Status::Enabled))
        .send()
        .await
        .expect("put");
    assert_eq!(
        put.backup_policy().map(|p| p.status()),
        Some(&Status::Enabling)
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let described = efs
        .describe_backup_policy()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect("describe");
    assert_eq!(
        described.backup_policy().map(|p| p.status()),
        Some(&Status::Enabled)
    );
    let error = efs
        .put_backup_policy()
        .file_system_id("fs-00000000")
        .backup_policy(policy(Status::Disabled))
        .send()
        .await
        .expect_err("no such file system");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_file_system_not_found()),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn account_quotas_refuse_creates_past_the_limit() {
    let rig = Rig::start(config(
        r#"{"quotas": {"max_eips": 2, "max_vpcs": 2, "max_internet_gateways": 1, "max_nat_gateways_per_az": 1}}"#,
    ))
    .await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    // moto's default VPC counts, as on AWS: with ours that makes two.
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let error = create_vpc(&ec2).await.expect_err("two VPCs already");
    assert_eq!(error.code(), Some("VpcLimitExceeded"));
    let error = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect_err("one gateway already");
    assert_eq!(error.code(), Some("InternetGatewayLimitExceeded"));

    let mut allocations = Vec::new();
    for _ in 0..2 {
        let eip = ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .send()
            .await
            .expect("eip");
        allocations.push(eip.allocation_id().expect("allocation").to_string());
    }
    let error = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect_err("two addresses already");
    assert_eq!(error.code(), Some("AddressLimitExceeded"));
    let attributes = ec2
        .describe_account_attributes()
        .send()
        .await
        .expect("attributes");
    let limit = attributes
        .account_attributes()
        .iter()
        .find(|a| a.attribute_name() == Some("vpc-max-elastic-ips"))
        .and_then(|a| a.attribute_values().first())
        .and_then(|v| v.attribute_value());
    assert_eq!(limit, Some("2"));

    let nat = |subnet: usize, allocation: usize| {
        ec2.create_nat_gateway()
            .subnet_id(&subnets[subnet])
            .allocation_id(&allocations[allocation])
            .send()
    };
    nat(0, 0).await.expect("the first in us-east-1a");
    let error = nat(0, 1).await.expect_err("a second in us-east-1a");
    assert_eq!(error.code(), Some("NatGatewayLimitExceeded"));
    nat(1, 1).await.expect("another zone has its own limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_metadata_lags_a_put_and_only_the_answer_names_the_new_version() {
    let rig = Rig::start(config(r#"{"secret_versions": {"stale_ms": 1500}}"#)).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&rig.sdk(1).await);
    let created = secrets
        .create_secret()
        .name("blog/wordpress")
        .secret_string("{\"v\": 1}")
        .send()
        .await
        .expect("create");
    let first = created.version_id().expect("first version").to_string();
    let put = secrets
        .put_secret_value()
        .secret_id("blog/wordpress")
        .secret_string("{\"v\": 2}")
        .send()
        .await
        .expect("put");
    let second = put.version_id().expect("second version").to_string();
    assert_ne!(first, second);

    let current = || async {
        let described = secrets
            .describe_secret()
            .secret_id("blog/wordpress")
            .send()
            .await
            .expect("describe");
        described
            .version_ids_to_stages()
            .and_then(|stages| {
                stages
                    .iter()
                    .find(|(_, labels)| labels.iter().any(|l| l == "AWSCURRENT"))
                    .map(|(version, _)| version.clone())
            })
            .expect("a current version")
    };
    assert_eq!(
        current().await,
        first,
        "right after the put, still the old one"
    );
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert_eq!(current().await, second, "then the new one");
}

#[tokio::test(flavor = "multi_thread")]
async fn images_report_their_root_snapshot_and_refuse_a_smaller_root_volume() {
    let rig = Rig::start(config(r#"{"images": {"root_snapshot_gib": 30}}"#)).await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    let images = ec2
        .describe_images()
        .owners("amazon")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("al2023-ami-2023.*-arm64")
                .build(),
        )
        .send()
        .await
        .expect("images");
    let image = images.images().first().expect("an AL2023 arm64 image");
    let root = image
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == image.root_device_name())
        .and_then(|m| m.ebs())
        .expect("the root mapping");
    assert_eq!(root.volume_size(), Some(30));
    assert!(
        root.snapshot_id().is_some(),
        "the rest of the answer is moto's"
    );

    let run = |size: i32| {
        ec2.run_instances()
            .image_id(image.image_id().unwrap_or_default())
            .instance_type(aws_sdk_ec2::types::InstanceType::T4gMicro)
            .min_count(1)
            .max_count(1)
            .block_device_mappings(
                aws_sdk_ec2::types::BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        aws_sdk_ec2::types::EbsBlockDevice::builder()
                            .volume_size(size)
                            .build(),
                    )
                    .build(),
            )
            .send()
    };
    let error = run(20).await.expect_err("smaller than the snapshot");
    assert_eq!(error.code(), Some("InvalidBlockDeviceMapping"));
    run(30).await.expect("as large as the snapshot");
    assert_eq!(rig.proxy.stats().faults_of(FaultKind::Error), 1);
}
