//! `database.snapshot_identifier` (issue 17 item 5), through the real Terraform CLI and the
//! fault proxy (RDS states played in front of moto): a stack destroyed keeping its final
//! snapshot comes back as a new stack restored from it (RestoreDBInstanceFromDBSnapshot, then
//! the stack's own password set with ModifyDBInstance), whose re-plan is clean and whose
//! destroy leaves nothing; changing the identifier on the live stack, or writing one that is
//! no snapshot reference or one RDS does not know, fails the plan on the attribute. A restore stopped before the
//! password was set is finished by the next apply (the instance's restore-pending tag).

mod common;
mod fault_support;

use aws_fault_proxy::config::{
    InstanceRefreshConfig, RdsStatesConfig, ScriptedFault, ScriptedKind,
};
use common::assert_nothing_tagged;
use fault_support::{lean_stack_hcl, ADDRESS, ZONE_NAME};
use stack_core::tiers::database::RESTORE_PENDING_TAG;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "restored";
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.002";

fn faults() -> FaultConfig {
    FaultConfig {
        rds_states: Some(RdsStatesConfig {
            creating_ms: 1_000,
            backing_up_ms: 300,
            modifying_ms: 500,
            storage_optimization_ms: 300,
        }),
        instance_refresh: Some(InstanceRefreshConfig {
            pending_ms: 0,
            duration_ms: 200,
            ..InstanceRefreshConfig::default()
        }),
        ..FaultConfig::default()
    }
}

fn stack_hcl(zone_id: &str, database: &str) -> String {
    lean_stack_hcl(STACK, zone_id, "")
        .replace("    skip_final_snapshot = true\n", &format!("{database}\n"))
}

#[tokio::test]
async fn a_destroyed_stack_comes_back_from_its_final_snapshot() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let zone_id = aws
        .create_hosted_zone(ZONE_NAME)
        .await
        .expect("hosted zone");
    let proxy = FaultProxy::start(&moto.endpoint(), faults()).expect("proxy starts");
    let mut tf =
        TerraformDir::with_endpoint("db_restore", &moto, &proxy.endpoint()).expect("work dir");
    tf.add_env(TIME_SCALE_ENV, TIME_SCALE);

    // A malformed identifier is refused before any AWS call.
    tf.write_stack(&stack_hcl(
        &zone_id,
        "    snapshot_identifier = \"not--a-snapshot\"",
    ))
    .expect("write main.tf");
    let refused = tf.plan().assert_failure();
    assert!(
        refused.points_at_attribute("snapshot_identifier"),
        "{}",
        refused.combined()
    );

    // A well-formed identifier RDS does not know fails the plan too (the preflight asks).
    tf.write_stack(&stack_hcl(
        &zone_id,
        "    snapshot_identifier = \"restored-final-missing\"",
    ))
    .expect("write main.tf");
    let before_plan = proxy.stats();
    let missing = tf.plan().assert_failure();
    let shown = missing.combined();
    assert!(
        missing.points_at_attribute("snapshot_identifier"),
        "{shown}"
    );
    assert!(shown.contains("does not exist in this region"), "{shown}");
    assert_eq!(
        proxy.stats().calls_to("rds", "DescribeDBSnapshots")
            - before_plan.calls_to("rds", "DescribeDBSnapshots"),
        1,
        "asked once, at plan"
    );

    // The first site, destroyed keeping its final snapshot.
    tf.write_stack(&stack_hcl(&zone_id, "    skip_final_snapshot = false"))
        .expect("write main.tf");
    tf.apply().assert_success();
    tf.destroy().assert_success();
    let snapshots: Vec<String> = aws
        .rds
        .describe_db_snapshots()
        .send()
        .await
        .expect("describe DB snapshots")
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .filter(|id| id.starts_with(&format!("{STACK}-final-")))
        .map(str::to_string)
        .collect();
    assert_eq!(snapshots.len(), 1, "one final snapshot: {snapshots:?}");
    let snapshot = &snapshots[0];

    // The new stack, restored from it.
    let restored =
        format!("    skip_final_snapshot = true\n    snapshot_identifier = \"{snapshot}\"");
    tf.write_stack(&stack_hcl(&zone_id, &restored))
        .expect("write main.tf");
    let before = proxy.stats();
    // The first ModifyDBInstance (the password) fails: the apply stops with the instance
    // restored but still on the snapshot's password, which its tag says.
    proxy
        .set_config(FaultConfig {
            scripted: vec![ScriptedFault {
                service: Some("rds".into()),
                operation: "ModifyDBInstance".into(),
                nth: Some(0),
                fault: ScriptedKind::Error {
                    status: 400,
                    code: "InvalidParameterCombination".into(),
                    message: Some("played by the test".into()),
                },
            }],
            ..faults()
        })
        .expect("scripted fault");
    tf.apply().assert_failure();
    let pending = aws.db_instance(&format!("{STACK}-db")).await;
    assert!(
        has_tag(&pending, RESTORE_PENDING_TAG),
        "the interrupted restore is marked on the instance"
    );
    proxy.set_config(faults()).expect("faults back");
    tf.run(&["untaint", ADDRESS]).assert_success();
    let resumed_from = proxy.stats();
    tf.apply().assert_success();
    assert!(
        proxy.stats().calls_to("rds", "ModifyDBInstance")
            > resumed_from.calls_to("rds", "ModifyDBInstance"),
        "the resumed apply sets the stack's password"
    );
    let settled = aws.db_instance(&format!("{STACK}-db")).await;
    assert!(
        !has_tag(&settled, RESTORE_PENDING_TAG),
        "settled once the password is set"
    );
    let stats = proxy.stats();
    let calls = |op: &str| stats.calls_to("rds", op) - before.calls_to("rds", op);
    assert_eq!(calls("RestoreDBInstanceFromDBSnapshot"), 1);
    assert_eq!(calls("CreateDBInstance"), 0, "restored, not created empty");
    assert!(
        calls("ModifyDBInstance") >= 1,
        "the stack's own password is set on the restored instance"
    );
    let db = aws.db_instance(&format!("{STACK}-db")).await;
    assert_eq!(db.db_instance_status(), Some("available"));
    tf.plan().assert_code(0);

    // Another snapshot on the live stack would do nothing: refused on the attribute.
    let other =
        format!("    skip_final_snapshot = true\n    snapshot_identifier = \"{snapshot}-2\"");
    tf.write_stack(&stack_hcl(&zone_id, &other))
        .expect("write main.tf");
    let refused = tf.plan().assert_failure();
    let shown = refused.combined();
    assert!(
        refused.points_at_attribute("snapshot_identifier"),
        "{shown}"
    );
    assert!(shown.contains("new stack"), "{shown}");

    tf.write_stack(&stack_hcl(&zone_id, &restored))
        .expect("write main.tf");
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, STACK).await;
}

fn has_tag(db: &aws_sdk_rds::types::DbInstance, key: &str) -> bool {
    db.tag_list().iter().any(|t| t.key() == Some(key))
}
