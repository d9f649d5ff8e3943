//! The proxy configurations of the runs, and reading the proxy's call counts.

use std::collections::{BTreeMap, BTreeSet};

use aws_fault_proxy::config::{ScriptedFault, ScriptedKind};
use aws_fault_proxy::{FaultConfig, FaultKind};

use crate::workspace_root;

use super::RunError;

/// The fault mix every run draws from.
pub const FAULTS_FILE: &str = "tests/proxy/configs/faults-10pct.json";
/// Where the AWS behaviours moto lacks come from (instances booting, IAM propagating late, RDS
/// states, instance refreshes...): every run plays them on top of the faults.
pub const PRESETS_FILE: &str = "tests/proxy/configs/aws-realistic.json";

/// [`FAULTS_FILE`] with `seed`, and [`PRESETS_FILE`]'s AWS-behaviour presets on.
pub fn faults_config(seed: u64) -> Result<FaultConfig, RunError> {
    let read = |file: &str| {
        let path = workspace_root().join(file);
        FaultConfig::from_file(&path)
            .map_err(|e| RunError::Setup(format!("{}: {e}", path.display())))
    };
    let mut config = read(FAULTS_FILE)?.with_presets_of(&read(PRESETS_FILE)?);
    config.seed = seed;
    Ok(config)
}

/// The kill runs' proxy: the 10 % preset's latency, consistency, DependencyViolation and
/// pending states, with its random faults too, so the kill lands in a realistic apply.
pub fn kill_config(seed: u64) -> Result<FaultConfig, RunError> {
    faults_config(seed)
}

/// `(service, operation)` of every call that changes something: all but `Describe*`, `Get*`
/// and `List*`.
pub fn write_operations(
    calls: &BTreeMap<String, BTreeMap<String, u64>>,
) -> BTreeSet<(String, String)> {
    calls
        .iter()
        .flat_map(|(service, ops)| {
            ops.iter()
                .filter(|(_, &n)| n > 0)
                .map(move |(op, _)| (service.clone(), op.clone()))
        })
        .filter(|(_, op)| {
            !["Describe", "Get", "List"]
                .iter()
                .any(|p| op.starts_with(p))
        })
        .collect()
}

/// Calls of `total` not already counted in `before` (e.g. the destroy phase of a run).
pub fn calls_since(
    before: &BTreeMap<String, BTreeMap<String, u64>>,
    total: &BTreeMap<String, BTreeMap<String, u64>>,
) -> BTreeMap<String, BTreeMap<String, u64>> {
    total
        .iter()
        .map(|(service, ops)| {
            let earlier = before.get(service);
            let later = ops
                .iter()
                .map(|(op, &n)| {
                    let seen = earlier.and_then(|e| e.get(op)).copied().unwrap_or(0);
                    (op.clone(), n.saturating_sub(seen))
                })
                .collect();
            (service.clone(), later)
        })
        .collect()
}

/// A config whose only faults drop the response of call `nth` of each of `operations` (moto
/// has executed it; the SDK sees a broken connection).
pub fn drop_after_each(operations: &[(String, String)], nth: u64) -> FaultConfig {
    FaultConfig {
        scripted: operations
            .iter()
            .map(|(service, operation)| ScriptedFault {
                service: Some(service.clone()),
                operation: operation.clone(),
                nth: Some(nth),
                fault: ScriptedKind::DropAfter,
            })
            .collect(),
        ..FaultConfig::default()
    }
}

pub(super) fn fault_breakdown(faults: &BTreeMap<FaultKind, u64>) -> String {
    let parts: Vec<String> = faults
        .iter()
        .filter(|(kind, _)| **kind != FaultKind::Pending)
        .map(|(kind, n)| format!("{n} {}", fault_name(*kind)))
        .collect();
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(", ")
    }
}

pub(super) fn fault_name(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Throttle => "throttle",
        FaultKind::ServerError => "5xx",
        FaultKind::DropBefore => "drop-before",
        FaultKind::DropAfter => "drop-after",
        FaultKind::NotFound => "not-found",
        FaultKind::DependencyViolation => "dependency-violation",
        FaultKind::Error => "error",
        FaultKind::Pending => "pending",
    }
}
