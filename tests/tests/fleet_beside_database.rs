//! The fleet does not wait for the database, through the real Terraform CLI with the fault
//! proxy playing RDS's `creating` state and the instances' boot and health checks:
//! - while the database is still `creating`, the group's instances are already healthy in the
//!   target group (they boot from a secret that holds only the keys);
//! - once the database is available, the secret's new version carries its host and password,
//!   the group launches from a template version naming that secret version, no instance
//!   refresh was started for it (running instances follow the secret by themselves), and the
//!   next plan is clean.

mod common;
mod fault_support;
mod service_support;

use std::time::{Duration, Instant};

use aws_fault_proxy::config::{InstanceRefreshConfig, InstancesConfig, RdsStatesConfig};
use fault_support::{lean_stack_hcl, ZONE_NAME};
use serde_json::Value;
use service_support::{group, group_template, setting, template_data, text, user_data, ADDRESS};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "besidedb";
const DB_IDENTIFIER: &str = "besidedb-db";
/// The provider's factor on every wait (`wait::TIME_SCALE_ENV`).
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.002";
/// How long the proxy keeps the new database `creating`: room for the whole fleet path
/// (network, NAT, mount targets, balancer, boot, health checks) on a loaded CI machine.
const CREATING: Duration = Duration::from_secs(60);

fn faults() -> FaultConfig {
    FaultConfig {
        rds_states: Some(RdsStatesConfig {
            creating_ms: CREATING.as_millis() as u64,
            backing_up_ms: 500,
            modifying_ms: 500,
            storage_optimization_ms: 500,
        }),
        instances: Some(InstancesConfig {
            boot_ms: 1_000,
            health_ms: 1_000,
            unhealthy: false,
        }),
        // Present so that a refresh, had one been started, would be recorded.
        instance_refresh: Some(InstanceRefreshConfig {
            pending_ms: 0,
            duration_ms: 200,
            ..InstanceRefreshConfig::default()
        }),
        ..FaultConfig::default()
    }
}

/// The database's status and whether a target is healthy, as AWS (the proxy) reports them.
async fn look(through_proxy: &AwsInspector) -> (Option<String>, bool) {
    let status = through_proxy
        .rds
        .describe_db_instances()
        .db_instance_identifier(DB_IDENTIFIER)
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.db_instances()
                .first()
                .and_then(|db| db.db_instance_status().map(str::to_string))
        });
    let Ok(groups) = through_proxy.elbv2.describe_target_groups().send().await else {
        return (status, false);
    };
    let mut healthy = false;
    for arn in groups
        .target_groups()
        .iter()
        .filter_map(|g| g.target_group_arn())
    {
        if let Ok(health) = through_proxy
            .elbv2
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
        {
            healthy |= health.target_health_descriptions().iter().any(|d| {
                d.target_health()
                    .and_then(|h| h.state())
                    .is_some_and(|s| s.as_str() == "healthy")
            });
        }
    }
    (status, healthy)
}

/// The secret's current version id and its JSON.
async fn current_secret(aws: &AwsInspector, secret_id: &str) -> (String, Value) {
    let out = aws
        .secretsmanager
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .expect("get secret value");
    let json = serde_json::from_str(out.secret_string().unwrap_or_default()).expect("JSON");
    (out.version_id().unwrap_or_default().to_string(), json)
}

#[tokio::test]
async fn the_fleet_is_healthy_while_the_database_is_still_being_created() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let zone_id = aws.create_hosted_zone(ZONE_NAME).await.expect("zone");
    let proxy = FaultProxy::start(&moto.endpoint(), faults()).expect("proxy starts");
    let mut tf =
        TerraformDir::with_endpoint("fleet-beside-db", &moto, &proxy.endpoint()).expect("work dir");
    tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
    tf.write_stack(&lean_stack_hcl(STACK, &zone_id, ""))
        .expect("main.tf");
    let through_proxy = AwsInspector::connect(&proxy.endpoint()).await;

    let started = Instant::now();
    let mut apply = tf.spawn(&["apply", "-auto-approve"]).expect("apply starts");
    let mut healthy_while_creating = None;
    while !apply.finished() && started.elapsed() < CREATING * 3 {
        if let (Some(status), true) = look(&through_proxy).await {
            if status == "creating" {
                healthy_while_creating = Some(started.elapsed());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let applied = apply.wait(CREATING * 4);
    let applied = applied.assert_success();
    let seen = healthy_while_creating.unwrap_or_else(|| {
        panic!("no instance was healthy while the database was creating\n{applied}")
    });
    println!("healthy targets while the database was creating, {seen:?} into the apply");

    // The secret's current version carries the database; the group launches from a template
    // version naming exactly that version.
    let values = tf.resource_values(ADDRESS);
    let secret_arn = values["resources"]["app_secret"]
        .as_str()
        .expect("the state records the secret")
        .to_string();
    let (version, secret) = current_secret(&aws, &secret_arn).await;
    assert_eq!(
        secret["db_host"].as_str(),
        Some(text(&values, "/db_endpoint")),
        "the secret holds the database's host:port"
    );
    assert!(secret["db_password"].is_string(), "and its password");
    let asg = group(&aws, text(&values, "/asg_name")).await;
    let (template, in_use) = group_template(&asg);
    assert_eq!(
        in_use,
        values["launch_template_version"].to_string(),
        "the state says which version the group launches from"
    );
    let script = user_data(&template_data(&aws, &template, &in_use).await);
    assert_eq!(
        setting(&script, "SECRET_VERSION"),
        Some(version.as_str()),
        "later launches read the version with the database"
    );
    assert!(
        proxy.instance_refreshes().is_empty(),
        "running instances follow the secret: no refresh"
    );

    tf.plan().assert_code(0);
    tf.destroy().assert_success();
    assert!(
        aws.tagged_objects(STACK).await.expect("census").is_empty(),
        "destroy leaves nothing"
    );
}
