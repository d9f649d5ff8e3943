//! AWS calls a command made, from the fault proxy's counters before and after it.

use std::collections::BTreeMap;

use aws_fault_proxy::{PendingConfig, Stats};
use stack_core::wait::usual;

use crate::critical_path::pending_ms;

/// service → operation → calls.
pub type Calls = BTreeMap<String, BTreeMap<String, u64>>;

/// The calls made between two snapshots of the proxy's counters.
pub fn between(before: &Stats, after: &Stats) -> Calls {
    let mut made = Calls::new();
    for (service, operations) in &after.calls {
        for (operation, count) in operations {
            let earlier = before.calls_to(service, operation);
            if *count > earlier {
                made.entry(service.clone())
                    .or_default()
                    .insert(operation.clone(), count - earlier);
            }
        }
    }
    made
}

/// `calls` split in two: the calls to `operations` (any service), and the rest.
pub fn split_off(calls: Calls, operations: &[&str]) -> (Calls, Calls) {
    let mut picked = Calls::new();
    let mut rest = Calls::new();
    for (service, ops) in calls {
        for (operation, count) in ops {
            let side = if operations.contains(&operation.as_str()) {
                &mut picked
            } else {
                &mut rest
            };
            side.entry(service.clone())
                .or_default()
                .insert(operation, count);
        }
    }
    (picked, rest)
}

pub fn total(calls: &Calls) -> u64 {
    calls.values().flat_map(|ops| ops.values()).sum()
}

pub fn per_service(calls: &Calls) -> BTreeMap<String, u64> {
    calls
        .iter()
        .map(|(service, ops)| (service.clone(), ops.values().sum()))
        .collect()
}

pub fn of(calls: &Calls, operation: &str) -> u64 {
    calls.values().filter_map(|ops| ops.get(operation)).sum()
}

/// Describe/Get/List calls: lookups before a create and waiter polls alike.
pub fn reads(calls: &Calls) -> u64 {
    calls
        .values()
        .flat_map(|ops| ops.iter())
        .filter(|(operation, _)| is_read(operation))
        .map(|(_, count)| count)
        .sum()
}

fn is_read(operation: &str) -> bool {
    ["Describe", "Get", "List"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// The creates whose object the proxy holds pending, and for how long (ms): the objects the
/// core's steps declare they wait out and that one call creates (`wait::usual::ALL`).
fn pending_creates(pending: &PendingConfig) -> Vec<(&'static str, u64)> {
    usual::ALL
        .iter()
        .filter_map(|awaited| Some((awaited.created_by?, pending_ms(awaited.kind, pending))))
        .collect()
}

/// What AWS itself took, done one thing after another: every simulated creation time of the
/// objects created plus every call's mean latency (seconds).
pub fn simulated_serial_seconds(
    calls: &Calls,
    pending: &PendingConfig,
    mean_latency_ms: f64,
) -> f64 {
    let waiting_ms: u64 = pending_creates(pending)
        .iter()
        .map(|(operation, ms)| of(calls, operation) * ms)
        .sum();
    (waiting_ms as f64 + total(calls) as f64 * mean_latency_ms) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(entries: &[(&str, &str, u64)]) -> Stats {
        let mut stats = Stats::default();
        for (service, operation, count) in entries {
            stats
                .calls
                .entry(service.to_string())
                .or_default()
                .insert(operation.to_string(), *count);
        }
        stats
    }

    #[test]
    fn only_calls_made_in_between_count() {
        let before = stats(&[("ec2", "CreateVpc", 1), ("ec2", "DescribeVpcs", 4)]);
        let after = stats(&[
            ("ec2", "CreateVpc", 1),
            ("ec2", "DescribeVpcs", 7),
            ("rds", "DescribeDBInstances", 2),
            ("rds", "CreateDBInstance", 1),
        ]);
        let made = between(&before, &after);
        assert_eq!(total(&made), 6);
        assert_eq!(reads(&made), 5);
        assert_eq!(of(&made, "CreateVpc"), 0);
        assert_eq!(per_service(&made)["rds"], 3);
        assert!(!made["ec2"].contains_key("CreateVpc"));
    }

    #[test]
    fn configure_calls_are_split_from_the_rest() {
        let made = between(
            &Stats::default(),
            &stats(&[
                ("ec2", "DescribeAvailabilityZones", 1),
                ("ec2", "DescribeVpcs", 1),
                ("iam", "GetRole", 1),
            ]),
        );
        let (configure, rest) = split_off(made, &["DescribeAvailabilityZones"]);
        assert_eq!(total(&configure), 1);
        assert_eq!(total(&rest), 2);
        assert!(!rest["ec2"].contains_key("DescribeAvailabilityZones"));
    }

    #[test]
    fn simulated_work_adds_pending_times_and_latencies() {
        let made = between(
            &Stats::default(),
            &stats(&[
                ("ec2", "CreateNatGateway", 2),
                ("rds", "CreateDBInstance", 1),
                ("ec2", "DescribeVpcs", 7),
            ]),
        );
        let pending = PendingConfig {
            nat_gateway_ms: 1500,
            db_instance_ms: 12000,
            ..PendingConfig::default()
        };
        // 2 × 1.5 s + 12 s + 10 calls × 50 ms
        let seconds = simulated_serial_seconds(&made, &pending, 50.0);
        assert!((seconds - 15.5).abs() < 1e-9, "{seconds}");
    }
}
