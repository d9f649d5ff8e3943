//! Counters the tests and scripts read: calls per service and operation, faults by kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::faults::FaultKind;
use crate::identify::CallId;

/// The fault log keeps at most this many events (a run makes a few thousand calls).
const FAULT_LOG_LIMIT: usize = 100_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// service → operation → calls received (every attempt, faulted or not).
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<FaultKind, u64>,
    /// Every injected fault: which call of which operation got what.
    pub fault_log: Vec<FaultEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FaultEvent {
    pub service: String,
    pub operation: String,
    /// 0-based index of the call among the calls of its operation.
    pub nth: u64,
    pub kind: FaultKind,
}

impl Stats {
    pub fn record_call(&mut self, call: &CallId) {
        *self
            .calls
            .entry(call.service.clone())
            .or_default()
            .entry(call.operation.clone())
            .or_default() += 1;
    }

    pub fn record_fault(&mut self, call: &CallId, nth: u64, kind: FaultKind) {
        *self.faults.entry(kind).or_default() += 1;
        if self.fault_log.len() < FAULT_LOG_LIMIT {
            self.fault_log.push(FaultEvent {
                service: call.service.clone(),
                operation: call.operation.clone(),
                nth,
                kind,
            });
        }
    }

    /// A response rewritten to show a pending state (counted, not logged: it is not a call's
    /// fate but a view of an object's).
    pub fn record_pending(&mut self) {
        *self.faults.entry(FaultKind::Pending).or_default() += 1;
    }

    /// Calls of one operation.
    pub fn calls_to(&self, service: &str, operation: &str) -> u64 {
        self.calls
            .get(service)
            .and_then(|ops| ops.get(operation))
            .copied()
            .unwrap_or(0)
    }

    /// Calls to one service.
    pub fn service_calls(&self, service: &str) -> u64 {
        self.calls
            .get(service)
            .map(|ops| ops.values().sum())
            .unwrap_or(0)
    }

    pub fn total_calls(&self) -> u64 {
        self.calls.values().flat_map(|ops| ops.values()).sum()
    }

    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    /// The fault log in a canonical order (independent of how concurrent calls interleaved).
    pub fn sorted_fault_log(&self) -> Vec<FaultEvent> {
        let mut log = self.fault_log.clone();
        log.sort();
        log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip_through_json() {
        let mut stats = Stats::default();
        let call = CallId {
            service: "ec2".into(),
            operation: "CreateVpc".into(),
        };
        stats.record_call(&call);
        stats.record_call(&call);
        stats.record_fault(&call, 1, FaultKind::Throttle);
        let json = serde_json::to_string(&stats).unwrap();
        assert!(json.contains("\"throttle\":1"), "{json}");
        let back: Stats = serde_json::from_str(&json).unwrap();
        assert_eq!(back.calls_to("ec2", "CreateVpc"), 2);
        assert_eq!(back.service_calls("ec2"), 2);
        assert_eq!(back.total_calls(), 2);
        assert_eq!(back.faults_of(FaultKind::Throttle), 1);
        assert_eq!(back, stats);
    }
}
