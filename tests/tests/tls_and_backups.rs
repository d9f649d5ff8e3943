//! Defaults a production site can keep, through the real Terraform CLI with the fault proxy
//! playing EFS PutBackupPolicy (preset `efs_backups`, which moto lacks):
//! - a new stack's file system has automatic backups and a policy denying access without TLS;
//!   its database names a parameter group of the stack's with `require_secure_transport = ON`
//!   (family of the engine version), and WordPress is told to connect over TLS;
//! - a change of major version moves the instance to the new family's group in place and the
//!   old group goes; `storage.backups = false` turns backups off in place;
//! - each setting changed outside Terraform (policy, parameter, backups) shows in the plan and
//!   is put back by the apply; destroy deletes the parameter group with the rest.

mod service_support;

use aws_fault_proxy::config::{EfsBackupsConfig, InstanceRefreshConfig};
use serde_json::json;
use service_support::{
    group, group_template, resources, template_data, text, user_data, Stack, World,
};
use stack_tests::inspect::hardening::denies_plain_transport;
use stack_tests::inspect::AwsInspector;
use stack_tests::FaultConfig;

const STACK: &str = "tlsdefaults";
const DB: &str = "tlsdefaults-db";

fn presets() -> FaultConfig {
    FaultConfig {
        efs_backups: Some(EfsBackupsConfig { enabling_ms: 300 }),
        instance_refresh: Some(InstanceRefreshConfig {
            pending_ms: 0,
            duration_ms: 200,
            ..InstanceRefreshConfig::default()
        }),
        ..FaultConfig::default()
    }
}

fn stack(engine_version: &str, storage: &str) -> Stack {
    let mut stack = Stack::lean(STACK);
    stack.database = format!(
        "multi_az = false\n    skip_final_snapshot = true\n    engine_version = \"{engine_version}\""
    );
    stack.storage = storage.to_string();
    stack
}

#[tokio::test]
async fn tls_is_required_file_system_backups_are_on_and_both_are_kept() {
    let world = World::start("tls_and_backups").await;
    world.proxy.set_config(presets()).expect("set presets");
    // What the provider sees: the proxy, playing the backup policy API.
    let through_proxy = AwsInspector::connect(&world.proxy.endpoint()).await;

    let applied = world.apply(&stack("8.0", ""));
    world.tf.plan().assert_code(0);
    let fs = text(&applied, "/efs_id").to_string();
    assert_eq!(applied["storage"]["backups"], json!(true), "{applied:#}");
    assert_eq!(
        world.aws.backup_status(&fs).await.as_deref(),
        Some("ENABLED"),
        "backups on from the create"
    );
    let policy = world.aws.file_system_policy(&fs).await.expect("a policy");
    assert!(denies_plain_transport(&policy), "{policy:#}");
    let owned = resources(&applied);
    assert_eq!(owned.get("efs_file_system_policy"), Some(&fs), "{owned:#?}");
    assert_eq!(
        owned.get("db_parameter_group").map(String::as_str),
        Some("tlsdefaults-mysql80")
    );
    assert_eq!(
        world.aws.db_parameter_group_names(DB).await,
        ["tlsdefaults-mysql80"]
    );
    assert_tls_required(&world.aws, "tlsdefaults-mysql80").await;
    let asg = group(&world.aws, text(&applied, "/asg_name")).await;
    let (template, version) = group_template(&asg);
    let script = user_data(&template_data(&world.aws, &template, &version).await);
    assert!(
        script.contains(r#"define("MYSQL_CLIENT_FLAGS", MYSQLI_CLIENT_SSL)"#),
        "WordPress connects over TLS:\n{script}"
    );

    // A major version moves to the new family's group in the same change; backups go off.
    let updated = world.update_in_place(&stack("8.4", "backups = false"));
    assert_eq!(
        world.aws.db_parameter_group_names(DB).await,
        ["tlsdefaults-mysql84"]
    );
    assert_tls_required(&world.aws, "tlsdefaults-mysql84").await;
    assert!(
        !world
            .aws
            .db_parameter_group_exists("tlsdefaults-mysql80")
            .await,
        "the replaced group is deleted"
    );
    assert_eq!(updated["storage"]["backups"], json!(false));
    let status = through_proxy.backup_status(&fs).await;
    assert!(
        matches!(status.as_deref(), Some("DISABLED" | "DISABLING")),
        "{status:?}"
    );

    // Each setting changed outside Terraform is seen and put back.
    let open_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}]});
    world
        .aws
        .efs
        .put_file_system_policy()
        .file_system_id(&fs)
        .policy(open_policy.to_string())
        .send()
        .await
        .expect("put another policy");
    world
        .aws
        .rds
        .modify_db_parameter_group()
        .db_parameter_group_name("tlsdefaults-mysql84")
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("require_secure_transport")
                .parameter_value("OFF")
                .apply_method(aws_sdk_rds::types::ApplyMethod::Immediate)
                .build(),
        )
        .send()
        .await
        .expect("turn TLS off");
    through_proxy
        .efs
        .put_backup_policy()
        .file_system_id(&fs)
        .backup_policy(
            aws_sdk_efs::types::BackupPolicy::builder()
                .status(aws_sdk_efs::types::Status::Enabled)
                .build()
                .expect("policy"),
        )
        .send()
        .await
        .expect("turn backups on out of band");
    let drift = world.tf.plan().assert_code(2);
    for expected in [
        "file system policy denying access without TLS",
        "parameter group mysql8.4 requiring TLS",
        "automatic backups on -> off",
    ] {
        assert!(drift.stdout.contains(expected), "{expected}:\n{drift}");
    }
    world.tf.apply().assert_success();
    world.tf.plan().assert_code(0);
    let policy = world.aws.file_system_policy(&fs).await.expect("a policy");
    assert!(denies_plain_transport(&policy), "{policy:#}");
    assert_tls_required(&world.aws, "tlsdefaults-mysql84").await;
    let status = through_proxy.backup_status(&fs).await;
    assert!(
        matches!(status.as_deref(), Some("DISABLED" | "DISABLING")),
        "{status:?}"
    );
    let calls = world.proxy.stats().calls;
    assert!(
        calls["elasticfilesystem"].get("PutBackupPolicy") >= Some(&2),
        "{calls:#?}"
    );

    world.destroy(STACK).await;
    assert!(
        !world
            .aws
            .db_parameter_group_exists("tlsdefaults-mysql84")
            .await
    );
}

async fn assert_tls_required(aws: &AwsInspector, group: &str) {
    let value = aws.db_parameter(group, "require_secure_transport").await;
    assert!(
        matches!(value.as_deref(), Some("ON" | "1")),
        "{group}: require_secure_transport = {value:?}"
    );
}
