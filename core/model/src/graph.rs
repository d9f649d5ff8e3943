//! A dependency-graph executor: runs every node as soon as all of its dependencies have
//! succeeded, independent branches concurrently on the current tokio runtime.
//!
//! The executor knows nothing of AWS: a node is an id, the ids it waits for, and a future.
//! On the first failure it stops launching nodes, cancels `cancel` (so running nodes' waiters
//! return promptly; their objects were recorded as soon as they were created) and drains what
//! is still running before returning that first error. A cancelled `cancel` from outside stops
//! the run the same way.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::error::{Result, StackError};

/// One unit of work and the ids it must wait for.
pub struct Node {
    pub id: String,
    pub deps: Vec<String>,
    pub task: BoxFuture<'static, Result<()>>,
}

impl Node {
    pub fn new(
        id: impl Into<String>,
        deps: Vec<String>,
        task: BoxFuture<'static, Result<()>>,
    ) -> Self {
        Node {
            id: id.into(),
            deps,
            task,
        }
    }
}

/// When each node ran, relative to the start of the run (for logs and benchmarks).
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Node id → (start, end) in seconds since the run started, in completion order.
    pub timings: Vec<(String, f64, f64)>,
}

/// Check the graph: unique ids, known dependencies, no cycle. Returns a topological order.
pub fn topological_order(edges: &[(String, Vec<String>)]) -> Result<Vec<String>> {
    let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, _) in edges {
        if pending.insert(id.as_str(), 0).is_some() {
            return Err(StackError::Internal(format!("step {id} is defined twice")));
        }
    }
    for (id, deps) in edges {
        for dep in deps.iter().collect::<BTreeSet<_>>() {
            if !pending.contains_key(dep.as_str()) {
                return Err(StackError::Internal(format!(
                    "step {id} depends on unknown step {dep}"
                )));
            }
            *pending.entry(id.as_str()).or_default() += 1;
            dependents
                .entry(dep.as_str())
                .or_default()
                .push(id.as_str());
        }
    }
    let mut ready: VecDeque<&str> = pending
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    let mut order = Vec::with_capacity(edges.len());
    while let Some(id) = ready.pop_front() {
        order.push(id.to_string());
        for dependent in dependents.get(id).into_iter().flatten() {
            let count = pending.entry(dependent).or_default();
            *count -= 1;
            if *count == 0 {
                ready.push_back(dependent);
            }
        }
    }
    if order.len() != edges.len() {
        let stuck: Vec<&str> = pending
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(id, _)| *id)
            .collect();
        return Err(StackError::Internal(format!(
            "dependency cycle among steps {stuck:?}"
        )));
    }
    Ok(order)
}

/// The same graph with every edge turned around: a node now waits for the nodes that
/// depended on it. Destroy runs the create graph this way.
pub fn reverse_edges(edges: &[(String, Vec<String>)]) -> Vec<(String, Vec<String>)> {
    let mut reversed: BTreeMap<String, BTreeSet<String>> = edges
        .iter()
        .map(|(id, _)| (id.clone(), BTreeSet::new()))
        .collect();
    for (id, deps) in edges {
        for dep in deps {
            reversed.entry(dep.clone()).or_default().insert(id.clone());
        }
    }
    edges
        .iter()
        .map(|(id, _)| {
            let deps = reversed
                .remove(id)
                .unwrap_or_default()
                .into_iter()
                .collect();
            (id.clone(), deps)
        })
        .collect()
}

/// The longest chain of the graph when node `id` takes `weight(id)`: no executor can finish
/// sooner. Returns its total weight and its node ids, first to last (empty for no nodes).
pub fn critical_path(
    edges: &[(String, Vec<String>)],
    weight: impl Fn(&str) -> f64,
) -> Result<(f64, Vec<String>)> {
    let deps: BTreeMap<&str, &Vec<String>> = edges.iter().map(|(id, d)| (id.as_str(), d)).collect();
    // Earliest finish of each node, and the dependency that finishes last before it.
    let mut finish: BTreeMap<String, (f64, Option<String>)> = BTreeMap::new();
    for id in topological_order(edges)? {
        let before = deps
            .get(id.as_str())
            .into_iter()
            .flat_map(|d| d.iter())
            .filter_map(|dep| Some((finish.get(dep)?.0, dep.clone())))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let start = before.as_ref().map_or(0.0, |(at, _)| *at);
        let end = start + weight(&id);
        finish.insert(id, (end, before.map(|(_, dep)| dep)));
    }
    let Some((last, (total, _))) = finish.iter().max_by(|a, b| a.1 .0.total_cmp(&b.1 .0)) else {
        return Ok((0.0, Vec::new()));
    };
    let total = *total;
    let mut path = vec![last.clone()];
    while let Some(Some(previous)) = path.last().and_then(|id| finish.get(id)).map(|f| &f.1) {
        path.push(previous.clone());
    }
    path.reverse();
    Ok((total, path))
}

/// Run every node, each once all its dependencies succeeded. Returns the first error.
pub async fn run(nodes: Vec<Node>, cancel: &CancellationToken) -> Result<RunReport> {
    let edges: Vec<(String, Vec<String>)> = nodes
        .iter()
        .map(|n| (n.id.clone(), n.deps.clone()))
        .collect();
    topological_order(&edges)?;
    if cancel.is_cancelled() {
        return Err(StackError::Cancelled {
            during: "starting the stack's steps".into(),
        });
    }

    let mut waiting_on: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut dependents: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tasks: BTreeMap<String, BoxFuture<'static, Result<()>>> = BTreeMap::new();
    for node in nodes {
        for dep in &node.deps {
            dependents
                .entry(dep.clone())
                .or_default()
                .push(node.id.clone());
        }
        waiting_on.insert(node.id.clone(), node.deps.into_iter().collect());
        tasks.insert(node.id, node.task);
    }

    let started = Instant::now();
    let mut report = RunReport::default();
    let mut running = FuturesUnordered::new();
    let mut first_error: Option<StackError> = None;
    let launch = |id: String, task: BoxFuture<'static, Result<()>>| async move {
        let start = started.elapsed().as_secs_f64();
        tracing::debug!(step = %id, "step started");
        let outcome = task.await;
        (id, start, started.elapsed().as_secs_f64(), outcome)
    };

    let initially_ready: Vec<String> = waiting_on
        .iter()
        .filter(|(_, deps)| deps.is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    for id in initially_ready {
        waiting_on.remove(&id);
        if let Some(task) = tasks.remove(&id) {
            running.push(launch(id, task));
        }
    }

    loop {
        let finished = tokio::select! {
            biased;
            finished = running.next() => finished,
            _ = cancel.cancelled(), if first_error.is_none() => {
                first_error = Some(StackError::Cancelled { during: "running the stack's steps".into() });
                continue;
            }
        };
        let Some((id, start, end, outcome)) = finished else {
            break;
        };
        report.timings.push((id.clone(), start, end));
        match outcome {
            Ok(()) => {
                tracing::debug!(step = %id, seconds = end - start, "step done");
                if first_error.is_some() {
                    continue;
                }
                for dependent in dependents.get(&id).into_iter().flatten() {
                    let Some(deps) = waiting_on.get_mut(dependent) else {
                        continue;
                    };
                    deps.remove(&id);
                    if deps.is_empty() {
                        waiting_on.remove(dependent);
                        if let Some(task) = tasks.remove(dependent) {
                            running.push(launch(dependent.clone(), task));
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(step = %id, error = %error, "step failed");
                if first_error.is_none() {
                    first_error = Some(error);
                    cancel.cancel();
                }
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use futures::FutureExt;

    use super::*;

    type Log = Arc<Mutex<Vec<String>>>;

    fn edges(spec: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        spec.iter()
            .map(|(id, deps)| (id.to_string(), deps.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    /// A node that sleeps `millis`, then logs "<id>" (or fails when `fail`).
    fn node(log: &Log, id: &str, deps: &[&str], millis: u64, fail: bool) -> Node {
        let log = log.clone();
        let name = id.to_string();
        Node::new(
            id,
            deps.iter().map(|d| d.to_string()).collect(),
            async move {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                if fail {
                    return Err(StackError::Internal(format!("{name} failed")));
                }
                log.lock().unwrap().push(name);
                Ok(())
            }
            .boxed(),
        )
    }

    #[test]
    fn topological_order_respects_every_edge() {
        let graph = edges(&[("c", &["a", "b"]), ("a", &[]), ("b", &["a"]), ("d", &["c"])]);
        let order = topological_order(&graph).unwrap();
        let pos = |id: &str| order.iter().position(|x| x == id).unwrap();
        assert!(pos("a") < pos("b") && pos("b") < pos("c") && pos("c") < pos("d"));
    }

    #[test]
    fn cycles_unknown_deps_and_duplicates_are_refused() {
        assert!(topological_order(&edges(&[("a", &["b"]), ("b", &["a"])])).is_err());
        assert!(topological_order(&edges(&[("a", &["zz"])])).is_err());
        assert!(topological_order(&edges(&[("a", &[]), ("a", &[])])).is_err());
    }

    #[test]
    fn the_critical_path_is_the_heaviest_chain() {
        let edges = vec![
            ("vpc".to_string(), vec![]),
            ("nat".to_string(), vec!["vpc".to_string()]),
            ("db".to_string(), vec!["vpc".to_string()]),
            ("app".to_string(), vec!["nat".to_string(), "db".to_string()]),
            ("dns".to_string(), vec!["vpc".to_string()]),
        ];
        let weight = |id: &str| match id {
            "nat" => 90.0,
            "db" => 720.0,
            "app" => 180.0,
            _ => 1.0,
        };
        let (total, path) = critical_path(&edges, weight).unwrap();
        assert_eq!(path, ["vpc", "db", "app"]);
        assert_eq!(total, 901.0);
        let (total, path) =
            critical_path(&edges, |id| if id == "dns" { 5000.0 } else { 1.0 }).unwrap();
        assert_eq!(
            (total, path),
            (5001.0, vec!["vpc".to_string(), "dns".to_string()])
        );
        assert_eq!(critical_path(&[], |_| 1.0).unwrap(), (0.0, Vec::new()));
        let cycle = vec![
            ("a".to_string(), vec!["b".to_string()]),
            ("b".to_string(), vec!["a".to_string()]),
        ];
        assert!(critical_path(&cycle, |_| 1.0).is_err());
    }

    #[test]
    fn reversed_graph_waits_for_dependents() {
        let reversed = reverse_edges(&edges(&[
            ("vpc", &[]),
            ("subnet", &["vpc"]),
            ("nat", &["subnet"]),
        ]));
        let deps_of = |id: &str| reversed.iter().find(|(n, _)| n == id).unwrap().1.clone();
        assert_eq!(deps_of("vpc"), vec!["subnet".to_string()]);
        assert_eq!(deps_of("subnet"), vec!["nat".to_string()]);
        assert!(deps_of("nat").is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn independent_branches_run_concurrently() {
        let log: Log = Arc::default();
        let nodes = vec![
            node(&log, "vpc", &[], 10, false),
            node(&log, "nat-a", &["vpc"], 1000, false),
            node(&log, "nat-b", &["vpc"], 1000, false),
            node(&log, "rds", &["vpc"], 1000, false),
            node(&log, "routes", &["nat-a", "nat-b"], 10, false),
        ];
        let started = tokio::time::Instant::now();
        let report = run(nodes, &CancellationToken::new()).await.unwrap();
        let elapsed = started.elapsed();
        // Serial would be 3.02 s; the critical path is vpc → nat → routes = 1.02 s.
        assert!(elapsed < Duration::from_millis(1100), "took {elapsed:?}");
        let log = log.lock().unwrap().clone();
        assert_eq!(log.first().map(String::as_str), Some("vpc"));
        assert_eq!(log.last().map(String::as_str), Some("routes"));
        assert_eq!(report.timings.len(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn failure_stops_dependents_but_reports_the_first_error() {
        let log: Log = Arc::default();
        let nodes = vec![
            node(&log, "vpc", &[], 10, false),
            node(&log, "broken", &["vpc"], 10, true),
            node(&log, "after-broken", &["broken"], 10, false),
            node(&log, "sibling", &["vpc"], 5, false),
        ];
        let cancel = CancellationToken::new();
        let error = run(nodes, &cancel).await.unwrap_err();
        assert!(error.to_string().contains("broken failed"), "{error}");
        assert!(
            cancel.is_cancelled(),
            "running siblings must be told to stop"
        );
        let log = log.lock().unwrap().clone();
        assert!(!log.contains(&"after-broken".to_string()));
        assert!(log.contains(&"sibling".to_string()));
    }

    #[tokio::test(start_paused = true)]
    async fn outside_cancellation_stops_launching() {
        let log: Log = Arc::default();
        let nodes = vec![
            node(&log, "slow", &[], 1000, false),
            node(&log, "next", &["slow"], 1, false),
        ];
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            trigger.cancel();
        });
        let error = run(nodes, &cancel).await.unwrap_err();
        assert!(matches!(error, StackError::Cancelled { .. }), "{error}");
        assert!(!log.lock().unwrap().contains(&"next".to_string()));
    }
}
