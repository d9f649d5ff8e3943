//! Random faults and latency, drawn per call from the run's seed.
//!
//! Each call's dice are seeded from (seed, service, operation, n) where n counts earlier calls of
//! that operation, so a run is reproducible even when calls to different operations interleave
//! differently under concurrency.

use std::collections::HashMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::config::{millis, FaultConfig};
use crate::identify::CallId;

/// Every kind of fault the proxy injects, as counted in the stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Throttle,
    ServerError,
    DropBefore,
    DropAfter,
    NotFound,
    DependencyViolation,
    /// An AWS error answered on purpose: a scripted one with a code of the test's choosing,
    /// or a refusal an AWS-behaviour preset plays (IAM propagation, RDS state, quota, ...).
    Error,
    /// A response rewritten to show an object still being created or modified.
    Pending,
}

/// What the dice decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roll {
    /// Which call of its operation this is (0-based), for the fault log.
    pub nth: u64,
    pub latency: Duration,
    pub fault: Option<RandomFault>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RandomFault {
    Throttle,
    /// `unavailable`: 503 rather than 500.
    ServerError {
        unavailable: bool,
    },
    DropBefore,
    DropAfter,
}

impl RandomFault {
    pub fn kind(self) -> FaultKind {
        match self {
            RandomFault::Throttle => FaultKind::Throttle,
            RandomFault::ServerError { .. } => FaultKind::ServerError,
            RandomFault::DropBefore => FaultKind::DropBefore,
            RandomFault::DropAfter => FaultKind::DropAfter,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct OperationHistory {
    calls: u64,
    consecutive_faults: u32,
}

/// Per-operation call counters that feed the seeded dice.
#[derive(Debug, Default)]
pub struct Dice {
    history: HashMap<CallId, OperationHistory>,
}

impl Dice {
    pub fn roll(&mut self, config: &FaultConfig, call: &CallId) -> Roll {
        let history = self.history.entry(call.clone()).or_default();
        let nth = history.calls;
        history.calls += 1;
        let mut rng = StdRng::seed_from_u64(call_seed(config.seed, call, nth));
        let jitter = match config.latency.jitter_ms {
            0 => 0,
            max => rng.random_range(0..=max),
        };
        let latency = millis(config.latency.fixed_ms + jitter);
        let mut fault = pick_fault(config, call, rng.random::<f64>(), rng.random_bool(0.5));
        let capped = config
            .faults
            .max_consecutive
            .is_some_and(|max| history.consecutive_faults >= max);
        if capped {
            fault = None;
        }
        history.consecutive_faults = if fault.is_some() {
            history.consecutive_faults + 1
        } else {
            0
        };
        Roll {
            nth,
            latency,
            fault,
        }
    }
}

/// Map one uniform draw onto the configured shares, in a fixed order.
fn pick_fault(
    config: &FaultConfig,
    call: &CallId,
    draw: f64,
    unavailable: bool,
) -> Option<RandomFault> {
    let faults = &config.faults;
    if !faults.applies_to(&call.service, &call.operation) {
        return None;
    }
    let bands = [
        (faults.throttle, RandomFault::Throttle),
        (
            faults.server_error,
            RandomFault::ServerError { unavailable },
        ),
        (faults.drop_before, RandomFault::DropBefore),
        (faults.drop_after, RandomFault::DropAfter),
    ];
    let mut upper = 0.0;
    for (share, fault) in bands {
        upper += share;
        if draw < upper {
            return Some(fault);
        }
    }
    None
}

/// A stable mix of the run seed and the call's identity (FNV-1a; std's hasher is randomised).
fn call_seed(seed: u64, call: &CallId, nth: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    let bytes = call
        .service
        .bytes()
        .chain([0])
        .chain(call.operation.bytes())
        .chain([0])
        .chain(nth.to_le_bytes());
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RandomFaults;

    fn call(operation: &str) -> CallId {
        CallId {
            service: "ec2".into(),
            operation: operation.into(),
        }
    }

    fn config(seed: u64, throttle: f64) -> FaultConfig {
        FaultConfig {
            seed,
            faults: RandomFaults {
                throttle,
                ..RandomFaults::default()
            },
            ..FaultConfig::default()
        }
    }

    fn faults_of(config: &FaultConfig, n: usize) -> Vec<bool> {
        let mut dice = Dice::default();
        (0..n)
            .map(|_| dice.roll(config, &call("CreateVpc")).fault.is_some())
            .collect()
    }

    #[test]
    fn same_seed_same_faults_other_seed_other_faults() {
        let a = faults_of(&config(1, 0.3), 200);
        assert_eq!(a, faults_of(&config(1, 0.3), 200));
        assert_ne!(a, faults_of(&config(2, 0.3), 200));
        let share = a.iter().filter(|f| **f).count() as f64 / 200.0;
        assert!((0.15..0.45).contains(&share), "share {share}");
    }

    #[test]
    fn interleaving_other_operations_does_not_change_an_operations_faults() {
        let config = config(9, 0.5);
        let alone = faults_of(&config, 50);
        let mut dice = Dice::default();
        let interleaved: Vec<bool> = (0..50)
            .map(|_| {
                dice.roll(&config, &call("DescribeVpcs"));
                dice.roll(&config, &call("CreateVpc")).fault.is_some()
            })
            .collect();
        assert_eq!(alone, interleaved);
    }

    #[test]
    fn consecutive_faults_are_capped() {
        let mut config = config(5, 1.0);
        config.faults.max_consecutive = Some(2);
        assert_eq!(
            faults_of(&config, 6),
            vec![true, true, false, true, true, false]
        );
    }

    #[test]
    fn latency_stays_within_fixed_plus_jitter() {
        let mut config = config(3, 0.0);
        config.latency.fixed_ms = 30;
        config.latency.jitter_ms = 50;
        let mut dice = Dice::default();
        let latencies: Vec<Duration> = (0..100)
            .map(|_| dice.roll(&config, &call("X")).latency)
            .collect();
        assert!(latencies
            .iter()
            .all(|l| (millis(30)..=millis(80)).contains(l)));
        assert!(
            latencies.iter().any(|l| *l != latencies[0]),
            "jitter varies"
        );
    }
}
