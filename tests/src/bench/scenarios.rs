//! The end-to-end scenarios, run against one moto server behind the fault proxy with the
//! realistic timings. Each run starts from an empty moto: a fresh single stack for scenario 1
//! at each duration factor (`durations.rs`); at the usual durations the same stack goes on to
//! scenarios 2–5 (refresh, then no-op plans alternated with Terraform's floor); then a fresh
//! configuration of N stacks for scenario 6, at the usual durations.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aws_fault_proxy::{FaultConfig, FaultProxy};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::Moto;

use crate::calls::{self, Calls};
use crate::critical_path::{critical_path, edges_of, CriticalPath};
use crate::durations::{at_duration_factor, scaled_timings, FactorSamples, USUAL};
use crate::error::{BenchError, Result};
use crate::observe::{self, Observed};
use crate::options::Options;
use crate::physical_floor::{aws_dependencies, describe, physical_floor};
use crate::provider_log::ProviderLog;
use crate::stack::{self, StackShape};
use crate::wide_refresh::ScaledRefresh;

/// Every sample the runs collected, by figure.
#[derive(Debug, Default)]
pub struct Samples {
    /// Wall time, physical floor and their ratio of scenario 1 at each duration factor.
    pub by_factor: Vec<FactorSamples>,
    /// The discarded apply before the first run: its factor and wall time.
    pub warm_up: Option<(f64, f64)>,
    pub apply_span: Vec<f64>,
    pub critical_path: Vec<f64>,
    pub serial_steps: Vec<f64>,
    pub simulated_serial: Vec<f64>,
    /// Terraform's and the scheduler's time over the provider's own chain.
    pub apply_over_critical_path: Vec<f64>,
    pub apply_calls: Vec<f64>,
    pub apply_peak_mb: Vec<f64>,
    pub objects: Vec<f64>,
    pub read_calls: Vec<f64>,
    pub reads_per_object: Vec<f64>,
    pub pending_polls: Vec<f64>,
    /// The proxy's per-call latency: fixed part and jitter, ms.
    pub call_latency_ms: (f64, f64),
    /// ReadResource's calls alone (ConfigureProvider's access check is counted apart).
    pub refresh_calls: Vec<f64>,
    pub configure_calls: Vec<f64>,
    /// ReadResource's refresh inside the provider ("stack read"), seconds.
    pub refresh_read: Vec<f64>,
    pub refresh_by_service: BTreeMap<String, Vec<f64>>,
    pub refresh_wall: Vec<f64>,
    pub plan_floor: Vec<f64>,
    pub plan_noop: Vec<f64>,
    /// `terraform plan -refresh=false` of the same stack: everything but ReadResource.
    pub plan_no_refresh: Vec<f64>,
    pub noop_over_floor: Vec<f64>,
    /// No-op plan / (floor + two round trips of the preset's slowest call), paired runs.
    pub noop_over_bound: Vec<f64>,
    /// No-op plans that were not empty (exit 2): a spurious diff.
    pub noop_with_changes: usize,
    pub scale_wall: Vec<f64>,
    /// Against the 1-stack apply of the same run.
    pub scale_over_single: Vec<f64>,
    /// The one provider process's peak while it applies every stack.
    pub scale_peak_mb: Vec<f64>,
    pub scale_calls_per_stack: Vec<f64>,
    pub scale_reads_per_object: Vec<f64>,
    /// Refreshes of several stacks in one configuration, by stack count.
    pub refresh_at_scale: BTreeMap<usize, ScaledRefresh>,
    /// The last run's critical chain and its refresh calls by operation, for the details.
    pub last_chain: Option<CriticalPath>,
    pub last_durations: BTreeMap<String, f64>,
    pub last_refresh_calls: Calls,
    /// Steps the provider logged that the declared graph does not know (should be none).
    pub unknown_steps: Vec<String>,
}

/// One watched apply.
struct ApplyRun {
    observed: Observed,
    made: Calls,
    /// AWS objects the state records (entries of every stack's `resources`).
    objects: f64,
}

impl ApplyRun {
    fn wall(&self) -> f64 {
        self.observed.wall.as_secs_f64()
    }

    fn peak_mb(&self) -> Option<f64> {
        self.observed
            .provider_peak_kib
            .map(|kib| kib as f64 / KB_PER_MB)
    }

    fn reads_per_object(&self) -> f64 {
        calls::reads(&self.made) as f64 / self.objects.max(1.0)
    }
}

impl Samples {
    /// The slowest call the proxy plays (fixed latency plus all its jitter), ms: one round
    /// trip of calls issued at once ends with it.
    pub fn slowest_call_ms(&self) -> f64 {
        self.call_latency_ms.0 + self.call_latency_ms.1
    }

    /// Scenario 1 at the usual durations, which the other scenarios compare with.
    pub fn usual(&self) -> Option<&FactorSamples> {
        self.by_factor.iter().find(|s| s.factor == USUAL)
    }

    fn at_factor(&mut self, factor: f64) -> &mut FactorSamples {
        match self.by_factor.iter().position(|s| s.factor == factor) {
            Some(index) => &mut self.by_factor[index],
            None => {
                self.by_factor.push(FactorSamples::new(factor));
                self.by_factor.last_mut().expect("just pushed")
            }
        }
    }

    /// The usual apply's analysis beyond its floor: the provider's own chain, calls, polls.
    fn record_apply(
        &mut self,
        run: &ApplyRun,
        log: &ProviderLog,
        path: CriticalPath,
        simulated: f64,
    ) {
        let wall = run.wall();
        self.apply_span.extend(log.span());
        self.critical_path.push(path.seconds);
        self.apply_over_critical_path
            .push(wall / path.seconds.max(f64::EPSILON));
        self.serial_steps.push(log.durations().values().sum());
        self.simulated_serial.push(simulated);
        self.apply_calls.push(calls::total(&run.made) as f64);
        self.apply_peak_mb.extend(run.peak_mb());
        self.objects.push(run.objects);
        self.read_calls.push(calls::reads(&run.made) as f64);
        self.reads_per_object.push(run.reads_per_object());
        self.pending_polls.push(log.pending_polls as f64);
        self.last_chain = Some(path);
        self.last_durations = log.durations();
    }

    /// Compared with this run's single stack, recorded just before.
    fn record_scale(&mut self, run: &ApplyRun, stacks: usize) {
        let wall = run.wall();
        let n = stacks.max(1) as f64;
        self.scale_wall.push(wall);
        let single = self.usual().and_then(|usual| usual.wall.last().copied());
        self.scale_over_single
            .extend(single.map(|single| wall / single));
        self.scale_peak_mb.extend(run.peak_mb());
        self.scale_calls_per_stack
            .push(calls::total(&run.made) as f64 / n);
        self.scale_reads_per_object.push(run.reads_per_object());
    }
}

/// moto + the proxy + the settings every run shares.
pub struct World {
    pub moto: Moto,
    pub proxy: FaultProxy,
    /// The timings file, shrunk by `--quick`: what the proxy plays at the usual durations.
    pub timings: FaultConfig,
    runtime: tokio::runtime::Runtime,
    quick: bool,
    duration_factors: Vec<f64>,
    scale_stacks: usize,
    plan_pairs: usize,
}

/// What ConfigureProvider calls (its access check lists the region's zones): apart from the
/// refresh's own calls.
const CONFIGURE_OPERATIONS: &[&str] = &["DescribeAvailabilityZones"];

/// Alternated floor / no-refresh / no-op plan rounds per run.
const PLAN_PAIRS_FULL: usize = 3;
const KB_PER_MB: f64 = 1_000_000.0 / 1024.0;

impl World {
    pub fn start(options: &Options) -> Result<World> {
        let timings = scaled_timings(options)?;
        let moto = Moto::start()?;
        let proxy = FaultProxy::start(&moto.endpoint(), timings.clone())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BenchError::io(
                "start a tokio runtime for",
                PathBuf::from("moto"),
            ))?;
        Ok(World {
            moto,
            proxy,
            timings,
            runtime,
            quick: options.quick,
            duration_factors: options.duration_factors.clone(),
            scale_stacks: options.scale_stacks,
            plan_pairs: if options.quick { 1 } else { PLAN_PAIRS_FULL },
        })
    }

    /// Samples to fill, knowing the proxy's latency (the notes quote it).
    pub fn samples(&self) -> Samples {
        let latency = &self.timings.latency;
        Samples {
            call_latency_ms: (latency.fixed_ms as f64, latency.jitter_ms as f64),
            ..Samples::default()
        }
    }

    /// Mean per-call latency the proxy adds, in ms.
    pub fn mean_latency_ms(&self) -> f64 {
        let latency = &self.timings.latency;
        latency.fixed_ms as f64 + latency.jitter_ms as f64 / 2.0
    }

    /// One apply whose figures are discarded, at the fastest factor: the emulator loads each
    /// service's code on its first call, which would otherwise weigh on whichever apply of the
    /// first run comes first.
    pub fn warm_up(&self, samples: &mut Samples) -> Result<()> {
        let factor = self.duration_factors.iter().copied().fold(USUAL, f64::min);
        self.play_durations(factor)?;
        let shape = self.shape("warmup", "10.30.0.0/16")?;
        let tf = self.terraform_dir("bench-warm-up")?;
        tf.write_stack(&shape.hcl())?;
        let run = self.apply(&tf, "0 (warm-up apply)")?;
        samples.warm_up = Some((factor, run.wall()));
        Ok(())
    }

    /// Scenario 1 on a fresh stack at each duration factor; scenarios 2–5 on the one applied
    /// at the usual durations.
    pub fn single_stack_run(&self, samples: &mut Samples) -> Result<()> {
        for &factor in &self.duration_factors {
            self.play_durations(factor)?;
            let shape = self.shape("bench", "10.20.0.0/16")?;
            let tf = self.terraform_dir(&format!("bench-apply-{factor}x"))?;
            tf.write_stack(&shape.hcl())?;
            self.measure_apply(&tf, &shape, factor, samples)?;
            if factor == USUAL {
                self.measure_refresh(&tf, samples)?;
                self.measure_plans(&tf, samples)?;
            }
        }
        Ok(())
    }

    /// Scenario 6: N stacks in one configuration, applied with Terraform's default parallelism.
    pub fn scale_run(&self, samples: &mut Samples) -> Result<()> {
        self.play_durations(USUAL)?;
        let zone = self.zone_if_needed()?;
        let stacks = stack::many(self.scale_stacks, "scale", |name, cidr| {
            self.shape_in_zone(name, cidr, &zone)
        });
        let tf = self.terraform_dir("bench-scale")?;
        let hcl: String = stacks.iter().map(StackShape::hcl).collect();
        tf.write_stack(&hcl)?;
        let run = self.apply(&tf, "6 (scale apply)")?;
        samples.record_scale(&run, stacks.len());
        self.measure_refresh_of(&tf, stacks.len(), samples)
    }

    /// Scenario 2 widened, once per benchmark: `refresh_stacks` stacks in one configuration,
    /// applied at the shortest durations (only the refresh is measured), then refreshed.
    pub fn wide_refresh_run(&self, stacks: usize, samples: &mut Samples) -> Result<()> {
        let fastest = self.duration_factors.iter().copied().fold(USUAL, f64::min);
        self.play_durations(fastest)?;
        let zone = self.zone_if_needed()?;
        let shapes = stack::many(stacks, "wide", |name, cidr| {
            self.shape_in_zone(name, cidr, &zone)
        });
        let tf = self.terraform_dir("bench-wide-refresh")?;
        let hcl: String = shapes.iter().map(StackShape::hcl).collect();
        tf.write_stack(&hcl)?;
        // All at once: Terraform plans each stack again just before applying it, and the
        // preflight then judges the account's Elastic IP limit (moto reports AWS's default, 5)
        // against the addresses of the stacks already made. This apply is not measured; only
        // the refresh after it is.
        let parallelism = format!("-parallelism={stacks}");
        expect(
            "2 (wide refresh's apply)",
            observe::run(&tf, &["apply", "-auto-approve", &parallelism], false)?,
            0,
        )?;
        self.measure_refresh_of(&tf, stacks, samples)
    }

    /// A refresh of every stack of `tf` (Terraform's default parallelism): its calls, also
    /// against the last 1-stack refresh, and its wall time.
    fn measure_refresh_of(
        &self,
        tf: &TerraformDir,
        stacks: usize,
        samples: &mut Samples,
    ) -> Result<()> {
        let before = self.proxy.stats();
        let refreshed = expect(
            "2 (refresh of many stacks)",
            observe::run(tf, &["apply", "-refresh-only", "-auto-approve"], false)?,
            0,
        )?;
        let (_, made) = calls::split_off(
            calls::between(&before, &self.proxy.stats()),
            CONFIGURE_OPERATIONS,
        );
        let total = calls::total(&made) as f64;
        let single = samples.refresh_calls.last().copied();
        let row = samples.refresh_at_scale.entry(stacks).or_default();
        row.last_calls = made;
        let made = total;
        row.calls.push(made);
        row.wall.push(refreshed.wall.as_secs_f64());
        row.over_single
            .extend(single.map(|one| made / one.max(1.0)));
        Ok(())
    }

    /// The apply against the physical floor of the durations the proxy plays; at the usual
    /// durations, the provider's own chain, calls and polls too.
    fn measure_apply(
        &self,
        tf: &TerraformDir,
        shape: &StackShape,
        factor: f64,
        samples: &mut Samples,
    ) -> Result<()> {
        let run = self.apply(tf, "1 (apply)")?;
        let played = self.proxy.config().pending;
        let floor_error = |message| BenchError::Unexpected {
            scenario: "1 (physical floor)",
            message,
        };
        let floor = physical_floor(&aws_dependencies(shape, &played), self.mean_latency_ms())
            .map_err(floor_error)?;
        samples.at_factor(factor).record(run.wall(), floor);
        if factor != USUAL {
            return Ok(());
        }
        let log = ProviderLog::parse(&run.observed.output.stderr);
        let steps = shape.step_graph();
        let graph = edges_of(&steps);
        let graph_error = |message| BenchError::Unexpected {
            scenario: "1 (critical path)",
            message,
        };
        let path = critical_path(&graph, &log.durations()).map_err(graph_error)?;
        let simulated = calls::simulated_serial_seconds(&run.made, &played, self.mean_latency_ms());
        samples.record_apply(&run, &log, path, simulated);
        samples.unknown_steps = unknown_steps(&graph, &log);
        Ok(())
    }

    /// `terraform apply`, watched: its outcome, the AWS calls it made, the objects it left.
    fn apply(&self, tf: &TerraformDir, scenario: &'static str) -> Result<ApplyRun> {
        let before = self.proxy.stats();
        let observed = expect(
            scenario,
            observe::run(tf, &["apply", "-auto-approve"], true)?,
            0,
        )?;
        let made = calls::between(&before, &self.proxy.stats());
        let objects = count_objects(tf)? as f64;
        Ok(ApplyRun {
            observed,
            made,
            objects,
        })
    }

    fn measure_refresh(&self, tf: &TerraformDir, samples: &mut Samples) -> Result<()> {
        let before = self.proxy.stats();
        let refreshed = expect(
            "2 (refresh)",
            observe::run(tf, &["apply", "-refresh-only", "-auto-approve"], true)?,
            0,
        )?;
        let (configure, made) = calls::split_off(
            calls::between(&before, &self.proxy.stats()),
            CONFIGURE_OPERATIONS,
        );
        samples.refresh_wall.push(refreshed.wall.as_secs_f64());
        samples.refresh_calls.push(calls::total(&made) as f64);
        samples
            .configure_calls
            .push(calls::total(&configure) as f64);
        samples
            .refresh_read
            .extend(ProviderLog::parse(&refreshed.output.stderr).reads);
        for (service, count) in calls::per_service(&made) {
            samples
                .refresh_by_service
                .entry(service)
                .or_default()
                .push(count as f64);
        }
        samples.last_refresh_calls = made;
        Ok(())
    }

    /// Floor and no-op plans alternated, so drift of the machine's load hits both alike.
    fn measure_plans(&self, tf: &TerraformDir, samples: &mut Samples) -> Result<()> {
        let floor = self.terraform_dir("bench-floor")?;
        floor.write_main(&floor.provider_hcl())?;
        for _ in 0..self.plan_pairs {
            let empty = expect(
                "3 (floor plan)",
                observe::run(&floor, &["plan", "-detailed-exitcode"], false)?,
                0,
            )?;
            let no_refresh =
                observe::run(tf, &["plan", "-refresh=false", "-detailed-exitcode"], false)?;
            let no_refresh = expect("3 (plan without refresh)", no_refresh, 0)?;
            let noop = observe::run(tf, &["plan", "-detailed-exitcode"], false)?;
            let noop = if noop.output.code == Some(2) {
                samples.noop_with_changes += 1;
                noop
            } else {
                expect("3 (no-op plan)", noop, 0)?
            };
            let (floor_s, noop_s) = (empty.wall.as_secs_f64(), noop.wall.as_secs_f64());
            samples.plan_floor.push(floor_s);
            samples.plan_noop.push(noop_s);
            samples.plan_no_refresh.push(no_refresh.wall.as_secs_f64());
            samples.noop_over_floor.push(noop_s / floor_s);
            let round_trip_s = samples.slowest_call_ms() / 1000.0;
            samples
                .noop_over_bound
                .push(noop_s / (floor_s + 2.0 * round_trip_s));
        }
        Ok(())
    }

    fn terraform_dir(&self, name: &str) -> Result<TerraformDir> {
        Ok(TerraformDir::with_endpoint(
            name,
            &self.moto,
            &self.proxy.endpoint(),
        )?)
    }

    /// moto emptied, the proxy's counters and learned objects forgotten, and the proxy playing
    /// AWS's durations times `factor` (the provider's time scale stays: it is not told).
    fn play_durations(&self, factor: f64) -> Result<()> {
        self.proxy
            .set_config(at_duration_factor(&self.timings, factor))?;
        self.moto.reset()?;
        self.proxy.reset();
        Ok(())
    }

    fn shape(&self, name: &str, cidr: &str) -> Result<StackShape> {
        let zone = self.zone_if_needed()?;
        Ok(self.shape_in_zone(name, cidr, &zone))
    }

    /// The single stack's physical-floor dependencies, as the method lists them.
    pub fn floor_dependencies(&self) -> Vec<String> {
        let shape = self.shape_in_zone("bench", "10.20.0.0/16", "zone");
        let mut lines = describe(&aws_dependencies(&shape, &self.timings.pending));
        lines.push(format!(
            "every call: {:.0} ms mean latency",
            self.mean_latency_ms()
        ));
        lines
    }

    fn shape_in_zone(&self, name: &str, cidr: &str, zone: &str) -> StackShape {
        if self.quick {
            StackShape::lean(name, cidr)
        } else {
            StackShape::full(name, cidr, zone)
        }
    }

    /// A Route 53 zone for the full stacks' records (created straight in moto, not counted).
    fn zone_if_needed(&self) -> Result<String> {
        if self.quick {
            return Ok(String::new());
        }
        self.runtime.block_on(hosted_zone(&self.moto.endpoint()))
    }
}

fn expect(scenario: &'static str, observed: Observed, code: i32) -> Result<Observed> {
    if observed.output.code == Some(code) {
        Ok(observed)
    } else {
        Err(BenchError::Terraform {
            scenario,
            output: Box::new(observed.output),
        })
    }
}

/// AWS objects every stack of the state owns (entries of their `resources` maps).
fn count_objects(tf: &TerraformDir) -> Result<usize> {
    let shown = tf.run_exact(&["show".into(), "-json".into(), "-no-color".into()]);
    let shown = BenchError::check_exit("state", shown, 0)?;
    let state: serde_json::Value =
        serde_json::from_str(&shown.stdout).map_err(|error| BenchError::Unexpected {
            scenario: "state",
            message: format!("terraform show -json is not JSON: {error}"),
        })?;
    let resources = state
        .pointer("/values/root_module/resources")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default();
    Ok(resources
        .iter()
        .filter_map(|r| r.pointer("/values/resources")?.as_object().map(|m| m.len()))
        .sum())
}

fn unknown_steps(graph: &[(String, Vec<String>)], log: &ProviderLog) -> Vec<String> {
    log.durations()
        .into_keys()
        .filter(|step| !graph.iter().any(|(id, _)| id == step))
        .collect()
}

/// A hosted zone for the full stacks' records, created directly in moto.
async fn hosted_zone(moto_endpoint: &str) -> Result<String> {
    let aws = AwsInspector::connect(moto_endpoint).await;
    aws.create_hosted_zone("bench.example.com")
        .await
        .map_err(|error| BenchError::Aws {
            service: error.service,
            operation: error.operation,
            message: error.message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_run(wall: f64, peak_kib: Option<u64>, reads: u64, objects: f64) -> ApplyRun {
        let mut made = Calls::new();
        made.entry("ec2".into())
            .or_default()
            .insert("DescribeVpcs".into(), reads);
        made.entry("ec2".into())
            .or_default()
            .insert("CreateVpc".into(), 10);
        ApplyRun {
            observed: Observed {
                output: stack_tests::harness::terraform::TfOutput {
                    args: Vec::new(),
                    code: Some(0),
                    stdout: String::new(),
                    stderr: String::new(),
                    timed_out: false,
                },
                wall: std::time::Duration::from_secs_f64(wall),
                provider_peak_kib: peak_kib,
            },
            made,
            objects,
        }
    }

    #[test]
    fn scale_figures_are_per_stack_and_against_the_single_stack_run() {
        let mut samples = Samples::default();
        samples.at_factor(0.25).wall.push(6.0);
        samples.at_factor(USUAL).wall.push(20.0);
        samples.at_factor(2.0).wall.push(40.0);
        samples.critical_path.push(16.0);
        samples.record_scale(&apply_run(24.0, Some(97_656), 300, 400.0), 10);
        assert_eq!(samples.scale_over_single, [1.2]);
        // The process's whole peak, not divided among the stacks it applies.
        assert!((samples.scale_peak_mb[0] - 100.0).abs() < 0.01);
        assert_eq!(samples.scale_calls_per_stack, [31.0]);
        assert_eq!(samples.scale_reads_per_object, [0.75]);
    }

    #[test]
    fn a_scale_run_without_memory_samples_records_no_memory() {
        let mut samples = Samples::default();
        samples.record_scale(&apply_run(5.0, None, 1, 0.0), 2);
        assert!(samples.scale_peak_mb.is_empty());
        assert!(samples.scale_over_single.is_empty());
        assert_eq!(samples.scale_reads_per_object, [1.0]);
    }

    #[test]
    fn logged_steps_missing_from_the_graph_are_reported() {
        let graph = vec![("network.vpc".to_string(), Vec::new())];
        let log = ProviderLog::parse(
            "2026-01-01T00:00:00.000Z [DEBUG] provider.terraform-provider-wordpress: step done: step=network.vpc seconds=1\n\
             2026-01-01T00:00:01.000Z [DEBUG] provider.terraform-provider-wordpress: step done: step=extra.step seconds=1",
        );
        assert_eq!(unknown_steps(&graph, &log), ["extra.step"]);
    }
}
