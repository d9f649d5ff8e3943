//! Pending states: for a set time after an object's creation (or modification), responses
//! that describe it show it still being created, as AWS does for minutes.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::config::{millis, PendingConfig};
use crate::identify::CallId;
use crate::objects::Registry;
use crate::xml;

/// The response body rewritten to show pending states, or `None` when nothing is pending.
pub fn rewrite(
    call: &CallId,
    body: &str,
    registry: &mut Registry,
    config: &PendingConfig,
    now: Instant,
) -> Option<String> {
    let mut clock = Clock { registry, now };
    match (call.service.as_str(), call.operation.as_str()) {
        ("ec2", "DescribeNatGateways" | "CreateNatGateway") => {
            let hold = millis(config.nat_gateway_ms);
            xml::rewrite_states(
                body,
                "natGatewayId",
                &["item", "natGateway"],
                "state",
                |id| clock.since_created(id, hold).then_some("pending"),
            )
        }
        ("rds", "DescribeDBInstances" | "CreateDBInstance" | "ModifyDBInstance") => {
            let (creating, modifying) =
                (millis(config.db_instance_ms), millis(config.db_modify_ms));
            xml::rewrite_states(
                body,
                "DBInstanceIdentifier",
                &["DBInstance"],
                "DBInstanceStatus",
                |id| {
                    if clock.since_created(id, creating) {
                        Some("creating")
                    } else {
                        clock.since_modified(id, modifying).then_some("modifying")
                    }
                },
            )
        }
        ("elasticloadbalancing", "DescribeLoadBalancers" | "CreateLoadBalancer") => {
            let hold = millis(config.load_balancer_ms);
            xml::rewrite_states(body, "LoadBalancerArn", &["member"], "Code", |id| {
                clock.since_created(id, hold).then_some("provisioning")
            })
        }
        ("elasticfilesystem", "DescribeFileSystems" | "CreateFileSystem") => {
            let hold = millis(config.file_system_ms);
            rewrite_json_states(body, "FileSystems", "FileSystemId", |id| {
                clock.since_created(id, hold)
            })
        }
        ("elasticfilesystem", "DescribeMountTargets" | "CreateMountTarget") => {
            let hold = millis(config.mount_target_ms);
            rewrite_json_states(body, "MountTargets", "MountTargetId", |id| {
                clock.since_created(id, hold)
            })
        }
        ("autoscaling", "DescribeAutoScalingGroups" | "DescribeAutoScalingInstances") => {
            let pending = clock.first_seen_within(
                &xml::element_values(body, "InstanceId"),
                "instance",
                millis(config.asg_instance_ms),
            );
            xml::rewrite_states(body, "InstanceId", &["member"], "LifecycleState", |id| {
                pending.contains(id).then_some("Pending")
            })
        }
        ("elasticloadbalancing", "DescribeTargetHealth") => {
            let pending = clock.first_seen_within(
                &xml::element_values(body, "Id"),
                "target",
                millis(config.target_ms),
            );
            xml::rewrite_states(body, "Id", &["member"], "State", |id| {
                pending.contains(id).then_some("initial")
            })
        }
        ("route53", "GetChange" | "ChangeResourceRecordSets") => {
            let hold = millis(config.dns_change_ms);
            xml::rewrite_states(body, "Id", &["ChangeInfo"], "Status", |id| {
                clock.since_created(id, hold).then_some("PENDING")
            })
        }
        _ => None,
    }
}

struct Clock<'r> {
    registry: &'r mut Registry,
    now: Instant,
}

impl Clock<'_> {
    fn since_created(&self, id: &str, hold: Duration) -> bool {
        self.registry
            .created(id)
            .is_some_and(|(_, at)| self.now.duration_since(at) < hold)
    }

    fn since_modified(&self, id: &str, hold: Duration) -> bool {
        self.registry
            .modified(id)
            .is_some_and(|at| self.now.duration_since(at) < hold)
    }

    /// For objects the proxy never sees created: pending for `hold` after first sight.
    /// Returns the ids still pending.
    fn first_seen_within(
        &mut self,
        ids: &[String],
        namespace: &str,
        hold: Duration,
    ) -> HashSet<String> {
        if hold.is_zero() {
            return HashSet::new();
        }
        ids.iter()
            .filter(|id| {
                let first = self
                    .registry
                    .first_seen(&format!("{namespace}:{id}"), self.now);
                self.now.duration_since(first) < hold
            })
            .cloned()
            .collect()
    }
}

/// EFS JSON: set `LifeCycleState` to `creating` on the objects (in `list_key`, or the body
/// itself for a create response) whose `id_key` is pending.
fn rewrite_json_states(
    body: &str,
    list_key: &str,
    id_key: &str,
    pending: impl Fn(&str) -> bool,
) -> Option<String> {
    let mut document: serde_json::Value = serde_json::from_str(body).ok()?;
    let mut changed = false;
    let mut mark = |object: &mut serde_json::Value| {
        let is_pending = object
            .get(id_key)
            .and_then(|id| id.as_str())
            .is_some_and(&pending);
        if is_pending {
            object["LifeCycleState"] = serde_json::Value::from("creating");
            changed = true;
        }
    };
    match document
        .get_mut(list_key)
        .and_then(|list| list.as_array_mut())
    {
        Some(list) => list.iter_mut().for_each(&mut mark),
        None => mark(&mut document),
    }
    changed.then(|| document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, operation: &str) -> CallId {
        CallId {
            service: service.into(),
            operation: operation.into(),
        }
    }

    #[test]
    fn a_new_nat_gateway_reads_pending_until_its_time_is_up() {
        let created = Instant::now();
        let mut registry = Registry::default();
        registry.learn_created(
            &call("ec2", "CreateNatGateway"),
            "<natGateway><natGatewayId>nat-1</natGatewayId></natGateway>",
            created,
        );
        let config = PendingConfig {
            nat_gateway_ms: 1000,
            ..PendingConfig::default()
        };
        let body = "<r><natGatewaySet><item><natGatewayId>nat-1</natGatewayId><state>available</state></item></natGatewaySet></r>";
        let describe = call("ec2", "DescribeNatGateways");
        let early = rewrite(
            &describe,
            body,
            &mut registry,
            &config,
            created + millis(500),
        )
        .unwrap();
        assert!(early.contains("<state>pending</state>"), "{early}");
        assert!(rewrite(
            &describe,
            body,
            &mut registry,
            &config,
            created + millis(1500)
        )
        .is_none());
    }

    #[test]
    fn rds_reads_creating_then_modifying_after_a_modify() {
        let start = Instant::now();
        let mut registry = Registry::default();
        registry.learn_created(
            &call("rds", "CreateDBInstance"),
            "<DBInstance><DBInstanceIdentifier>db</DBInstanceIdentifier></DBInstance>",
            start,
        );
        let config = PendingConfig {
            db_instance_ms: 1000,
            db_modify_ms: 1000,
            ..PendingConfig::default()
        };
        let body = "<DBInstances><DBInstance><DBInstanceIdentifier>db</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus></DBInstance></DBInstances>";
        let describe = call("rds", "DescribeDBInstances");
        assert!(rewrite(&describe, body, &mut registry, &config, start)
            .unwrap()
            .contains(">creating<"));
        assert!(rewrite(
            &describe,
            body,
            &mut registry,
            &config,
            start + millis(1200)
        )
        .is_none());
        registry.learn_modified("db", start + millis(1300));
        assert!(rewrite(
            &describe,
            body,
            &mut registry,
            &config,
            start + millis(1400)
        )
        .unwrap()
        .contains(">modifying<"));
    }

    #[test]
    fn efs_mount_targets_read_creating() {
        let start = Instant::now();
        let mut registry = Registry::default();
        registry.learn_created(
            &call("elasticfilesystem", "CreateMountTarget"),
            r#"{"MountTargetId":"fsmt-1"}"#,
            start,
        );
        let config = PendingConfig {
            mount_target_ms: 1000,
            ..PendingConfig::default()
        };
        let body = r#"{"MountTargets":[{"MountTargetId":"fsmt-1","LifeCycleState":"available"},{"MountTargetId":"fsmt-2","LifeCycleState":"available"}]}"#;
        let out = rewrite(
            &call("elasticfilesystem", "DescribeMountTargets"),
            body,
            &mut registry,
            &config,
            start,
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["MountTargets"][0]["LifeCycleState"], "creating");
        assert_eq!(value["MountTargets"][1]["LifeCycleState"], "available");
    }

    #[test]
    fn target_health_is_initial_from_first_sight() {
        let start = Instant::now();
        let mut registry = Registry::default();
        let config = PendingConfig {
            target_ms: 1000,
            ..PendingConfig::default()
        };
        let body = "<TargetHealthDescriptions><member><Target><Id>i-1</Id><Port>80</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member></TargetHealthDescriptions>";
        let describe = call("elasticloadbalancing", "DescribeTargetHealth");
        let early = rewrite(&describe, body, &mut registry, &config, start).unwrap();
        assert!(early.contains("<State>initial</State>"), "{early}");
        assert!(rewrite(
            &describe,
            body,
            &mut registry,
            &config,
            start + millis(1100)
        )
        .is_none());
    }

    #[test]
    fn a_dns_change_is_pending_then_insync() {
        let start = Instant::now();
        let mut registry = Registry::default();
        let change = "<ChangeResourceRecordSetsResponse><ChangeInfo><Status>INSYNC</Status><Id>/change/C1</Id></ChangeInfo></ChangeResourceRecordSetsResponse>";
        let submit = call("route53", "ChangeResourceRecordSets");
        registry.learn_created(&submit, change, start);
        let config = PendingConfig {
            dns_change_ms: 1000,
            ..PendingConfig::default()
        };
        let early = rewrite(&submit, change, &mut registry, &config, start).unwrap();
        assert!(early.contains("<Status>PENDING</Status>"), "{early}");
        let get = call("route53", "GetChange");
        assert!(rewrite(&get, change, &mut registry, &config, start + millis(1100)).is_none());
    }

    #[test]
    fn asg_instances_are_pending_from_first_sight() {
        let start = Instant::now();
        let mut registry = Registry::default();
        let config = PendingConfig {
            asg_instance_ms: 1000,
            ..PendingConfig::default()
        };
        let body = "<Instances><member><InstanceId>i-1</InstanceId><LifecycleState>InService</LifecycleState></member></Instances>";
        let describe = call("autoscaling", "DescribeAutoScalingGroups");
        assert!(rewrite(&describe, body, &mut registry, &config, start)
            .unwrap()
            .contains(">Pending<"));
        assert!(rewrite(
            &describe,
            body,
            &mut registry,
            &config,
            start + millis(1100)
        )
        .is_none());
    }
}
