//! The seeded CI subset of the reliability figures; `cargo run -p stack-tests --bin
//! reliability` runs the full 20 + 10 with the same code.
//!
//! Fault runs: a realistic stack applied and destroyed through the proxy with 10 % of calls
//! faulted and eventual consistency on: every run succeeds, re-plans clean, holds each object
//! once and leaves nothing tagged. Kill runs: the provider SIGKILLed at a seeded point of the
//! apply; the next apply converges, with no duplicate and no leak.

use stack_tests::runners::reliability::{run_all, Options, DEFAULT_TYPICAL_CALLS};

/// Fixed seeds: the same faults on the same calls every time.
const SEED: u64 = 7100;

#[test]
fn seeded_fault_and_kill_runs_meet_every_target() {
    let options = Options {
        fault_runs: 3,
        kill_runs: 2,
        seed: SEED,
        jobs: 2,
        typical_calls: DEFAULT_TYPICAL_CALLS,
    };
    let report = run_all(&options);
    let table = report.markdown();
    eprintln!("{table}");
    assert_eq!(report.fault_records().len(), 3, "{table}");
    assert_eq!(report.kill_records().len(), 2, "{table}");
    let faults: u64 = report
        .fault_records()
        .iter()
        .map(|r| r.faults_injected())
        .sum();
    assert!(faults > 0, "the proxy injected faults\n{table}");
    assert!(
        report
            .kill_records()
            .iter()
            .all(|r| r.kill.is_some_and(|k| k.landed)),
        "every kill landed inside its apply\n{table}"
    );
    assert!(report.targets_met(), "targets missed\n{table}");
}
