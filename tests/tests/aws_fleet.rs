//! The app fleet as AWS runs it, through the real Terraform CLI with the fault proxy playing
//! what moto lacks (tests/proxy/README.md, "AWS-behaviour presets"):
//! - a fresh instance profile is refused for a while (`iam_propagation`): the first apply
//!   retries exactly those refusals and creates one group;
//! - instances boot `Pending` → `InService` and their targets go `initial` → `healthy`
//!   (`instances`): apply returns only once `min_size` instances are both;
//! - launches that fail (`launch_failures`): the apply fails with AWS's `StatusMessage`;
//! - a launch-template change starts an instance refresh (`instance_refresh`) that launches
//!   before it terminates and rolls back on failure; apply blocks until it ends, fails with its
//!   `StatusReason` when it does not succeed, and awaits a refresh someone else started.

mod common;
mod fault_support;

use std::time::{Duration, Instant};

use aws_fault_proxy::config::RefreshOutcome;
use aws_fault_proxy::config::{
    IamPropagationConfig, InstanceRefreshConfig, InstancesConfig, LaunchFailuresConfig,
};
use aws_fault_proxy::faults::FaultKind;
use fault_support::{lean_stack_hcl, ZONE_NAME};
use stack_tests::harness::terraform::{TerraformDir, TfOutput};
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "fleet";
const GROUP: &str = "fleet-asg";
/// The provider's factor on every wait: the presets' 1 s real stands for about 1 AWS minute.
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.0167";
const TIMEOUTS: &str =
    "  timeouts {\n    create = \"2m\"\n    update = \"2m\"\n    delete = \"2m\"\n  }";

/// One test's moto, hosted zone, proxy and Terraform dir through the proxy.
struct World {
    tf: TerraformDir,
    proxy: FaultProxy,
    /// Clients through the proxy: they see AWS as the provider does.
    through_proxy: AwsInspector,
    zone_id: String,
    _moto: Moto,
}

impl World {
    async fn start(test: &str, faults: FaultConfig) -> World {
        let moto = Moto::start_async().await.expect("moto starts");
        let direct = AwsInspector::for_moto(&moto).await;
        let zone_id = direct
            .create_hosted_zone(ZONE_NAME)
            .await
            .expect("hosted zone");
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let through_proxy = AwsInspector::connect(&proxy.endpoint()).await;
        let mut tf = TerraformDir::with_endpoint(test, &moto, &proxy.endpoint()).expect("work dir");
        tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
        let world = World {
            tf,
            proxy,
            through_proxy,
            zone_id,
            _moto: moto,
        };
        world.write_stack("");
        world
    }

    /// The lean stack with `wordpress` (a block body, may be empty) and the timeouts.
    fn write_stack(&self, wordpress: &str) {
        let extra = if wordpress.is_empty() {
            TIMEOUTS.to_string()
        } else {
            format!("  wordpress {{\n    {wordpress}\n  }}\n{TIMEOUTS}")
        };
        self.tf
            .write_stack(&lean_stack_hcl(STACK, &self.zone_id, &extra))
            .expect("write main.tf");
    }

    /// Target health states of the group's target group, as AWS reports them now.
    async fn target_states(&self) -> Vec<String> {
        let groups = self
            .through_proxy
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(GROUP)
            .send()
            .await
            .expect("describe group");
        let group = groups.auto_scaling_groups().first().expect("the group");
        let arn = group.target_group_arns().first().expect("a target group");
        let health = self
            .through_proxy
            .elbv2
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
            .expect("describe target health");
        health
            .target_health_descriptions()
            .iter()
            .filter_map(|d| d.target_health()?.state())
            .map(|s| s.as_str().to_string())
            .collect()
    }

    /// Lifecycle states of the group's instances, as AWS reports them now.
    async fn instance_states(&self) -> Vec<String> {
        let groups = self
            .through_proxy
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(GROUP)
            .send()
            .await
            .expect("describe group");
        groups
            .auto_scaling_groups()
            .first()
            .expect("the group")
            .instances()
            .iter()
            .filter_map(|i| i.lifecycle_state())
            .map(|s| s.as_str().to_string())
            .collect()
    }
}

/// Terraform wraps diagnostics at 78 columns: compare with every run of white space as one.
#[track_caller]
fn assert_mentions(out: &TfOutput, expected: &str) {
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&out.combined()).contains(&flat(expected)),
        "the output mentions {expected:?}\n{out}"
    );
}

fn timed<T>(run: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = run();
    (value, started.elapsed())
}

fn booting_instances(boot_ms: u64, health_ms: u64) -> InstancesConfig {
    InstancesConfig {
        boot_ms,
        health_ms,
        unhealthy: false,
    }
}

fn refreshes(duration_ms: u64, outcome: RefreshOutcome, reason: Option<&str>) -> FaultConfig {
    FaultConfig {
        instance_refresh: Some(InstanceRefreshConfig {
            pending_ms: 300,
            duration_ms,
            outcome,
            status_reason: reason.map(str::to_string),
        }),
        ..FaultConfig::default()
    }
}

#[tokio::test]
async fn first_apply_rides_out_iam_propagation_and_returns_once_instances_are_healthy() {
    const BOOT_MS: u64 = 3_000;
    const HEALTH_MS: u64 = 3_000;
    let faults = FaultConfig {
        iam_propagation: Some(IamPropagationConfig {
            window_ms: 2_000,
            jitter_ms: 1_000,
        }),
        instances: Some(booting_instances(BOOT_MS, HEALTH_MS)),
        ..FaultConfig::default()
    };
    let world = World::start("fleet_iam_and_health", faults).await;

    world.tf.apply().assert_success();
    let stats = world.proxy.stats();
    let refused = stats
        .fault_log
        .iter()
        .filter(|f| f.kind == FaultKind::Error && f.operation == "CreateAutoScalingGroup")
        .count();
    assert!(
        refused > 0,
        "the proxy refused the fresh profile at least once: {:?}",
        stats.fault_log
    );
    assert_eq!(
        stats.calls_to("autoscaling", "CreateAutoScalingGroup"),
        refused as u64 + 1,
        "retried exactly the refusals, then created once"
    );
    let groups = world
        .through_proxy
        .autoscaling
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect("groups");
    assert_eq!(
        groups.auto_scaling_groups().len(),
        1,
        "one group, no duplicate"
    );

    // Apply returned: the instance must already be InService and its target healthy.
    assert_eq!(world.instance_states().await, vec!["InService"]);
    assert_eq!(world.target_states().await, vec!["healthy"]);
    assert!(
        stats.calls_to("elasticloadbalancing", "DescribeTargetHealth") > 0,
        "the provider read target health"
    );
    world.tf.plan().assert_code(0);
}

#[tokio::test]
async fn a_launch_that_keeps_failing_fails_the_apply_with_aws_status_message() {
    const MESSAGE: &str = "We currently do not have sufficient t3.small capacity in the \
Availability Zone you requested (us-east-1a). Launching EC2 instance failed.";
    let faults = FaultConfig {
        launch_failures: Some(LaunchFailuresConfig {
            groups: vec![GROUP.to_string()],
            status_message: Some(MESSAGE.to_string()),
            window_ms: 0,
        }),
        ..FaultConfig::default()
    };
    let world = World::start("fleet_launch_failures", faults).await;

    let (out, took) = timed(|| world.tf.apply());
    let failed = out.assert_failure();
    assert_mentions(&failed, MESSAGE);
    assert_mentions(&failed, GROUP);
    assert!(
        took < Duration::from_secs(100),
        "the failure is reported well before the 2m timeout: {took:?}"
    );
    let stats = world.proxy.stats();
    assert!(
        stats.calls_to("autoscaling", "DescribeScalingActivities") > 0,
        "the provider read the scaling activities"
    );
}

#[tokio::test]
async fn an_image_change_blocks_until_a_launch_before_terminate_refresh_succeeds() {
    const DURATION_MS: u64 = 4_000;
    let world = World::start(
        "fleet_refresh_success",
        refreshes(DURATION_MS, RefreshOutcome::Successful, None),
    )
    .await;
    world.tf.apply().assert_success();
    assert!(
        world.proxy.instance_refreshes().is_empty(),
        "create refreshes nothing"
    );

    world.write_stack("instance_type = \"t3.medium\"");
    let (out, took) = timed(|| world.tf.apply());
    out.assert_success();
    let started = world.proxy.instance_refreshes();
    assert_eq!(started.len(), 1, "one refresh: {started:#?}");
    let refresh = &started[0];
    assert_eq!(refresh.auto_scaling_group_name, GROUP);
    assert_eq!(
        refresh.status, "Successful",
        "apply returned only once the refresh was seen to succeed"
    );
    assert!(
        took >= Duration::from_millis(DURATION_MS),
        "apply waited: {took:?}"
    );
    let preference = |key: &str| refresh.preferences.get(key).map(String::as_str);
    let min_healthy: u32 = preference("MinHealthyPercentage")
        .and_then(|v| v.parse().ok())
        .expect("MinHealthyPercentage sent");
    assert!(min_healthy >= 90, "{:?}", refresh.preferences);
    assert_eq!(preference("MaxHealthyPercentage"), Some("200"));
    assert_eq!(preference("SkipMatching"), Some("true"));
    assert_eq!(preference("AutoRollback"), Some("true"));
    assert!(
        refresh.desired_configuration,
        "the refresh names the new template version (needed for a rollback)"
    );
    world.tf.plan().assert_code(0);
}

#[tokio::test]
async fn a_refresh_that_rolls_back_or_fails_fails_the_apply_with_its_status_reason() {
    const ROLLED_BACK: &str = "The instance refresh was rolled back: instances failed their \
health checks.";
    const FAILED: &str = "Instance refresh failed: 2 instances failed to launch.";
    let world = World::start(
        "fleet_refresh_failures",
        refreshes(2_000, RefreshOutcome::RollbackSuccessful, Some(ROLLED_BACK)),
    )
    .await;
    world.tf.apply().assert_success();

    world.write_stack("instance_type = \"t3.medium\"");
    let failed = world.tf.apply().assert_failure();
    assert_mentions(&failed, ROLLED_BACK);
    assert_mentions(&failed, "RollbackSuccessful");

    world
        .proxy
        .set_config(refreshes(2_000, RefreshOutcome::Failed, Some(FAILED)))
        .expect("failing refreshes");
    let failed = world.tf.apply().assert_failure();
    assert_mentions(&failed, FAILED);
    let started = world.proxy.instance_refreshes();
    assert_eq!(
        started.len(),
        2,
        "the second apply tried again: {started:#?}"
    );
}

#[tokio::test]
async fn a_refresh_already_in_progress_is_awaited_not_taken_as_done() {
    const DURATION_MS: u64 = 5_000;
    let world = World::start(
        "fleet_refresh_in_progress",
        refreshes(DURATION_MS, RefreshOutcome::Successful, None),
    )
    .await;
    world.tf.apply().assert_success();

    // Someone else's refresh is running when the apply wants its own.
    world
        .through_proxy
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(GROUP)
        .send()
        .await
        .expect("an out-of-band refresh starts");
    world.write_stack("instance_type = \"t3.medium\"");
    let (out, took) = timed(|| world.tf.apply());
    out.assert_success();
    let started = world.proxy.instance_refreshes();
    assert!(
        started.iter().all(|r| r.status == "Successful"),
        "every refresh was seen to its end: {started:#?}"
    );
    assert_eq!(
        started.len(),
        2,
        "the running one, then the apply's own: {started:#?}"
    );
    assert!(
        started[1].desired_configuration,
        "the apply's own refresh names the new version"
    );
    assert!(
        took >= Duration::from_millis(DURATION_MS),
        "apply waited: {took:?}"
    );
    world.tf.plan().assert_code(0);
}
