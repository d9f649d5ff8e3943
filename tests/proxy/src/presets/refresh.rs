//! The instance-refresh API moto lacks: StartInstanceRefresh, DescribeInstanceRefreshes,
//! CancelInstanceRefresh and RollbackInstanceRefresh, with statuses that move on a clock.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::aws_errors::AwsError;
use crate::config::{millis, InstanceRefreshConfig, RefreshOutcome};
use crate::identify::AwsRequest;
use crate::presets::reply::{element, timestamp, Reply, AUTOSCALING_XMLNS};

/// One refresh as a test reads it back (`FaultProxy::instance_refreshes`, `GET
/// /_proxy/refreshes`): what the caller asked for and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub instance_refresh_id: String,
    pub auto_scaling_group_name: String,
    /// Every `Preferences.*` parameter the caller sent, without the prefix
    /// (`MinHealthyPercentage`, `MaxHealthyPercentage`, `SkipMatching`, `AutoRollback`, ...).
    pub preferences: BTreeMap<String, String>,
    pub strategy: Option<String>,
    /// Whether the caller sent a `DesiredConfiguration`.
    pub desired_configuration: bool,
    /// The status when last described or changed.
    pub status: String,
}

/// A caller's interruption of a running refresh.
#[derive(Debug, Clone, Copy)]
enum Interruption {
    Cancel(Instant),
    Rollback(Instant),
}

#[derive(Debug, Clone)]
struct Refresh {
    record: RefreshRecord,
    started: Instant,
    started_at: SystemTime,
    interrupted: Option<Interruption>,
}

/// Where a refresh stands at one instant.
struct Phase {
    status: &'static str,
    percentage: u32,
    reason: Option<String>,
    /// How long ago it ended, for `EndTime`.
    ended_ago: Option<Duration>,
}

impl Refresh {
    fn auto_rollback(&self) -> bool {
        self.record
            .preferences
            .get("AutoRollback")
            .is_some_and(|v| v == "true")
    }

    fn phase(&self, config: &InstanceRefreshConfig, now: Instant) -> Phase {
        let elapsed = now.duration_since(self.started);
        let pending = millis(config.pending_ms);
        let running = millis(config.duration_ms);
        let unwinding = running / 2;
        let progress = |d: Duration| {
            if running.is_zero() {
                100
            } else {
                (d.as_millis() * 100 / running.as_millis()).min(100) as u32
            }
        };
        let finished = |status, percentage, reason: Option<String>, ended: Instant| Phase {
            status,
            percentage,
            reason,
            ended_ago: Some(now.duration_since(ended)),
        };
        let active = |status, percentage, reason: Option<String>| Phase {
            status,
            percentage,
            reason,
            ended_ago: None,
        };
        if let Some(interruption) = self.interrupted {
            let (unwinding_status, final_status, reason, at) = match interruption {
                Interruption::Cancel(at) => {
                    ("Cancelling", "Cancelled", "Cancelled by the caller", at)
                }
                Interruption::Rollback(at) => (
                    "RollbackInProgress",
                    "RollbackSuccessful",
                    "Rollback requested by the caller",
                    at,
                ),
            };
            let done_at = at + unwinding;
            let reached = progress(at.saturating_duration_since(self.started + pending));
            return if now < done_at {
                active(unwinding_status, reached, Some(reason.to_string()))
            } else {
                finished(final_status, reached, Some(reason.to_string()), done_at)
            };
        }
        if elapsed < pending {
            return active("Pending", 0, None);
        }
        if elapsed < pending + running {
            return active("InProgress", progress(elapsed - pending), None);
        }
        let end = self.started + pending + running;
        let reason = |default: &str| {
            Some(
                config
                    .status_reason
                    .clone()
                    .unwrap_or_else(|| default.to_string()),
            )
        };
        let failed_reason = "An instance refresh failed because instances could not pass their health checks. 1 instance(s) failed to launch or become healthy.";
        let rollback = |last: &'static str| {
            if !self.auto_rollback() {
                return finished("Failed", 50, reason(failed_reason), end);
            }
            if now < end + unwinding {
                active("RollbackInProgress", 50, reason(failed_reason))
            } else {
                finished(last, 50, reason(failed_reason), end + unwinding)
            }
        };
        match config.outcome {
            RefreshOutcome::Successful => finished("Successful", 100, None, end),
            RefreshOutcome::Failed => finished("Failed", 50, reason(failed_reason), end),
            RefreshOutcome::Cancelled => finished(
                "Cancelled",
                50,
                reason("The instance refresh was cancelled."),
                end,
            ),
            RefreshOutcome::RollbackSuccessful => rollback("RollbackSuccessful"),
            RefreshOutcome::RollbackFailed => rollback("RollbackFailed"),
        }
    }
}

fn is_active(status: &str) -> bool {
    matches!(
        status,
        "Pending" | "InProgress" | "Cancelling" | "RollbackInProgress" | "Baking"
    )
}

/// Every refresh started through the proxy.
#[derive(Debug, Default)]
pub struct Refreshes {
    started: Vec<Refresh>,
    counter: u64,
}

impl Refreshes {
    /// Answer one of the four operations, or `None` for any other call.
    pub fn answer(
        &mut self,
        request: &AwsRequest,
        config: &InstanceRefreshConfig,
        now: Instant,
    ) -> Option<Result<Reply, AwsError>> {
        let operation = request.call.operation.as_str();
        if request.call.service != "autoscaling" {
            return None;
        }
        let group = request.param("AutoScalingGroupName").unwrap_or_default();
        self.refresh_statuses(config, now);
        let answer = match operation {
            "StartInstanceRefresh" => self.start(request, group, now),
            "DescribeInstanceRefreshes" => Ok(self.describe(request, group, config, now)),
            "CancelInstanceRefresh" => self.interrupt(group, Interruption::Cancel(now), operation),
            "RollbackInstanceRefresh" => {
                self.interrupt(group, Interruption::Rollback(now), operation)
            }
            _ => return None,
        };
        self.refresh_statuses(config, now);
        Some(answer)
    }

    pub fn records(&self) -> Vec<RefreshRecord> {
        self.started.iter().map(|r| r.record.clone()).collect()
    }

    fn refresh_statuses(&mut self, config: &InstanceRefreshConfig, now: Instant) {
        for refresh in &mut self.started {
            refresh.record.status = refresh.phase(config, now).status.to_string();
        }
    }

    fn active_in(&mut self, group: &str) -> Option<&mut Refresh> {
        self.started
            .iter_mut()
            .find(|r| r.record.auto_scaling_group_name == group && is_active(&r.record.status))
    }

    fn start(
        &mut self,
        request: &AwsRequest,
        group: &str,
        now: Instant,
    ) -> Result<Reply, AwsError> {
        if self.active_in(group).is_some() {
            return Err(AwsError {
                status: 400,
                code: "InstanceRefreshInProgress".into(),
                message: "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.".to_string(),
            });
        }
        self.counter += 1;
        let id = format!("f00dfa17-0000-4000-8000-{:012x}", self.counter);
        let preferences = request
            .params
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("Preferences.")?.to_string(), v.clone())))
            .collect();
        self.started.push(Refresh {
            record: RefreshRecord {
                instance_refresh_id: id.clone(),
                auto_scaling_group_name: group.to_string(),
                preferences,
                strategy: request.param("Strategy").map(str::to_string),
                desired_configuration: request
                    .params
                    .iter()
                    .any(|(k, _)| k.starts_with("DesiredConfiguration.")),
                status: "Pending".to_string(),
            },
            started: now,
            started_at: SystemTime::now(),
            interrupted: None,
        });
        Ok(Reply::query(
            "StartInstanceRefresh",
            AUTOSCALING_XMLNS,
            &element("InstanceRefreshId", &id),
        ))
    }

    fn interrupt(
        &mut self,
        group: &str,
        interruption: Interruption,
        operation: &str,
    ) -> Result<Reply, AwsError> {
        let Some(refresh) = self.active_in(group) else {
            return Err(AwsError {
                status: 400,
                code: "ActiveInstanceRefreshNotFound".into(),
                message: format!(
                    "No in progress or pending Instance Refresh found for Auto Scaling group {group}"
                ),
            });
        };
        refresh.interrupted.get_or_insert(interruption);
        Ok(Reply::query(
            operation,
            AUTOSCALING_XMLNS,
            &element("InstanceRefreshId", &refresh.record.instance_refresh_id),
        ))
    }

    fn describe(
        &self,
        request: &AwsRequest,
        group: &str,
        config: &InstanceRefreshConfig,
        now: Instant,
    ) -> Reply {
        let wanted: Vec<&str> = request
            .params
            .iter()
            .filter(|(k, _)| k.starts_with("InstanceRefreshIds."))
            .map(|(_, v)| v.as_str())
            .collect();
        // AWS lists the most recent refresh first.
        let members: String = self
            .started
            .iter()
            .rev()
            .filter(|r| r.record.auto_scaling_group_name == group)
            .filter(|r| {
                wanted.is_empty() || wanted.contains(&r.record.instance_refresh_id.as_str())
            })
            .map(|r| member(r, &r.phase(config, now), now))
            .collect();
        Reply::query(
            "DescribeInstanceRefreshes",
            AUTOSCALING_XMLNS,
            &format!("<InstanceRefreshes>{members}</InstanceRefreshes>"),
        )
    }
}

fn member(refresh: &Refresh, phase: &Phase, now: Instant) -> String {
    let record = &refresh.record;
    let mut xml = String::from("<member>");
    xml += &element("InstanceRefreshId", &record.instance_refresh_id);
    xml += &element("AutoScalingGroupName", &record.auto_scaling_group_name);
    xml += &element("Status", phase.status);
    if let Some(reason) = &phase.reason {
        xml += &element("StatusReason", reason);
    }
    xml += &element("StartTime", &timestamp(refresh.started_at));
    if let Some(ago) = phase.ended_ago {
        let elapsed = now.duration_since(refresh.started);
        xml += &element("EndTime", &timestamp(refresh.started_at + elapsed - ago));
    }
    xml += &element("PercentageComplete", &phase.percentage.to_string());
    let preferences: String = [
        "MinHealthyPercentage",
        "MaxHealthyPercentage",
        "InstanceWarmup",
        "SkipMatching",
        "AutoRollback",
    ]
    .iter()
    .filter_map(|key| record.preferences.get(*key).map(|v| element(key, v)))
    .collect();
    xml += &format!("<Preferences>{preferences}</Preferences>");
    xml += "</member>";
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    fn request(operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        let mut all = vec![("AutoScalingGroupName".to_string(), "web".to_string())];
        all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        AwsRequest {
            call: CallId {
                service: "autoscaling".into(),
                operation: operation.into(),
            },
            protocol: Protocol::AwsQuery,
            params: all,
        }
    }

    fn config(outcome: RefreshOutcome) -> InstanceRefreshConfig {
        InstanceRefreshConfig {
            pending_ms: 100,
            duration_ms: 1000,
            outcome,
            status_reason: None,
        }
    }

    fn status(refreshes: &mut Refreshes, config: &InstanceRefreshConfig, at: Instant) -> String {
        let reply = refreshes
            .answer(&request("DescribeInstanceRefreshes", &[]), config, at)
            .unwrap()
            .unwrap();
        crate::xml::element_values(&reply.body, "Status")[0].clone()
    }

    #[test]
    fn a_refresh_moves_from_pending_through_progress_to_its_outcome() {
        let start = Instant::now();
        let mut refreshes = Refreshes::default();
        let config = config(RefreshOutcome::Successful);
        let started = refreshes
            .answer(
                &request(
                    "StartInstanceRefresh",
                    &[("Preferences.MinHealthyPercentage", "90")],
                ),
                &config,
                start,
            )
            .unwrap()
            .unwrap();
        assert!(
            started.body.contains("<InstanceRefreshId>"),
            "{}",
            started.body
        );
        assert_eq!(status(&mut refreshes, &config, start), "Pending");
        assert_eq!(
            status(&mut refreshes, &config, start + millis(600)),
            "InProgress"
        );
        let error = refreshes
            .answer(
                &request("StartInstanceRefresh", &[]),
                &config,
                start + millis(600),
            )
            .unwrap()
            .unwrap_err();
        assert_eq!(error.code, "InstanceRefreshInProgress");
        assert_eq!(
            status(&mut refreshes, &config, start + millis(1200)),
            "Successful"
        );
        assert_eq!(
            refreshes.records()[0].preferences["MinHealthyPercentage"],
            "90"
        );
    }

    #[test]
    fn rollback_needs_auto_rollback_and_cancel_needs_an_active_refresh() {
        let start = Instant::now();
        let config = config(RefreshOutcome::RollbackSuccessful);
        let mut without = Refreshes::default();
        without.answer(&request("StartInstanceRefresh", &[]), &config, start);
        assert_eq!(
            status(&mut without, &config, start + millis(1200)),
            "Failed"
        );
        let mut with = Refreshes::default();
        with.answer(
            &request(
                "StartInstanceRefresh",
                &[("Preferences.AutoRollback", "true")],
            ),
            &config,
            start,
        );
        assert_eq!(
            status(&mut with, &config, start + millis(1200)),
            "RollbackInProgress"
        );
        assert_eq!(
            status(&mut with, &config, start + millis(1700)),
            "RollbackSuccessful"
        );
        let error = with
            .answer(
                &request("CancelInstanceRefresh", &[]),
                &config,
                start + millis(1700),
            )
            .unwrap()
            .unwrap_err();
        assert_eq!(error.code, "ActiveInstanceRefreshNotFound");
        let mut cancelled = Refreshes::default();
        cancelled.answer(&request("StartInstanceRefresh", &[]), &config, start);
        cancelled
            .answer(
                &request("CancelInstanceRefresh", &[]),
                &config,
                start + millis(300),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            status(&mut cancelled, &config, start + millis(400)),
            "Cancelling"
        );
        assert_eq!(
            status(&mut cancelled, &config, start + millis(900)),
            "Cancelled"
        );
    }
}
