//! The benchmark runner (`./scripts/bench`, `src/bin/bench.rs`) must not rot: its quick mode
//! runs every scenario once on a lean stack against the freshly built dev provider, and every
//! scenario must produce its figures, the apply at each factor on AWS's durations with its own
//! physical floor. No performance number is asserted here: the benchmark, not the test suite,
//! says whether targets are met.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BENCH: &str = env!("CARGO_BIN_EXE_bench");

/// The factors on AWS's durations the apply runs at, `--quick` included
/// (`src/bench/durations.rs`).
const DURATION_FACTORS: [f64; 3] = [0.25, 1.0, 2.0];

/// Figures every run must measure (GetProviderSchema comes from a separate criterion run and
/// may be absent).
const REQUIRED: &[&str] = &[
    "apply.wall",
    "apply.span",
    "apply.critical_path",
    "apply.floor",
    "apply.overhead",
    "apply.serial_steps",
    "apply.simulated_serial",
    "apply.ratio",
    "apply.calls",
    "refresh.calls",
    "refresh.service",
    "refresh.wall",
    "refresh.stacks_calls",
    "refresh.stacks_ratio",
    "refresh.stacks_wall",
    "plan.floor",
    "plan.noop",
    "plan.no_refresh",
    "plan.ratio",
    "plan.bound",
    "handshake",
    "footprint.binary",
    "footprint.rss",
    "polls.objects",
    "polls.reads",
    "polls.ratio",
    "scale.wall",
    "scale.over_single",
    "scale.rss",
    "scale.calls_per_stack",
    "scale.polls_ratio",
];

#[test]
fn quick_benchmark_produces_every_figure_and_the_report() {
    let out = tempfile::tempdir().expect("temp dir");
    let markdown = out.path().join("BENCHMARKS.md");
    let json = out.path().join("bench.json");
    let run = Command::new(BENCH)
        .args(["--quick", "--no-build", "--output"])
        // Rounds of shared reads stay open longer than the provider's 20 ms: on a loaded
        // machine the stacks' ReadResource calls may arrive further apart (this test counts
        // calls, not time).
        .env("WORDPRESS_HA_SHARED_READ_WINDOW_MS", "300")
        .arg(&markdown)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("the bench binary starts");
    assert!(
        run.status.success(),
        "bench --quick failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    let report = read_json(&json);
    assert_eq!(report["quick"], true);
    assert_eq!(report["profile"], "dev");
    let figures = report["figures"].as_array().expect("figures");
    for id in REQUIRED {
        let measured = figures
            .iter()
            .filter(|f| f["id"] == *id)
            .any(|f| f["samples"].as_array().is_some_and(|s| !s.is_empty()));
        assert!(measured, "no sample for figure {id}: {report:#}");
    }
    assert!(
        figures
            .iter()
            .filter(|f| f["target"].is_number())
            .all(
                |f| ["pass", "missing"].contains(&f["verdict"].as_str().unwrap_or(""))
                    || f["verdict"].get("miss").is_some()
            ),
        "every targeted figure gets a verdict: {report:#}"
    );

    // At each factor: the floor comes from AWS's dependencies and the durations the proxy
    // played, a positive figure no apply can beat, and the targeted ratio is the apply's over
    // it. Played durations grow with the factor, and so must the floor.
    let median = |id: &str, factor: f64| {
        let rows: Vec<&Value> = figures
            .iter()
            .filter(|f| f["id"] == id && f["duration_factor"].as_f64() == Some(factor))
            .collect();
        assert_eq!(rows.len(), 1, "one {id} row at {factor}×: {report:#}");
        rows[0]["summary"]["median"]
            .as_f64()
            .unwrap_or_else(|| panic!("no median for {id} at {factor}×: {report:#}"))
    };
    let mut floors = Vec::new();
    for factor in DURATION_FACTORS {
        let (floor, wall) = (median("apply.floor", factor), median("apply.wall", factor));
        assert!(
            0.0 < floor && floor < wall,
            "at {factor}×: floor {floor} s, apply {wall} s"
        );
        let ratio = median("apply.ratio", factor);
        assert!(
            (ratio - wall / floor).abs() < 1e-6,
            "at {factor}×: ratio {ratio} is not apply {wall} s / floor {floor} s"
        );
        floors.push(floor);
    }
    assert!(
        floors.windows(2).all(|pair| pair[0] < pair[1]),
        "the floor does not follow the played durations: {floors:?}"
    );
    let targeted_ratios: Vec<f64> = figures
        .iter()
        .filter(|f| f["id"] == "apply.ratio" && f["target"].is_number())
        .filter_map(|f| f["duration_factor"].as_f64())
        .collect();
    assert_eq!(targeted_ratios, DURATION_FACTORS, "{report:#}");

    // Stacks refreshed together share their describes: without that, N stacks of one shape
    // cost exactly N times the calls of one (each row compares the same shape); sharing must save
    // more than a quarter of one stack's calls (15 of the lean stack's 36 can be shared).
    let scaled: Vec<&Value> = figures
        .iter()
        .filter(|f| f["id"] == "refresh.stacks_ratio")
        .collect();
    assert_eq!(
        scaled.len(),
        2,
        "the scale and the wide refresh: {report:#}"
    );
    for row in scaled {
        let stacks = row["stacks"]
            .as_f64()
            .expect("the row names its stack count");
        let ratio = row["summary"]["median"].as_f64().expect("a measured ratio");
        assert!(
            ratio < stacks - 0.25,
            "{stacks} stacks refreshed together cost {ratio:.2}× one stack's calls: {row:#}"
        );
    }

    let text = std::fs::read_to_string(&markdown).expect("markdown written");
    for section in [
        "## Results",
        "## Method",
        "The physical floor's dependencies",
        "`healthy_fleet` needs `autoscaling_group`",
        "not measured here",
        "at 0.25×, 1× and 2× the loaded timings' AWS durations",
        "| 6 Scale |",
    ] {
        assert!(text.contains(section), "{section} missing from\n{text}");
    }
    for factor in DURATION_FACTORS {
        for line in [
            format!("| 1 Apply | apply / physical floor at {factor}× AWS durations |"),
            format!("Physical floor of the last apply at {factor}× AWS durations"),
        ] {
            assert!(text.contains(&line), "{line} missing from\n{text}");
        }
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("targets met."), "{stdout}");
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("JSON written");
    serde_json::from_str(&text).expect("valid JSON")
}
