//! The RDS instance's states and engine versions as AWS plays them (the fault proxy's
//! `rds_states` preset in front of moto), through the real Terraform CLI:
//! - a destroy right after an interrupted create waits out `creating` / `backing-up` and still
//!   takes the final snapshot;
//! - an update that finds the instance `modifying` goes through once the state clears;
//! - a storage change inside the storage-optimization window does not block a password
//!   change: the password is applied, a warning says the storage change waits;
//! - a full pinned version turns auto minor upgrades off;
//! - a version AWS upgraded out of band is never sent back down: the plan shows no change and
//!   a warning says what runs.

mod common;
mod fault_support;

use aws_fault_proxy::config::{InstanceRefreshConfig, RdsStatesConfig};
use aws_fault_proxy::faults::FaultKind;
use fault_support::{lean_stack_hcl, ZONE_NAME};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "rdsstates";
const DB_IDENTIFIER: &str = "rdsstates-db";
/// The provider's factor on every wait (`wait::TIME_SCALE_ENV`): 1 AWS minute = 0.12 s.
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.002";

struct World {
    // Field order matters on drop: the work dir reports moto's log path before moto goes.
    tf: TerraformDir,
    proxy: FaultProxy,
    aws: AwsInspector,
    zone_id: String,
    _moto: Moto,
}

fn rds_states(creating_ms: u64, modifying_ms: u64, storage_optimization_ms: u64) -> FaultConfig {
    FaultConfig {
        rds_states: Some(RdsStatesConfig {
            creating_ms,
            backing_up_ms: 500,
            modifying_ms,
            storage_optimization_ms,
        }),
        // A password change rolls the fleet; the refresh API moto lacks is played quickly.
        instance_refresh: Some(InstanceRefreshConfig {
            pending_ms: 0,
            duration_ms: 200,
            ..InstanceRefreshConfig::default()
        }),
        ..FaultConfig::default()
    }
}

/// `database { ... }` settings beyond the lean stack's, and a `timeouts` block.
fn stack_hcl(zone_id: &str, database: &str, timeouts: &str) -> String {
    lean_stack_hcl(STACK, zone_id, timeouts)
        .replace("    skip_final_snapshot = true\n", &format!("{database}\n"))
}

fn timeouts(create: &str, update: &str, delete: &str) -> String {
    format!(
        "  timeouts {{\n    create = \"{create}\"\n    update = \"{update}\"\n    delete = \"{delete}\"\n  }}"
    )
}

impl World {
    async fn start(test: &str, faults: FaultConfig) -> World {
        let moto = Moto::start_async().await.expect("moto starts");
        let aws = AwsInspector::for_moto(&moto).await;
        let zone_id = aws
            .create_hosted_zone(ZONE_NAME)
            .await
            .expect("hosted zone");
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let mut tf = TerraformDir::with_endpoint(test, &moto, &proxy.endpoint()).expect("work dir");
        tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
        World {
            tf,
            proxy,
            aws,
            zone_id,
            _moto: moto,
        }
    }

    fn write(&self, database: &str, timeouts: &str) {
        self.tf
            .write_stack(&stack_hcl(&self.zone_id, database, timeouts))
            .expect("write main.tf");
    }

    async fn final_snapshots(&self) -> Vec<String> {
        let out = self
            .aws
            .rds
            .describe_db_snapshots()
            .send()
            .await
            .expect("describe DB snapshots");
        out.db_snapshots()
            .iter()
            .filter_map(|s| s.db_snapshot_identifier())
            .filter(|id| id.starts_with(&format!("{STACK}-final-")))
            .map(str::to_string)
            .collect()
    }

    fn modify_calls(&self) -> u64 {
        self.proxy.stats().calls_to("rds", "ModifyDBInstance")
    }
}

#[tokio::test]
async fn destroy_right_after_an_interrupted_create_takes_the_final_snapshot() {
    // The instance stays `creating` well past the create timeout.
    let world = World::start("db_destroy_creating", rds_states(20_000, 1_000, 1_000)).await;
    world.write(
        "    skip_final_snapshot = false",
        &timeouts("6s", "1m", "1m"),
    );
    world.tf.apply().assert_failure();
    // Moto knows no states: the proxy plays them, so ask through it.
    let through_proxy = AwsInspector::connect(&world.proxy.endpoint()).await;
    assert_eq!(
        through_proxy
            .db_instance(DB_IDENTIFIER)
            .await
            .db_instance_status(),
        Some("creating"),
        "the create was interrupted while the instance was still creating"
    );

    world.tf.destroy().assert_success();
    let snapshots = world.final_snapshots().await;
    assert_eq!(snapshots.len(), 1, "one final snapshot: {snapshots:?}");
    let left = world
        .aws
        .rds
        .describe_db_instances()
        .send()
        .await
        .expect("describe DB instances");
    assert!(left.db_instances().is_empty(), "the instance is gone");
}

#[tokio::test]
async fn an_update_that_finds_the_instance_modifying_goes_through_once_it_clears() {
    let world = World::start("db_update_modifying", rds_states(500, 4_000, 1_000)).await;
    let timeouts = timeouts("2m", "1m", "1m");
    world.write("    skip_final_snapshot = true", &timeouts);
    world.tf.apply().assert_success();

    // Someone else (a console change) starts a modification through the proxy.
    let console = AwsInspector::connect(&world.proxy.endpoint()).await;
    console
        .rds
        .modify_db_instance()
        .db_instance_identifier(DB_IDENTIFIER)
        .backup_retention_period(7)
        .apply_immediately(true)
        .send()
        .await
        .expect("out-of-band modification");
    world.write(
        "    skip_final_snapshot = true\n    backup_retention_days = 7\n    instance_class = \"db.t3.small\"",
        &timeouts,
    );
    world.tf.apply().assert_success();
    let db = world.aws.db_instance(DB_IDENTIFIER).await;
    assert_eq!(db.db_instance_class(), Some("db.t3.small"));
    let refused = world
        .proxy
        .stats()
        .fault_log
        .iter()
        .filter(|f| f.operation == "ModifyDBInstance" && f.kind == FaultKind::Error)
        .count();
    assert_eq!(
        refused, 0,
        "the provider waited for `available` instead of being refused"
    );
    world.tf.destroy().assert_success();
}

#[tokio::test]
async fn a_storage_change_waiting_for_optimization_does_not_block_a_password_change() {
    // Storage optimisation lasts hours on AWS: far past every timeout of the test.
    let world = World::start("db_storage_optimization", rds_states(500, 1_000, 600_000)).await;
    let timeouts = timeouts("2m", "30s", "1m");
    world.write("    skip_final_snapshot = true", &timeouts);
    world.tf.apply().assert_success();

    world.write(
        "    skip_final_snapshot = true\n    allocated_storage = 30",
        &timeouts,
    );
    world.tf.apply().assert_success();
    assert_eq!(
        world
            .aws
            .db_instance(DB_IDENTIFIER)
            .await
            .allocated_storage(),
        Some(30)
    );

    let before = world.modify_calls();
    world.write(
        "    skip_final_snapshot = true\n    allocated_storage = 40\n    password = \"a-n3w-passw0rd\"",
        &timeouts,
    );
    let applied = world.tf.apply().assert_success();
    let text = applied.combined();
    assert!(
        text.contains("Warning: The database storage change waits")
            && text.contains("stays at 30 GiB"),
        "a warning says the storage change waits:\n{text}"
    );
    assert_eq!(world.modify_calls(), before + 1, "the password was sent");
    let combination = world
        .proxy
        .stats()
        .fault_log
        .iter()
        .filter(|f| f.operation == "ModifyDBInstance" && f.kind == FaultKind::Error)
        .count();
    assert_eq!(combination, 0, "no modification was refused");
    assert_eq!(
        world
            .aws
            .db_instance(DB_IDENTIFIER)
            .await
            .allocated_storage(),
        Some(30),
        "the storage change waits for the optimisation to end"
    );
    let plan = world.tf.plan();
    assert_eq!(
        plan.code,
        Some(2),
        "the storage change is still planned:\n{}",
        plan.combined()
    );
    world.tf.destroy().assert_success();
}

#[tokio::test]
async fn a_pinned_version_turns_auto_minor_upgrades_off() {
    let world = World::start("db_pinned_version", rds_states(500, 500, 500)).await;
    world.write(
        "    skip_final_snapshot = true\n    engine_version = \"8.0.35\"",
        &timeouts("2m", "1m", "1m"),
    );
    world.tf.apply().assert_success();
    let db = world.aws.db_instance(DB_IDENTIFIER).await;
    assert_eq!(db.engine_version(), Some("8.0.35"));
    assert_eq!(db.auto_minor_version_upgrade(), Some(false));
    world.tf.destroy().assert_success();
}

#[tokio::test]
async fn a_version_upgraded_out_of_band_is_not_sent_back_down() {
    let world = World::start("db_upgraded_out_of_band", rds_states(500, 500, 500)).await;
    world.write(
        "    skip_final_snapshot = true\n    engine_version = \"8.0\"",
        &timeouts("2m", "1m", "1m"),
    );
    world.tf.apply().assert_success();
    let db = world.aws.db_instance(DB_IDENTIFIER).await;
    assert_eq!(
        db.auto_minor_version_upgrade(),
        Some(true),
        "a major.minor version keeps auto minor upgrades"
    );

    // AWS upgrades the engine behind Terraform's back (moto directly, no proxy state).
    world
        .aws
        .rds
        .modify_db_instance()
        .db_instance_identifier(DB_IDENTIFIER)
        .engine_version("8.4.3")
        .allow_major_version_upgrade(true)
        .apply_immediately(true)
        .send()
        .await
        .expect("upgrade in moto");
    assert_eq!(
        world.aws.db_instance(DB_IDENTIFIER).await.engine_version(),
        Some("8.4.3")
    );

    let plan = world.tf.plan();
    let text = plan.combined();
    assert_eq!(plan.code, Some(0), "no change planned:\n{text}");
    assert!(
        text.contains("Warning: The database runs a newer engine than configured")
            && text.contains("runs MySQL 8.4.3"),
        "a warning says what runs:\n{text}"
    );
    world.tf.destroy().assert_success();
}
