//! The physical floor of an apply: the longest chain through the dependencies AWS itself
//! imposes between the stack's objects, each object weighing the time the timing preset makes
//! AWS take for it plus the round trips needed to ask for it and to see it ready.
//!
//! The dependencies are written here, apart from the provider's step graph on purpose: a
//! floor read off the provider's own graph would count whatever that graph makes wait as
//! necessary. An object needs only what AWS refuses to go without (a subnet needs its VPC, a
//! NAT gateway a public subnet and an attached internet gateway) or what it cannot work without
//! (an instance pulls its image through the NAT gateway and mounts EFS through a mount target).
//! Nothing needs the database but the database's own subnet group: WordPress connects to it
//! when it serves a page, not to boot or pass the load balancer's health check.

use std::collections::BTreeMap;

use aws_fault_proxy::PendingConfig;
use stack_core::graph;

use crate::critical_path::CriticalPath;
use crate::stack::StackShape;

/// One AWS object (or a set made in parallel, like one subnet per zone) of the floor's graph.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorObject {
    pub id: &'static str,
    pub needs: Vec<&'static str>,
    /// Calls made one after another to create it (create, then attach or authorize…).
    pub calls: u32,
    /// The simulated AWS time it spends pending, in ms (0 when usable at once).
    pub pending_ms: u64,
}

impl FloorObject {
    /// Its weight on a chain: the pending time, the sequential calls that create it and, when
    /// it is pending at all, one more round trip that sees it ready.
    fn seconds(&self, latency_ms: f64) -> f64 {
        let observe = u32::from(self.pending_ms > 0);
        (self.pending_ms as f64 + f64::from(self.calls + observe) * latency_ms) / 1000.0
    }
}

fn object(id: &'static str, needs: &[&'static str], calls: u32, pending_ms: u64) -> FloorObject {
    FloorObject {
        id,
        needs: needs.to_vec(),
        calls,
        pending_ms,
    }
}

/// The objects of `shape` and what AWS makes each wait for, with the preset's `pending` times.
pub fn aws_dependencies(shape: &StackShape, pending: &PendingConfig) -> Vec<FloorObject> {
    // Healthy instances: the preset counts both the instance's boot and its target's health
    // checks from the first time either is seen, so the two run side by side.
    let fleet_ms = pending.asg_instance_ms.max(pending.target_ms);
    let mut objects = vec![
        object("vpc", &[], 1, 0),
        object("internet_gateway", &["vpc"], 2, 0),
        object("subnets", &["vpc"], 1, 0),
        object("route_tables", &["vpc"], 1, 0),
        object("elastic_ips", &[], 1, 0),
        // AWS refuses a public NAT gateway in a VPC without an attached internet gateway.
        object(
            "nat_gateways",
            &["subnets", "elastic_ips", "internet_gateway"],
            1,
            pending.nat_gateway_ms,
        ),
        object("private_routes", &["route_tables", "nat_gateways"], 2, 0),
        // Create, then authorize ingress naming the other groups.
        object("security_groups", &["vpc"], 2, 0),
        object("db_subnet_group", &["subnets"], 1, 0),
        object(
            "db_instance",
            &["db_subnet_group", "security_groups"],
            1,
            pending.db_instance_ms,
        ),
        object("file_system", &[], 1, pending.file_system_ms),
        object(
            "mount_targets",
            &["file_system", "subnets", "security_groups"],
            1,
            pending.mount_target_ms,
        ),
        object(
            "load_balancer",
            &["subnets", "security_groups"],
            1,
            pending.load_balancer_ms,
        ),
        object("target_group", &["vpc"], 1, 0),
        object("listener", &["load_balancer", "target_group"], 1, 0),
        // Role, then the instance profile holding it.
        object("instance_profile", &[], 2, 0),
        object("secret", &[], 1, 0),
        // Create, then its retention; the instances' awslogs driver never creates it.
        object("log_group", &[], 2, 0),
        object(
            "launch_template",
            &["security_groups", "instance_profile", "secret", "log_group"],
            1,
            0,
        ),
        object(
            "autoscaling_group",
            &["launch_template", "subnets", "target_group"],
            1,
            0,
        ),
        // Booted, image pulled through NAT, EFS mounted, passing the listener's health checks.
        object(
            "healthy_fleet",
            &[
                "autoscaling_group",
                "private_routes",
                "mount_targets",
                "listener",
            ],
            0,
            fleet_ms,
        ),
    ];
    if shape.bastion {
        objects.push(object(
            "bastion",
            &["subnets", "security_groups", "internet_gateway"],
            1,
            0,
        ));
    }
    // The web ACL needs nothing of the stack; its association needs the balancer (a stack's
    // web ACL is on unless its configuration turns it off, which the bench's shapes never do).
    objects.push(object("web_acl", &[], 1, 0));
    objects.push(object(
        "waf_association",
        &["web_acl", "load_balancer"],
        2,
        0,
    ));
    // The alarms (on unless a configuration turns them off, which the bench's shapes never
    // do): the topic needs nothing, the group's metrics collection the group, and each alarm
    // names what it watches by an id AWS gives (one PutMetricAlarm per alarm); the database's
    // and the group's names are the stack's own, so CloudWatch does not wait for them.
    objects.push(object("alarm_topic", &[], 1, 0));
    objects.push(object("group_metrics", &["autoscaling_group"], 1, 0));
    objects.push(object(
        "alarms",
        &[
            "alarm_topic",
            "load_balancer",
            "target_group",
            "file_system",
        ],
        8,
        0,
    ));
    if shape.dns.is_some() {
        // The alias names the load balancer's DNS name, known from its creation.
        objects.push(object(
            "dns_record",
            &["load_balancer"],
            1,
            pending.dns_change_ms,
        ));
    }
    objects
}

/// The longest chain through `objects`, with `latency_ms` per call.
pub fn physical_floor(objects: &[FloorObject], latency_ms: f64) -> Result<CriticalPath, String> {
    let edges: Vec<(String, Vec<String>)> = objects
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                o.needs.iter().map(|n| n.to_string()).collect(),
            )
        })
        .collect();
    let weights: BTreeMap<&str, f64> = objects
        .iter()
        .map(|o| (o.id, o.seconds(latency_ms)))
        .collect();
    let weight = |id: &str| weights.get(id).copied().unwrap_or(0.0);
    let (seconds, steps) = graph::critical_path(&edges, weight).map_err(|e| e.to_string())?;
    Ok(CriticalPath { seconds, steps })
}

/// The dependency list as Markdown lines, for BENCHMARKS.md's method.
pub fn describe(objects: &[FloorObject]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            let needs = if o.needs.is_empty() {
                "nothing".to_string()
            } else {
                o.needs
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "`{}` needs {needs}; {} call(s), pending {:.1} s",
                o.id,
                o.calls,
                o.pending_ms as f64 / 1000.0
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing_preset() -> PendingConfig {
        PendingConfig {
            nat_gateway_ms: 1500,
            load_balancer_ms: 2500,
            db_instance_ms: 12000,
            file_system_ms: 500,
            mount_target_ms: 1500,
            asg_instance_ms: 3000,
            target_ms: 3000,
            dns_change_ms: 1000,
            ..PendingConfig::default()
        }
    }

    fn full() -> StackShape {
        StackShape::full("floor", "10.0.0.0/16", "Z1")
    }

    #[test]
    fn the_database_is_on_no_chain_but_its_own() {
        let objects = aws_dependencies(&full(), &timing_preset());
        for o in &objects {
            assert!(
                o.id == "db_instance" || !o.needs.contains(&"db_instance"),
                "{} must not wait for the database",
                o.id
            );
        }
        // With a 12 s database the floor is the database's own chain.
        let floor = physical_floor(&objects, 0.0).unwrap();
        assert_eq!(floor.steps.last().map(String::as_str), Some("db_instance"));
        assert!((floor.seconds - 12.0).abs() < 1e-9, "{floor:?}");
    }

    #[test]
    fn a_quick_database_leaves_the_fleet_on_the_critical_chain() {
        let pending = PendingConfig {
            db_instance_ms: 1000,
            ..timing_preset()
        };
        let floor = physical_floor(&aws_dependencies(&full(), &pending), 0.0).unwrap();
        // The load balancer (2.5 s) and then the fleet's 3 s outlast NAT (1.5 s) and EFS (2 s).
        let chain: Vec<&str> = floor.steps.iter().map(String::as_str).collect();
        assert!(
            chain.ends_with(&["load_balancer", "listener", "healthy_fleet"]),
            "{chain:?}"
        );
        assert!((floor.seconds - 5.5).abs() < 1e-9, "{floor:?}");
    }

    #[test]
    fn round_trips_weigh_on_every_object_of_the_chain() {
        let objects = aws_dependencies(&full(), &timing_preset());
        let without = physical_floor(&objects, 0.0).unwrap().seconds;
        let with = physical_floor(&objects, 55.0).unwrap().seconds;
        // vpc (1) → subnets (1) → db subnet group (1) → database (create + the poll that sees
        // it): at least four round trips.
        assert!(with - without >= 4.0 * 0.055 - 1e-9, "{without} → {with}");
    }

    #[test]
    fn optional_objects_follow_the_shape() {
        let lean = StackShape::lean("floor", "10.0.0.0/16");
        let ids: Vec<_> = aws_dependencies(&lean, &timing_preset())
            .iter()
            .map(|o| o.id)
            .collect();
        assert!(!ids.contains(&"bastion") && !ids.contains(&"dns_record"));
        let full_ids: Vec<_> = aws_dependencies(&full(), &timing_preset())
            .iter()
            .map(|o| o.id)
            .collect();
        assert!(full_ids.contains(&"bastion") && full_ids.contains(&"dns_record"));
        assert_eq!(
            describe(&aws_dependencies(&full(), &timing_preset())).len(),
            full_ids.len()
        );
    }
}
