//! The presets that play how AWS launches instances: IAM propagation, boot and health,
//! launch failures, and the instance-refresh API.

use std::time::Duration;

use aws_fault_proxy::FaultKind;
use aws_sdk_autoscaling::types::{
    InstanceRefreshStatus, LifecycleState, RefreshPreferences, ScalingActivityStatusCode,
};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancingv2::types::{TargetHealthReasonEnum, TargetHealthStateEnum};

use crate::common::*;

async fn target_group(elb: &aws_sdk_elasticloadbalancingv2::Client, vpc: &str) -> String {
    let created = elb
        .create_target_group()
        .name("web")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .send()
        .await
        .expect("target group");
    created.target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string()
}

async fn target_health(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
) -> Vec<aws_sdk_elasticloadbalancingv2::types::TargetHealth> {
    elb.describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .expect("target health")
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target_health().cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_instance_profile_is_refused_until_iam_has_propagated() {
    let rig = Rig::start(config(r#"{"iam_propagation": {"window_ms": 3000}}"#)).await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.create_role()
        .role_name("web")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .expect("role");
    iam.create_instance_profile()
        .instance_profile_name("web")
        .send()
        .await
        .expect("profile");
    iam.add_role_to_instance_profile()
        .instance_profile_name("web")
        .role_name("web")
        .send()
        .await
        .expect("role in profile");
    let propagating = std::time::Instant::now();
    launch_template(&ec2, "web", Some("web")).await;
    launch_template(&ec2, "plain", None).await;
    let asg = aws_sdk_autoscaling::Client::new(&sdk);

    let error = create_group(&asg, "web", "web", &subnets, None)
        .await
        .expect_err("the profile has not propagated");
    assert_eq!(error.code(), Some("ValidationError"));
    let message = error.message().unwrap_or_default();
    assert!(
        message.starts_with(
            "You must use a valid fully-formed launch template. Invalid IAM Instance Profile ARN"
        ),
        "{message}"
    );
    let error = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .name("web")
                .build(),
        )
        .send()
        .await
        .expect_err("RunInstances is refused too");
    assert_eq!(error.code(), Some("InvalidParameterValue"));
    assert!(error
        .message()
        .unwrap_or_default()
        .contains("Invalid IAM Instance Profile name"));
    create_group(&asg, "plain", "plain", &subnets, None)
        .await
        .expect("a template without the profile is fine");

    let refused_for = propagating.elapsed();
    assert!(
        refused_for < Duration::from_millis(3000),
        "slow run: {refused_for:?}"
    );
    tokio::time::sleep(Duration::from_millis(3100) - refused_for).await;
    create_group(&asg, "web", "web", &subnets, None)
        .await
        .expect("propagated");
    assert_eq!(rig.stats().faults_of(FaultKind::Error), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_boot_then_their_targets_pass_health_checks() {
    let rig = Rig::start(config(
        r#"{"instances": {"boot_ms": 1500, "health_ms": 1500}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (vpc, subnets) = vpc_with_subnets(&ec2).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let tg = target_group(&elb, &vpc).await;
    launch_template(&ec2, "web", None).await;
    let asg = aws_sdk_autoscaling::Client::new(&sdk);
    create_group(&asg, "web", "web", &subnets, Some(&tg))
        .await
        .expect("group");
    let lifecycle = || async {
        group_instances(&asg, "web").await[0]
            .lifecycle_state()
            .cloned()
    };
    let health = || async { target_health(&elb, &tg).await[0].state().cloned() };
    assert_eq!(lifecycle().await, Some(LifecycleState::Pending));
    assert_eq!(health().await, Some(TargetHealthStateEnum::Initial));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(lifecycle().await, Some(LifecycleState::InService));
    assert_eq!(health().await, Some(TargetHealthStateEnum::Initial));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(health().await, Some(TargetHealthStateEnum::Healthy));
}

#[tokio::test(flavor = "multi_thread")]
async fn targets_can_be_configured_to_fail_their_health_checks() {
    let rig = Rig::start(config(
        r#"{"instances": {"health_ms": 500, "unhealthy": true}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (vpc, subnets) = vpc_with_subnets(&ec2).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let tg = target_group(&elb, &vpc).await;
    launch_template(&ec2, "web", None).await;
    let asg = aws_sdk_autoscaling::Client::new(&sdk);
    create_group(&asg, "web", "web", &subnets, Some(&tg))
        .await
        .expect("group");
    assert_eq!(
        target_health(&elb, &tg).await[0].state(),
        Some(&TargetHealthStateEnum::Initial)
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let health = target_health(&elb, &tg).await;
    assert_eq!(health[0].state(), Some(&TargetHealthStateEnum::Unhealthy));
    assert_eq!(
        health[0].reason(),
        Some(&TargetHealthReasonEnum::FailedHealthChecks)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_without_capacity_launches_nothing_and_says_why() {
    let rig = Rig::start(config(r#"{"launch_failures": {"groups": ["web"]}}"#)).await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    launch_template(&ec2, "web", None).await;
    let asg = aws_sdk_autoscaling::Client::new(&sdk);
    create_group(&asg, "web", "web", &subnets, None)
        .await
        .expect("web");
    create_group(&asg, "api", "web", &subnets, None)
        .await
        .expect("api");
    assert!(group_instances(&asg, "web").await.is_empty());
    assert_eq!(group_instances(&asg, "api").await.len(), 1);
    let instances = asg
        .describe_auto_scaling_instances()
        .send()
        .await
        .expect("instances");
    assert!(instances
        .auto_scaling_instances()
        .iter()
        .all(|i| i.auto_scaling_group_name() == Some("api")));
    let activities = asg
        .describe_scaling_activities()
        .auto_scaling_group_name("web")
        .send()
        .await
        .expect("activities");
    let activity = &activities.activities()[0];
    assert_eq!(
        activity.status_code(),
        Some(&ScalingActivityStatusCode::Failed)
    );
    assert!(
        activity
            .status_message()
            .unwrap_or_default()
            .starts_with("We currently do not have sufficient t3.small capacity"),
        "{activity:?}"
    );
    let others = asg
        .describe_scaling_activities()
        .auto_scaling_group_name("api")
        .send()
        .await
        .expect("activities of a healthy group");
    assert!(others.activities().is_empty(), "moto's own answer");
}

#[tokio::test(flavor = "multi_thread")]
async fn launch_failures_can_clear_after_a_window_with_a_chosen_message() {
    let rig = Rig::start(config(
        r#"{"launch_failures": {"status_message": "The image id '[ami-1]' does not exist", "window_ms": 1500}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    launch_template(&ec2, "web", None).await;
    let asg = aws_sdk_autoscaling::Client::new(&sdk);
    create_group(&asg, "web", "web", &subnets, None)
        .await
        .expect("web");
    let activities = asg
        .describe_scaling_activities()
        .auto_scaling_group_name("web")
        .send()
        .await
        .expect("activities");
    assert_eq!(
        activities.activities()[0].status_message(),
        Some("The image id '[ami-1]' does not exist")
    );
    assert!(group_instances(&asg, "web").await.is_empty());
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(group_instances(&asg, "web").await.len(), 1);
}

async fn start_refresh(
    asg: &aws_sdk_autoscaling::Client,
    group: &str,
    auto_rollback: bool,
) -> Result<
    String,
    aws_sdk_autoscaling::error::SdkError<
        aws_sdk_autoscaling::operation::start_instance_refresh::StartInstanceRefreshError,
    >,
> {
    let preferences = RefreshPreferences::builder()
        .min_healthy_percentage(90)
        .max_healthy_percentage(200)
        .skip_matching(true)
        .auto_rollback(auto_rollback)
        .build();
    let started = asg
        .start_instance_refresh()
        .auto_scaling_group_name(group)
        .preferences(preferences)
        .send()
        .await?;
    Ok(started.instance_refresh_id().expect("an id").to_string())
}

async fn refresh_status(
    asg: &aws_sdk_autoscaling::Client,
    group: &str,
) -> aws_sdk_autoscaling::types::InstanceRefresh {
    asg.describe_instance_refreshes()
        .auto_scaling_group_name(group)
        .send()
        .await
        .expect("describe refreshes")
        .instance_refreshes()[0]
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_refresh_progresses_to_success_and_blocks_a_second_one() {
    let rig = Rig::start(config(
        r#"{"instance_refresh": {"pending_ms": 300, "duration_ms": 1000}}"#,
    ))
    .await;
    let asg = aws_sdk_autoscaling::Client::new(&rig.sdk(1).await);
    let id = start_refresh(&asg, "web", true).await.expect("started");
    let refresh = refresh_status(&asg, "web").await;
    assert_eq!(refresh.instance_refresh_id(), Some(id.as_str()));
    assert_eq!(refresh.status(), Some(&InstanceRefreshStatus::Pending));
    let error = start_refresh(&asg, "web", true)
        .await
        .expect_err("one at a time");
    assert_eq!(error.code(), Some("InstanceRefreshInProgress"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let refresh = refresh_status(&asg, "web").await;
    assert_eq!(refresh.status(), Some(&InstanceRefreshStatus::InProgress));
    let percentage = refresh.percentage_complete().unwrap_or(0);
    assert!((1..100).contains(&percentage), "{percentage}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let refresh = refresh_status(&asg, "web").await;
    assert_eq!(refresh.status(), Some(&InstanceRefreshStatus::Successful));
    assert_eq!(refresh.percentage_complete(), Some(100));
    assert!(refresh.end_time().is_some());
    let preferences = refresh.preferences().expect("preferences");
    assert_eq!(preferences.min_healthy_percentage(), Some(90));
    assert_eq!(preferences.auto_rollback(), Some(true));

    let recorded = &rig.proxy.instance_refreshes()[0];
    assert_eq!(recorded.instance_refresh_id, id);
    assert_eq!(recorded.preferences["MinHealthyPercentage"], "90");
    assert_eq!(recorded.preferences["MaxHealthyPercentage"], "200");
    assert_eq!(recorded.preferences["SkipMatching"], "true");
    assert_eq!(recorded.preferences["AutoRollback"], "true");
    let (status, body) = http(rig.proxy.addr(), "GET", "/_proxy/refreshes", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"MinHealthyPercentage\":\"90\""), "{body}");
    start_refresh(&asg, "web", true)
        .await
        .expect("a new refresh once the last has ended");
}

#[tokio::test(flavor = "multi_thread")]
async fn refreshes_fail_roll_back_or_are_cancelled_with_a_reason() {
    let rig = Rig::start(config(
        r#"{"instance_refresh": {"duration_ms": 1000, "outcome": "rollback_failed", "status_reason": "instances failed to become healthy"}}"#,
    ))
    .await;
    let asg = aws_sdk_autoscaling::Client::new(&rig.sdk(1).await);
    start_refresh(&asg, "rolls-back", true).await.expect("a");
    start_refresh(&asg, "fails", false).await.expect("b");
    start_refresh(&asg, "cancelled", true).await.expect("c");
    start_refresh(&asg, "rolled-back", true).await.expect("d");
    asg.cancel_instance_refresh()
        .auto_scaling_group_name("cancelled")
        .send()
        .await
        .expect("cancel");
    asg.rollback_instance_refresh()
        .auto_scaling_group_name("rolled-back")
        .send()
        .await
        .expect("rollback");
    assert_eq!(
        refresh_status(&asg, "cancelled").await.status(),
        Some(&InstanceRefreshStatus::Cancelling)
    );
    tokio::time::sleep(Duration::from_millis(1150)).await;
    let rolling = refresh_status(&asg, "rolls-back").await;
    assert_eq!(
        rolling.status(),
        Some(&InstanceRefreshStatus::RollbackInProgress)
    );
    assert_eq!(
        rolling.status_reason(),
        Some("instances failed to become healthy")
    );
    let failed = refresh_status(&asg, "fails").await;
    assert_eq!(
        failed.status(),
        Some(&InstanceRefreshStatus::Failed),
        "no rollback without AutoRollback"
    );
    assert_eq!(
        refresh_status(&asg, "cancelled").await.status(),
        Some(&InstanceRefreshStatus::Cancelled)
    );
    assert_eq!(
        refresh_status(&asg, "rolled-back").await.status(),
        Some(&InstanceRefreshStatus::RollbackSuccessful)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        refresh_status(&asg, "rolls-back").await.status(),
        Some(&InstanceRefreshStatus::RollbackFailed)
    );
    let error = asg
        .cancel_instance_refresh()
        .auto_scaling_group_name("fails")
        .send()
        .await
        .expect_err("nothing to cancel");
    assert_eq!(error.code(), Some("ActiveInstanceRefreshNotFound"));
}
