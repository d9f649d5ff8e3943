//! Pending states: for a set time after an object's creation (or modification), responses
//! that describe it show it still being created, as AWS does for minutes.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::config::{millis, FaultConfig, PendingConfig};
use crate::identify::CallId;
use crate::objects::Registry;
use crate::xml;

/// How long each pending state lasts: the `pending` section, lengthened by the presets that
/// time the same objects (`instances`, `rds_states`).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub pending: PendingConfig,
    /// RDS `backing-up` once `creating` ends.
    pub db_backing_up: Duration,
    /// RDS `storage-optimization` once the `modifying` after a storage change ends.
    pub db_storage_optimization: Duration,
    /// Targets are timed from their instance's first sight (boot, then health checks).
    pub targets_follow_instances: bool,
    /// Targets end `unhealthy` rather than `healthy`.
    pub targets_unhealthy: bool,
}

impl From<PendingConfig> for Timings {
    fn from(pending: PendingConfig) -> Timings {
        Timings {
            pending,
            ..Timings::default()
        }
    }
}

impl Timings {
    pub fn of(config: &FaultConfig) -> Timings {
        let mut timings = Timings::from(config.pending.clone());
        let pending = &mut timings.pending;
        if let Some(instances) = &config.instances {
            pending.asg_instance_ms = pending.asg_instance_ms.max(instances.boot_ms);
            pending.target_ms = pending
                .target_ms
                .max(instances.boot_ms + instances.health_ms);
            timings.targets_follow_instances = true;
            timings.targets_unhealthy = instances.unhealthy;
        }
        if let Some(rds) = &config.rds_states {
            pending.db_instance_ms = pending.db_instance_ms.max(rds.creating_ms);
            pending.db_modify_ms = pending.db_modify_ms.max(rds.modifying_ms);
            timings.db_backing_up = millis(rds.backing_up_ms);
            timings.db_storage_optimization = millis(rds.storage_optimization_ms);
        }
        timings
    }
}

/// The state an RDS instance is in by the proxy's clocks, or `None` when it is `available`
/// as far as they go.
pub fn db_status(
    id: &str,
    registry: &Registry,
    timings: &Timings,
    now: Instant,
) -> Option<&'static str> {
    let since = |at: Instant| now.saturating_duration_since(at);
    let creating = millis(timings.pending.db_instance_ms);
    let modifying = millis(timings.pending.db_modify_ms);
    if let Some((_, created)) = registry.created(id) {
        if since(created) < creating {
            return Some("creating");
        }
        if since(created) < creating + timings.db_backing_up {
            return Some("backing-up");
        }
    }
    if registry
        .modified(id)
        .is_some_and(|at| since(at) < modifying)
    {
        return Some("modifying");
    }
    if registry
        .storage_modified(id)
        .is_some_and(|at| since(at) < modifying + timings.db_storage_optimization)
    {
        return Some("storage-optimization");
    }
    registry.is_stopped(id).then_some("stopped")
}

/// The response body rewritten to show pending states, or `None` when nothing is pending.
pub fn rewrite(
    call: &CallId,
    body: &str,
    registry: &mut Registry,
    timings: &Timings,
    now: Instant,
) -> Option<String> {
    let config = &timings.pending;
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
            xml::rewrite_states(
                body,
                "DBInstanceIdentifier",
                &["DBInstance"],
                "DBInstanceStatus",
                |id| db_status(id, clock.registry, timings, now),
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
            let namespace = if timings.targets_follow_instances {
                "instance"
            } else {
                "target"
            };
            let pending = clock.first_seen_within(
                &xml::element_values(body, "Id"),
                namespace,
                millis(config.target_ms),
            );
            let rewritten = xml::rewrite_states(body, "Id", &["member"], "State", |id| {
                if pending.contains(id) {
                    Some("initial")
                } else {
                    timings.targets_unhealthy.then_some("unhealthy")
                }
            })?;
            Some(rewritten.replace(
                "<State>unhealthy</State></TargetHealth>",
                "<State>unhealthy</State><Reason>Target.FailedHealthChecks</Reason><Description>Health checks failed</Description></TargetHealth>",
            ))
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
        let config = Timings::from(config);
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
        let config = Timings::from(config);
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
        let config = Timings::from(config);
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
        let config = Timings::from(config);
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
        let config = Timings::from(config);
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
        let config = Timings::from(config);
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
