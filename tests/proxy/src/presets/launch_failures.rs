//! Groups that launch nothing: their instances vanish from every Auto Scaling and target
//! health answer, and DescribeScalingActivities (which moto answers empty) reports the failed
//! launches with AWS's `StatusMessage`.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use crate::config::{millis, LaunchFailuresConfig};
use crate::identify::AwsRequest;
use crate::presets::reply::{element, timestamp, Reply, AUTOSCALING_XMLNS};
use crate::presets::templates::Templates;
use crate::xml;

/// Instances hidden so far, with their group, so their targets can be hidden too while the
/// group fails (moto's instance is the one AWS launches once capacity is back).
#[derive(Debug, Default)]
pub struct LaunchFailures {
    vanished: HashMap<String, String>,
}

fn failing(
    group: &str,
    templates: &Templates,
    config: &LaunchFailuresConfig,
    now: Instant,
) -> bool {
    if !config.applies_to(group) {
        return false;
    }
    config.window_ms == 0
        || templates
            .group_created(group)
            .is_none_or(|at| now.duration_since(at) < millis(config.window_ms))
}

impl LaunchFailures {
    /// DescribeScalingActivities for a failing group, answered by the proxy.
    pub fn answer(
        request: &AwsRequest,
        templates: &Templates,
        config: &LaunchFailuresConfig,
        now: Instant,
    ) -> Option<Reply> {
        if request.call.service != "autoscaling"
            || request.call.operation != "DescribeScalingActivities"
        {
            return None;
        }
        let groups: Vec<String> = match request.param("AutoScalingGroupName") {
            Some(group) => vec![group.to_string()],
            None => templates.group_names().map(str::to_string).collect(),
        };
        let failing: Vec<&String> = groups
            .iter()
            .filter(|g| failing(g, templates, config, now))
            .collect();
        if failing.is_empty() {
            return None;
        }
        let members: String = failing
            .iter()
            .enumerate()
            .map(|(n, group)| activity(n, group, config.message(), templates, now))
            .collect();
        Some(Reply::query(
            "DescribeScalingActivities",
            AUTOSCALING_XMLNS,
            &format!("<Activities>{members}</Activities>"),
        ))
    }

    /// Hide the instances of failing groups from moto's answer.
    pub fn rewrite(
        &mut self,
        request: &AwsRequest,
        body: &str,
        templates: &Templates,
        config: &LaunchFailuresConfig,
        now: Instant,
    ) -> Option<String> {
        let is_failing = |group: &str| failing(group, templates, config, now);
        match (
            request.call.service.as_str(),
            request.call.operation.as_str(),
        ) {
            ("autoscaling", "DescribeAutoScalingGroups") => {
                let groups =
                    xml::blocks_where(body, "AutoScalingGroupName", &["member"], is_failing);
                let mut lists = Vec::new();
                for group in groups {
                    let name = xml::element_values(&body[group.clone()], "AutoScalingGroupName");
                    let Some(list) = xml::child_content(body, group, "Instances") else {
                        continue;
                    };
                    let name = name.into_iter().next().unwrap_or_default();
                    for id in xml::element_values(&body[list.clone()], "InstanceId") {
                        self.vanished.insert(id, name.clone());
                    }
                    lists.push(list);
                }
                xml::remove_ranges(body, lists)
            }
            ("autoscaling", "DescribeAutoScalingInstances") => {
                let members =
                    xml::blocks_where(body, "AutoScalingGroupName", &["member"], is_failing);
                for member in &members {
                    let slice = &body[member.clone()];
                    let name = xml::element_values(slice, "AutoScalingGroupName");
                    let name = name.into_iter().next().unwrap_or_default();
                    for id in xml::element_values(slice, "InstanceId") {
                        self.vanished.insert(id, name.clone());
                    }
                }
                xml::remove_ranges(body, members)
            }
            ("elasticloadbalancing", "DescribeTargetHealth") => {
                let targets = xml::blocks_where(body, "Id", &["member"], |id| {
                    self.vanished.get(id).is_some_and(|group| is_failing(group))
                });
                xml::remove_ranges(body, targets)
            }
            _ => None,
        }
    }
}

/// One failed launch, as AWS reports it.
fn activity(n: usize, group: &str, message: &str, templates: &Templates, now: Instant) -> String {
    let started = templates
        .group_created(group)
        .map(|at| SystemTime::now() - now.duration_since(at))
        .unwrap_or_else(SystemTime::now);
    let mut xml = String::from("<member>");
    xml += &element("ActivityId", &format!("fa11ed00-0000-4000-8000-{n:012x}"));
    xml += &element("AutoScalingGroupName", group);
    xml += &element(
        "Description",
        "Launching a new EC2 instance.  Status Reason: Launching EC2 instance failed.",
    );
    xml += &element(
        "Cause",
        &format!(
            "At {} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 1.",
            timestamp(started)
        ),
    );
    xml += &element("StartTime", &timestamp(started));
    xml += &element("EndTime", &timestamp(started));
    xml += &element("StatusCode", "Failed");
    xml += &element("StatusMessage", message);
    xml += &element("Progress", "100");
    xml += "</member>";
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    fn request(service: &str, operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: service.into(),
                operation: operation.into(),
            },
            protocol: Protocol::AwsQuery,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_failing_group_shows_no_instances_and_a_failed_activity() {
        let now = Instant::now();
        let templates = Templates::default();
        let config = LaunchFailuresConfig {
            groups: vec!["web".into()],
            ..LaunchFailuresConfig::default()
        };
        let body = "<AutoScalingGroups><member><AutoScalingGroupName>web</AutoScalingGroupName><Instances><member><InstanceId>i-1</InstanceId></member></Instances></member><member><AutoScalingGroupName>other</AutoScalingGroupName><Instances><member><InstanceId>i-2</InstanceId></member></Instances></member></AutoScalingGroups>";
        let mut failures = LaunchFailures::default();
        let out = failures
            .rewrite(
                &request("autoscaling", "DescribeAutoScalingGroups", &[]),
                body,
                &templates,
                &config,
                now,
            )
            .unwrap();
        assert!(!out.contains("i-1") && out.contains("i-2"), "{out}");
        let health = "<TargetHealthDescriptions><member><Target><Id>i-1</Id></Target></member></TargetHealthDescriptions>";
        let out = failures
            .rewrite(
                &request("elasticloadbalancing", "DescribeTargetHealth", &[]),
                health,
                &templates,
                &config,
                now,
            )
            .unwrap();
        assert!(!out.contains("i-1"), "{out}");
        let recovered = LaunchFailuresConfig {
            groups: vec!["other".into()],
            ..config.clone()
        };
        assert!(
            failures
                .rewrite(
                    &request("elasticloadbalancing", "DescribeTargetHealth", &[]),
                    health,
                    &templates,
                    &recovered,
                    now,
                )
                .is_none(),
            "once the group launches again, its instance's target shows"
        );
        let activities = LaunchFailures::answer(
            &request(
                "autoscaling",
                "DescribeScalingActivities",
                &[("AutoScalingGroupName", "web")],
            ),
            &templates,
            &config,
            now,
        )
        .unwrap();
        assert!(activities.body.contains("<StatusCode>Failed</StatusCode>"));
        assert!(activities.body.contains("sufficient t3.small capacity"));
        assert!(LaunchFailures::answer(
            &request(
                "autoscaling",
                "DescribeScalingActivities",
                &[("AutoScalingGroupName", "other")]
            ),
            &templates,
            &config,
            now,
        )
        .is_none());
    }
}
