//! Waiting until a group serves traffic: `min_size` instances `InService` in Auto Scaling and
//! `healthy` in the target group, reading the group's scaling activities meanwhile so a launch
//! that keeps failing is reported with AWS's own `StatusMessage` instead of a bare timeout.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_sdk_autoscaling::types::{Activity, LifecycleState, ScalingActivityStatusCode};
use tokio::time::Instant;

use crate::aws::elbv2::target_health::healthy_targets;
use crate::aws::{Clients, SendFor};
use crate::error::{ActivityFailure, Result, StackError};
use crate::wait::{self, Bounds, Poll};

/// How long launches may keep failing before the wait gives up with AWS's reason: Auto
/// Scaling retries a failed launch itself, and capacity shortages often clear within minutes.
pub const LAUNCH_FAILURE_PATIENCE: Duration = Duration::from_secs(5 * 60);
/// Activities older than this before the wait began belong to an earlier change.
const ACTIVITY_HORIZON: Duration = Duration::from_secs(10 * 60);
/// What Auto Scaling reports for an instance that passes its health checks.
const HEALTHY: &str = "Healthy";

/// The group's instances that are `InService` and `Healthy` to Auto Scaling, and its `min_size`.
async fn in_service(clients: &Clients, group: &str) -> Result<Option<(i64, BTreeSet<String>)>> {
    let output = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .for_object(group)
        .await?;
    Ok(output.auto_scaling_groups().first().map(|g| {
        let ids = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
            .filter(|i| i.health_status() == Some(HEALTHY))
            .filter_map(|i| i.instance_id())
            .map(str::to_string)
            .collect();
        (g.min_size().map(i64::from).unwrap_or_default(), ids)
    }))
}

/// The newest scaling activity of `group` that started after `since`, when it failed: its
/// `StatusMessage` (else its description).
async fn latest_failed_launch(
    clients: &Clients,
    group: &str,
    since: SystemTime,
) -> Result<Option<String>> {
    let output = clients
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name(group)
        .max_records(10)
        .send()
        .for_object(group)
        .await?;
    Ok(newest_failure(output.activities(), since))
}

fn started_at(activity: &Activity) -> Option<SystemTime> {
    SystemTime::try_from(*activity.start_time()?).ok()
}

/// The newest activity (AWS lists them newest first, checked again here) when it failed.
fn newest_failure(activities: &[Activity], since: SystemTime) -> Option<String> {
    let newest = activities
        .iter()
        .filter(|a| started_at(a).is_none_or(|at| at >= since))
        .max_by_key(|a| started_at(a))?;
    if newest.status_code() != Some(&ScalingActivityStatusCode::Failed) {
        return None;
    }
    let message = newest
        .status_message()
        .or(newest.description())
        .unwrap_or("the launch failed without a message");
    Some(message.to_string())
}

fn launch_failed(group: &str, message: String) -> StackError {
    StackError::ActivityFailed(Box::new(ActivityFailure {
        service: "Auto Scaling",
        operation: "DescribeScalingActivities",
        resource: format!("auto scaling group {group}"),
        activity: "instance launch".to_string(),
        status: "Failed".to_string(),
        message,
    }))
}

/// Failed launches seen so far: since when they keep failing, and AWS's latest reason.
#[derive(Debug, Default)]
struct Failures {
    since: Option<Instant>,
    message: Option<String>,
}

/// Wait until `min_size` of `group`'s instances are `InService` and healthy in
/// `target_group_arn`. Fails with AWS's `StatusMessage` when launches keep failing for
/// [`LAUNCH_FAILURE_PATIENCE`] (scaled like every wait), or when the bounds run out while the
/// latest launch had failed.
pub async fn wait_group_healthy(
    clients: &Clients,
    bounds: &Bounds,
    group: &str,
    target_group_arn: &str,
) -> Result<()> {
    let since = SystemTime::now()
        .checked_sub(ACTIVITY_HORIZON)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let patience = LAUNCH_FAILURE_PATIENCE.mul_f64(bounds.time_scale);
    let failures = Mutex::new(Failures::default());
    let waited = wait::until(
        bounds,
        &format!("auto scaling group {group}"),
        "in service and healthy in its target group",
        || async {
            let Some((min_size, in_service)) = in_service(clients, group).await? else {
                return Ok(Poll::Pending("not visible yet".to_string()));
            };
            let healthy = healthy_targets(clients, target_group_arn).await?;
            let ready = in_service.intersection(&healthy).count() as i64;
            if ready >= min_size {
                return Ok(Poll::Ready(()));
            }
            let failure = latest_failed_launch(clients, group, since).await?;
            let mut seen = failures.lock().unwrap_or_else(|e| e.into_inner());
            match failure {
                Some(message) => {
                    let first = *seen.since.get_or_insert_with(Instant::now);
                    tracing::info!(group, reason = %message, "a launch failed; Auto Scaling retries it");
                    if first.elapsed() >= patience {
                        return Err(launch_failed(group, message));
                    }
                    seen.message = Some(message);
                }
                None => *seen = Failures::default(),
            }
            tracing::info!(
                group,
                in_service = in_service.len(),
                healthy = ready,
                min_size,
                "waiting for instances to be in service and healthy"
            );
            Ok(Poll::Pending(format!(
                "{ready} of {min_size} instances in service and healthy"
            )))
        },
    )
    .await;
    match waited {
        Err(StackError::WaitTimeout { .. }) => {
            let seen = failures.into_inner().unwrap_or_else(|e| e.into_inner());
            match seen.message {
                Some(message) => Err(launch_failed(group, message)),
                None => waited,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::DateTime;

    use super::*;

    fn activity(status: ScalingActivityStatusCode, secs: i64, message: &str) -> Activity {
        Activity::builder()
            .activity_id(format!("a-{secs}"))
            .auto_scaling_group_name("blog-asg")
            .cause("test")
            .start_time(DateTime::from_secs(secs))
            .status_code(status)
            .status_message(message)
            .build()
    }

    #[test]
    fn only_the_newest_activity_counts_and_only_when_it_failed() {
        let since = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let failed_then_ok = [
            activity(ScalingActivityStatusCode::Failed, 150, "no capacity"),
            activity(ScalingActivityStatusCode::Successful, 200, ""),
        ];
        assert_eq!(newest_failure(&failed_then_ok, since), None);
        let ok_then_failed = [
            activity(ScalingActivityStatusCode::Successful, 150, ""),
            activity(ScalingActivityStatusCode::Failed, 200, "no capacity"),
        ];
        assert_eq!(
            newest_failure(&ok_then_failed, since).as_deref(),
            Some("no capacity")
        );
        let too_old = [activity(ScalingActivityStatusCode::Failed, 50, "old")];
        assert_eq!(newest_failure(&too_old, since), None);
    }
}
