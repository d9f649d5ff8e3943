//! Instance refreshes: replacing a group's instances with ones from a new launch template
//! version, launching before terminating, and rolling back on AWS's side when it fails. The
//! refresh names the new version itself (`DesiredConfiguration`), so a rollback returns the
//! group to the version it ran before.

use std::sync::Mutex;

use aws_sdk_autoscaling::types::{
    DesiredConfiguration, InstanceRefresh, LaunchTemplateSpecification, RefreshPreferences,
};

use crate::aws::propagation::retrying_profile_propagation;
use crate::aws::{Clients, SendFor};
use crate::error::{ActivityFailure, Result, StackError};
use crate::wait::{self, Bounds, Poll};

pub use crate::spec::REFRESH_MIN_HEALTHY_PERCENTAGE;
/// Launch the replacements before terminating what they replace (up to twice the capacity).
pub const REFRESH_MAX_HEALTHY_PERCENTAGE: i32 = 200;

/// A refresh to the template version `version` of `launch_template_id`.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest<'a> {
    pub group: &'a str,
    pub launch_template_id: &'a str,
    pub version: i64,
    /// Seconds a new instance gets before it counts as healthy.
    pub warmup_seconds: i64,
}

/// One refresh as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    pub id: String,
    pub status: String,
    pub percentage_complete: Option<i32>,
    pub status_reason: Option<String>,
    /// The template version it moves the group to, when it names one.
    pub desired_version: Option<String>,
}

/// What a refresh's status means to a caller waiting for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Succeeded,
    /// Failed, cancelled or rolled back: the new version is not what runs.
    Unsuccessful,
}

pub fn outcome(status: &str) -> Outcome {
    match status {
        "Successful" => Outcome::Succeeded,
        "Failed" | "Cancelled" | "RollbackSuccessful" | "RollbackFailed" => Outcome::Unsuccessful,
        // Pending, InProgress, Cancelling, RollbackInProgress, Baking, and any status AWS adds.
        _ => Outcome::Running,
    }
}

fn refresh_from(refresh: &InstanceRefresh) -> Refresh {
    Refresh {
        id: refresh
            .instance_refresh_id()
            .unwrap_or_default()
            .to_string(),
        status: refresh
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        percentage_complete: refresh.percentage_complete(),
        status_reason: refresh.status_reason().map(str::to_string),
        desired_version: refresh
            .desired_configuration()
            .and_then(|d| d.launch_template())
            .and_then(|t| t.version())
            .map(str::to_string),
    }
}

fn i32_of(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn object(group: &str) -> String {
    format!("auto scaling group {group}")
}

/// The group's refreshes, newest first (AWS's order).
pub async fn describe_refreshes(clients: &Clients, group: &str) -> Result<Vec<Refresh>> {
    let output = clients
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(group)
        .send()
        .for_object(object(group))
        .await?;
    Ok(output
        .instance_refreshes()
        .iter()
        .map(refresh_from)
        .collect())
}

/// Start a refresh; `None` when one is already running for the group.
async fn start(clients: &Clients, request: &RefreshRequest<'_>) -> Result<Option<String>> {
    let template = LaunchTemplateSpecification::builder()
        .launch_template_id(request.launch_template_id)
        .version(request.version.to_string())
        .build();
    let result = clients
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(request.group)
        .desired_configuration(
            DesiredConfiguration::builder()
                .launch_template(template)
                .build(),
        )
        .preferences(
            RefreshPreferences::builder()
                .min_healthy_percentage(REFRESH_MIN_HEALTHY_PERCENTAGE)
                .max_healthy_percentage(REFRESH_MAX_HEALTHY_PERCENTAGE)
                .instance_warmup(i32_of(request.warmup_seconds))
                .skip_matching(true)
                .auto_rollback(true)
                .build(),
        )
        .send()
        .for_object(object(request.group))
        .await;
    match result {
        Ok(output) => Ok(Some(
            output.instance_refresh_id().unwrap_or_default().to_string(),
        )),
        Err(error) if error.aws_code() == Some("InstanceRefreshInProgress") => Ok(None),
        Err(error) => Err(error),
    }
}

/// Replace the group's instances with ones from `request.version` and wait until AWS says the
/// refresh succeeded. A refresh already running is awaited first (and adopted when it moves to
/// the same version); the call fails with AWS's `StatusReason` when ours ends `Failed`,
/// `Cancelled`, `RollbackSuccessful` or `RollbackFailed`.
pub async fn refresh_instances(
    clients: &Clients,
    bounds: &Bounds,
    request: &RefreshRequest<'_>,
) -> Result<()> {
    let what = format!("start instance refresh of {}", request.group);
    loop {
        // The template names an instance profile that may be younger than IAM's propagation.
        let started =
            retrying_profile_propagation(bounds, &what, || start(clients, request)).await?;
        if let Some(id) = started {
            tracing::info!(group = request.group, refresh = %id, version = request.version, "instance refresh started");
            return wait_refresh(clients, bounds, request.group, &id).await;
        }
        let running = describe_refreshes(clients, request.group)
            .await?
            .into_iter()
            .find(|r| outcome(&r.status) == Outcome::Running);
        let Some(running) = running else {
            // It ended between the refusal and the read: start ours now.
            continue;
        };
        if running.desired_version.as_deref() == Some(request.version.to_string().as_str()) {
            tracing::info!(group = request.group, refresh = %running.id, "adopting the instance refresh already running to this version");
            return wait_refresh(clients, bounds, request.group, &running.id).await;
        }
        tracing::info!(group = request.group, refresh = %running.id, status = %running.status, "another instance refresh is running; waiting for it to end");
        let ended = wait_for(clients, bounds, request.group, &running.id).await?;
        tracing::info!(group = request.group, refresh = %running.id, status = %ended.status, "the other instance refresh ended");
    }
}

/// Wait until refresh `id` ends and succeeds; fail with its reason otherwise.
pub async fn wait_refresh(clients: &Clients, bounds: &Bounds, group: &str, id: &str) -> Result<()> {
    let ended = wait_for(clients, bounds, group, id).await?;
    if outcome(&ended.status) == Outcome::Succeeded {
        tracing::info!(group, refresh = %id, "instance refresh successful");
        return Ok(());
    }
    Err(StackError::ActivityFailed(Box::new(ActivityFailure {
        service: "Auto Scaling",
        operation: "DescribeInstanceRefreshes",
        resource: object(group),
        activity: format!("instance refresh {id}"),
        status: ended.status,
        message: ended
            .status_reason
            .unwrap_or_else(|| "AWS gave no reason".to_string()),
    })))
}

/// Poll refresh `id` until it ends (whatever the outcome), logging its progress at INFO.
async fn wait_for(clients: &Clients, bounds: &Bounds, group: &str, id: &str) -> Result<Refresh> {
    let last_logged = Mutex::new(None::<(String, Option<i32>)>);
    wait::until(
        bounds,
        &format!("instance refresh {id} of {group}"),
        "finished",
        || async {
            let found = describe_refreshes(clients, group)
                .await?
                .into_iter()
                .find(|r| r.id == id);
            let Some(refresh) = found else {
                return Ok(Poll::Pending("not listed yet".to_string()));
            };
            let seen = Some((refresh.status.clone(), refresh.percentage_complete));
            let mut last = last_logged.lock().unwrap_or_else(|e| e.into_inner());
            if *last != seen {
                tracing::info!(group, refresh = %id, status = %refresh.status, percentage_complete = refresh.percentage_complete.unwrap_or(0), "instance refresh progress");
                *last = seen;
            }
            Ok(match outcome(&refresh.status) {
                Outcome::Running => Poll::Pending(format!(
                    "{} ({}% complete)",
                    refresh.status,
                    refresh.percentage_complete.unwrap_or(0)
                )),
                _ => Poll::Ready(refresh),
            })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unsuccessful_end_is_a_failure_and_rollbacks_in_flight_are_waited_for() {
        assert_eq!(outcome("Successful"), Outcome::Succeeded);
        for status in [
            "Failed",
            "Cancelled",
            "RollbackSuccessful",
            "RollbackFailed",
        ] {
            assert_eq!(outcome(status), Outcome::Unsuccessful, "{status}");
        }
        for status in [
            "Pending",
            "InProgress",
            "Cancelling",
            "RollbackInProgress",
            "Baking",
        ] {
            assert_eq!(outcome(status), Outcome::Running, "{status}");
        }
    }
}
