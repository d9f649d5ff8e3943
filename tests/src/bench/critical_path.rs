//! The critical path of the provider's own step graph: the longest chain of steps, each
//! weighted by how long it took in the run. It shows where the provider's time goes; it is no
//! floor, since whatever the graph makes wait counts as necessary on it (the floor is
//! `physical_floor.rs`).

use std::collections::BTreeMap;

use aws_fault_proxy::PendingConfig;
use stack_core::engine::GraphStep;
use stack_core::graph;

/// The longest chain and its length.
#[derive(Debug, Clone, PartialEq)]
pub struct CriticalPath {
    pub seconds: f64,
    /// The steps of the chain, first to last.
    pub steps: Vec<String>,
}

/// Longest path through `edges` (`(step, steps it waits for)`), a step weighing its entry in
/// `durations` (0 when the run did not time it: a no-op step). The core's
/// `graph::critical_path` does the walk.
pub fn critical_path(
    edges: &[(String, Vec<String>)],
    durations: &BTreeMap<String, f64>,
) -> Result<CriticalPath, String> {
    let weight = |id: &str| durations.get(id).copied().unwrap_or(0.0);
    let (seconds, steps) = graph::critical_path(edges, weight).map_err(|e| e.to_string())?;
    Ok(CriticalPath { seconds, steps })
}

pub fn edges_of(steps: &[GraphStep]) -> Vec<(String, Vec<String>)> {
    steps
        .iter()
        .map(|step| (step.id.clone(), step.deps.clone()))
        .collect()
}

/// The proxy's simulated time for a pending kind (the core names them like the proxy's
/// settings, `stack_core::wait::usual::Awaited::kind`); the bastion's boot (`instance`) is
/// not simulated.
pub(crate) fn pending_ms(kind: &str, pending: &PendingConfig) -> u64 {
    match kind {
        "nat_gateway" => pending.nat_gateway_ms,
        "load_balancer" => pending.load_balancer_ms,
        "db_instance" => pending.db_instance_ms,
        "file_system" => pending.file_system_ms,
        "mount_target" => pending.mount_target_ms,
        "asg_instance" => pending.asg_instance_ms,
        "dns_change" => pending.dns_change_ms,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(spec: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        spec.iter()
            .map(|(id, deps)| (id.to_string(), deps.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    fn durations(spec: &[(&str, f64)]) -> BTreeMap<String, f64> {
        spec.iter().map(|(id, s)| (id.to_string(), *s)).collect()
    }

    #[test]
    fn the_longest_weighted_chain_wins_not_the_one_with_most_steps() {
        let graph = edges(&[
            ("vpc", &[]),
            ("subnet", &["vpc"]),
            ("routes", &["subnet"]),
            ("sg", &["vpc"]),
            ("rds", &["subnet", "sg"]),
            ("app", &["rds", "routes"]),
        ]);
        let timed = durations(&[
            ("vpc", 0.2),
            ("subnet", 0.2),
            ("routes", 0.3),
            ("sg", 0.5),
            ("rds", 12.0),
            ("app", 0.5),
        ]);
        let path = critical_path(&graph, &timed).unwrap();
        assert!((path.seconds - 13.2).abs() < 1e-9, "{path:?}");
        assert_eq!(path.steps, ["vpc", "sg", "rds", "app"]);
    }

    #[test]
    fn untimed_steps_weigh_nothing_and_cycles_are_refused() {
        let graph = edges(&[("a", &[]), ("b", &["a"])]);
        let path = critical_path(&graph, &durations(&[("b", 1.5)])).unwrap();
        assert_eq!(path.seconds, 1.5);
        assert_eq!(path.steps, ["a", "b"]);
        assert!(critical_path(&edges(&[("a", &["b"]), ("b", &["a"])]), &BTreeMap::new()).is_err());
        assert_eq!(critical_path(&[], &BTreeMap::new()).unwrap().seconds, 0.0);
    }
}
