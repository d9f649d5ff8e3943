//! The proxy's timings, and scenario 1 at several speeds of AWS.
//!
//! `--quick` shrinks the whole timings file, latency included, and the provider's
//! `WORDPRESS_HA_TIME_SCALE` with it (`options.rs`): the provider then expects AWS to take its
//! usual time. A duration factor moves only the times the proxy makes objects pending, and the
//! provider is not told: its waiters (`core/src/wait/schedule.rs`) must see an object ready
//! promptly whether AWS is faster or slower than usual, so the apply's target against the
//! physical floor of the durations actually played must hold at every factor.

use aws_fault_proxy::{FaultConfig, PendingConfig};

use crate::critical_path::CriticalPath;
use crate::error::Result;
use crate::figures::{Figure, Unit};
use crate::options::Options;
use crate::scenario_figures::APPLY;

/// The factors scenario 1 runs at in every run: AWS 4× faster than usual, as usual, 2× slower.
pub const DURATION_FACTORS: [f64; 3] = [0.25, 1.0, 2.0];
/// The factor of the apply that the other scenarios (refresh, plans, scale) follow.
pub const USUAL: f64 = 1.0;
/// The issue's target: apply wall time at most this many times the physical floor.
pub const APPLY_OVER_FLOOR_TARGET: f64 = 1.10;

/// The proxy's timings file with every duration and latency multiplied by the options'
/// `time_factor` (1, or `--quick`'s tenth).
pub fn scaled_timings(options: &Options) -> Result<FaultConfig> {
    let mut config = FaultConfig::from_file(&options.timings)?;
    let scale = |ms: &mut u64| *ms = (*ms as f64 * options.time_factor).round() as u64;
    for ms in pending_times(&mut config.pending) {
        scale(ms);
    }
    scale(&mut config.latency.fixed_ms);
    scale(&mut config.latency.jitter_ms);
    Ok(config)
}

/// `config` with AWS's pending durations multiplied by `factor`; the latency, seed and
/// everything else as they were.
pub fn at_duration_factor(config: &FaultConfig, factor: f64) -> FaultConfig {
    let mut scaled = config.clone();
    for ms in pending_times(&mut scaled.pending) {
        *ms = (*ms as f64 * factor).round() as u64;
    }
    scaled
}

/// Every time the proxy keeps an object pending (a new field of `PendingConfig` belongs here).
fn pending_times(pending: &mut PendingConfig) -> [&mut u64; 9] {
    let PendingConfig {
        nat_gateway_ms,
        db_instance_ms,
        db_modify_ms,
        file_system_ms,
        mount_target_ms,
        load_balancer_ms,
        asg_instance_ms,
        target_ms,
        dns_change_ms,
    } = pending;
    [
        nat_gateway_ms,
        db_instance_ms,
        db_modify_ms,
        file_system_ms,
        mount_target_ms,
        load_balancer_ms,
        asg_instance_ms,
        target_ms,
        dns_change_ms,
    ]
}

/// `0.25×`, `1×`, `2×`.
pub fn label(factor: f64) -> String {
    format!("{factor}×")
}

/// One factor's applies: wall time, physical floor and their ratio, one sample per run.
#[derive(Debug, Clone, Default)]
pub struct FactorSamples {
    pub factor: f64,
    pub wall: Vec<f64>,
    pub floor: Vec<f64>,
    pub ratio: Vec<f64>,
    /// The last run's floor chain, for the details.
    pub last_floor: Option<CriticalPath>,
}

impl FactorSamples {
    pub fn new(factor: f64) -> FactorSamples {
        FactorSamples {
            factor,
            ..FactorSamples::default()
        }
    }

    pub fn record(&mut self, wall: f64, floor: CriticalPath) {
        self.wall.push(wall);
        self.floor.push(floor.seconds);
        self.ratio.push(wall / floor.seconds.max(f64::EPSILON));
        self.last_floor = Some(floor);
    }
}

/// Per factor: the wall time, the floor, and their ratio against the target. A factor that
/// ran no apply still gets its rows, so its target reads as a miss.
pub fn figures(factors: &[f64], by_factor: &[FactorSamples]) -> Vec<Figure> {
    factors
        .iter()
        .flat_map(|&factor| {
            let measured = by_factor.iter().find(|s| s.factor == factor);
            let samples = |pick: fn(&FactorSamples) -> &Vec<f64>| {
                measured.map(|s| pick(s).clone()).unwrap_or_default()
            };
            let at = label(factor);
            [
                Figure::new(
                    "apply.wall",
                    APPLY,
                    &format!("`terraform apply` wall time at {at} AWS durations"),
                    Unit::Seconds,
                )
                .samples(samples(|s| &s.wall)),
                Figure::new(
                    "apply.floor",
                    APPLY,
                    &format!("physical floor at {at} AWS durations"),
                    Unit::Seconds,
                )
                .samples(samples(|s| &s.floor)),
                Figure::new(
                    "apply.ratio",
                    APPLY,
                    &format!("apply / physical floor at {at} AWS durations"),
                    Unit::Ratio,
                )
                .samples(samples(|s| &s.ratio))
                .target(APPLY_OVER_FLOOR_TARGET),
            ]
            .map(|figure| figure.duration_factor(factor))
        })
        .collect()
}

/// The last run's floor chain at each factor.
pub fn floor_notes(by_factor: &[FactorSamples]) -> Vec<String> {
    by_factor
        .iter()
        .filter_map(|s| {
            let floor = s.last_floor.as_ref()?;
            Some(format!(
                "Physical floor of the last apply at {} AWS durations ({:.2} s): {}.",
                label(s.factor),
                floor.seconds,
                floor
                    .steps
                    .iter()
                    .map(|object| format!("`{object}`"))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ))
        })
        .collect()
}

/// The method's paragraph on the factors, from the factors run and the timings loaded.
pub fn method(factors: &[f64], timings: &FaultConfig) -> String {
    let labels: Vec<String> = factors.iter().map(|&f| label(f)).collect();
    let mut pending = timings.pending.clone();
    let names: Vec<String> = serde_json::to_value(&pending)
        .ok()
        .and_then(|value| value.as_object().cloned())
        .map(|fields| {
            fields
                .into_iter()
                .filter(|(_, ms)| ms.as_u64().is_some_and(|ms| ms > 0))
                .map(|(name, _)| format!("`{name}`"))
                .collect()
        })
        .unwrap_or_default();
    let longest = pending_times(&mut pending)
        .into_iter()
        .map(|ms| *ms)
        .max()
        .unwrap_or(0) as f64
        / 1000.0;
    let fastest = factors.iter().copied().fold(f64::INFINITY, f64::min);
    let slowest = factors.iter().copied().fold(0.0, f64::max);
    format!(
        "Scenario 1's apply runs {} times in every run, at {} the loaded timings' AWS durations \
         (the proxy's pending times {}: the longest, {longest:.1} s at 1×, becomes {:.1} s to \
         {:.1} s), each from an empty AWS and each against the physical floor of the durations \
         the proxy played. The latency per call and `WORDPRESS_HA_TIME_SCALE` stay as at 1×: the provider \
         is not told how long AWS takes, so this shows whether its waiters \
         (`core/src/wait/schedule.rs`) see objects ready promptly when AWS is {:.0}× faster or \
         {:.0}× slower than usual; the target of {} is set at each factor. Refresh, plans \
         and scale run at {}.\n\n",
        factors.len(),
        join_and(&labels),
        if names.is_empty() {
            "(none set)".to_string()
        } else {
            join_and(&names)
        },
        longest * fastest,
        longest * slowest,
        1.0 / fastest,
        slowest,
        Unit::Ratio.format(APPLY_OVER_FLOOR_TARGET),
        label(USUAL),
    )
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::Verdict;

    fn timings() -> FaultConfig {
        FaultConfig::from_json(
            r#"{"seed": 7, "latency": {"fixed_ms": 30, "jitter_ms": 50},
                "pending": {"db_instance_ms": 12000, "nat_gateway_ms": 1500, "db_modify_ms": 3000,
                            "target_ms": 3000, "dns_change_ms": 1000}}"#,
        )
        .unwrap()
    }

    fn chain(seconds: f64) -> CriticalPath {
        CriticalPath {
            seconds,
            steps: vec!["vpc".into(), "db_instance".into()],
        }
    }

    #[test]
    fn a_duration_factor_moves_only_the_pending_durations() {
        let base = timings();
        let fast = at_duration_factor(&base, 0.25);
        assert_eq!(fast.pending.db_instance_ms, 3000);
        assert_eq!(fast.pending.nat_gateway_ms, 375);
        assert_eq!(fast.pending.db_modify_ms, 750);
        assert_eq!(fast.pending.target_ms, 750);
        assert_eq!(fast.pending.dns_change_ms, 250);
        let slow = at_duration_factor(&base, 2.0);
        assert_eq!(slow.pending.db_instance_ms, 24000);
        assert_eq!(slow.pending.file_system_ms, 0);
        // The latency and everything but the pending times stay.
        for scaled in [&fast, &slow] {
            assert_eq!(scaled.latency, base.latency);
            assert_eq!(
                FaultConfig {
                    pending: base.pending.clone(),
                    ..(*scaled).clone()
                },
                base
            );
        }
        assert_eq!(at_duration_factor(&base, USUAL), base);
    }

    #[test]
    fn quick_timings_shrink_every_duration_and_the_latency() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("timings.json");
        std::fs::write(
            &file,
            r#"{"latency": {"fixed_ms": 30, "jitter_ms": 50}, "pending": {"db_instance_ms": 12000, "nat_gateway_ms": 1500}}"#,
        )
        .unwrap();
        let cli = <crate::options::Cli as clap::Parser>::try_parse_from([
            "bench",
            "--quick",
            "--timings",
            file.to_str().unwrap(),
        ])
        .unwrap();
        let options = Options::resolve(cli, dir.path());
        let config = scaled_timings(&options).unwrap();
        assert_eq!(config.pending.db_instance_ms, 1200);
        assert_eq!(config.pending.nat_gateway_ms, 150);
        assert_eq!((config.latency.fixed_ms, config.latency.jitter_ms), (3, 5));
    }

    #[test]
    fn the_provider_time_scale_ignores_the_duration_factors() {
        for args in [&["bench"][..], &["bench", "--quick"]] {
            let cli = <crate::options::Cli as clap::Parser>::try_parse_from(args).unwrap();
            let options = Options::resolve(cli, std::path::Path::new("/repo"));
            assert_eq!(options.duration_factors, DURATION_FACTORS);
            // Real seconds per AWS second: the time factor's alone, never a duration factor's.
            let expected = if options.quick { 0.1 } else { 1.0 } / 60.0;
            assert!((options.provider_time_scale() - expected).abs() < 1e-12);
        }
    }

    #[test]
    fn every_factor_gets_a_targeted_ratio_row_and_a_missing_one_is_a_miss() {
        let mut fast = FactorSamples::new(0.25);
        fast.record(4.0, chain(3.8));
        let mut usual = FactorSamples::new(1.0);
        usual.record(15.0, chain(12.0));
        let rows = figures(&DURATION_FACTORS, &[fast, usual]);
        assert_eq!(rows.len(), 9);
        let ratio = |factor: f64| {
            rows.iter()
                .find(|f| f.id == "apply.ratio" && f.duration_factor == Some(factor))
                .unwrap()
        };
        assert_eq!(ratio(0.25).verdict(), Verdict::Pass);
        assert_eq!(
            ratio(0.25).label,
            "apply / physical floor at 0.25× AWS durations"
        );
        assert!(matches!(ratio(1.0).verdict(), Verdict::Miss(_)));
        // The 2× apply never ran: its rows are there and its target is missed.
        assert_eq!(ratio(2.0).verdict(), Verdict::Missing);
        assert!(rows
            .iter()
            .filter(|f| f.duration_factor == Some(2.0))
            .all(|f| f.samples.is_empty()));
        assert!(rows
            .iter()
            .all(|f| f.id != "apply.ratio" || f.target == Some(APPLY_OVER_FLOOR_TARGET)));
    }

    #[test]
    fn floor_notes_and_the_method_come_from_the_run() {
        let mut slow = FactorSamples::new(2.0);
        slow.record(30.0, chain(24.5));
        assert_eq!(
            floor_notes(&[FactorSamples::new(0.25), slow]),
            [
                "Physical floor of the last apply at 2× AWS durations (24.50 s): `vpc` → \
              `db_instance`."
            ]
        );
        let text = method(&DURATION_FACTORS, &timings());
        assert!(text.contains("runs 3 times"), "{text}");
        assert!(text.contains("at 0.25×, 1× and 2× the loaded"), "{text}");
        assert!(text.contains("`db_instance_ms`"), "{text}");
        assert!(!text.contains("`file_system_ms`"), "{text}");
        assert!(
            text.contains("12.0 s at 1×, becomes 3.0 s to 24.0 s"),
            "{text}"
        );
        assert!(text.contains("4× faster or 2× slower"), "{text}");
        assert!(
            text.contains("target of 1.10× is set at each factor"),
            "{text}"
        );
    }
}
