//! One run: its private moto, proxy and Terraform dir, the apply (killed or faulted), the
//! checks after it and after the destroy, and what it found ([`RunRecord`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_fault_proxy::{FaultConfig, FaultKind, FaultProxy, Stats};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::harness::terraform::{RunningCommand, TerraformDir, TfOutput};
use crate::inspect::{AwsInspector, Inventory};
use crate::Moto;

use super::faults::{fault_name, faults_config, kill_config};
use super::report::diagnostic_detail;
use super::shape::{duplicates, missing, StackShape};
use super::{RunError, COMMAND_TIMEOUT, PROVIDER_START_TIMEOUT, STACK, TIME_SCALE, TIME_SCALE_ENV};

/// Everything one run needs: moto, the zone, the proxy, the Terraform dir, an inspector.
struct RunWorld {
    // Drop order: the work dir first (it reports moto's log when kept), moto last.
    tf: TerraformDir,
    proxy: FaultProxy,
    aws: AwsInspector,
    zone_id: String,
    _moto: Moto,
}

impl RunWorld {
    async fn start(label: &str, config: FaultConfig) -> Result<RunWorld, RunError> {
        let moto = Moto::start_async()
            .await
            .map_err(|e| RunError::Setup(e.to_string()))?;
        let aws = AwsInspector::for_moto(&moto).await;
        let zone_id = aws.create_hosted_zone("example.com").await?;
        let proxy = FaultProxy::start(&moto.endpoint(), config)
            .map_err(|e| RunError::Setup(e.to_string()))?;
        let mut tf = TerraformDir::with_endpoint(label, &moto, &proxy.endpoint())
            .map_err(|e| RunError::Setup(e.to_string()))?;
        tf.add_env(TIME_SCALE_ENV, &TIME_SCALE.to_string());
        Ok(RunWorld {
            tf,
            proxy,
            aws,
            zone_id,
            _moto: moto,
        })
    }

    /// Run a Terraform command on the blocking pool (the inspector's runtime stays free).
    async fn terraform(&self, args: &'static [&'static str]) -> TfOutput {
        let running = match self.tf.spawn(args) {
            Ok(running) => running,
            Err(err) => {
                return TfOutput {
                    args: args.iter().map(|a| a.to_string()).collect(),
                    code: None,
                    stdout: String::new(),
                    stderr: format!("could not start terraform: {err}"),
                    timed_out: false,
                }
            }
        };
        wait_blocking(running).await
    }
}

async fn wait_blocking(running: RunningCommand) -> TfOutput {
    match tokio::task::spawn_blocking(move || running.wait(COMMAND_TIMEOUT)).await {
        Ok(output) => output,
        Err(join) => TfOutput {
            args: Vec::new(),
            code: None,
            stdout: String::new(),
            stderr: format!("the waiting thread failed: {join}"),
            timed_out: false,
        },
    }
}

/// What one run found. Kill runs fill `kill`.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub label: String,
    pub seed: u64,
    pub zones: usize,
    /// The first apply (fault runs) or the apply after the kill (kill runs) succeeded.
    pub apply_ok: bool,
    /// `plan -detailed-exitcode` after the apply exited 0.
    pub replan_clean: bool,
    /// Kinds with more objects than the configuration asks for, after the apply.
    pub duplicates: Vec<String>,
    /// Kinds with fewer objects than expected after a successful apply.
    pub missing: Vec<String>,
    pub destroy_ok: bool,
    /// Objects still tagged for the stack after destroy.
    pub leaks: Vec<String>,
    pub calls: u64,
    pub faults: BTreeMap<FaultKind, u64>,
    pub wall: Duration,
    pub kill: Option<KillPoint>,
    /// What went wrong, for the log and the table's notes.
    pub errors: Vec<String>,
    /// AWS calls by service and operation once the apply (and the re-plan) were done.
    pub calls_after_apply: BTreeMap<String, BTreeMap<String, u64>>,
    /// AWS calls by service and operation over the whole run.
    pub calls_by_operation: BTreeMap<String, BTreeMap<String, u64>>,
    /// The first apply's error when a resume was allowed and needed.
    pub first_apply_error: Option<String>,
    /// `service operation #nth: kind` of every injected fault, in call order per operation.
    pub fault_log: Vec<String>,
}

/// Where a kill run struck.
#[derive(Debug, Clone, Copy, Default)]
pub struct KillPoint {
    /// The AWS call count the kill waited for.
    pub after_calls: u64,
    /// Calls the proxy had seen when the kill was sent.
    pub at_calls: u64,
    /// Since the apply started.
    pub at: Duration,
    /// Terraform and the provider together, or only the provider.
    pub whole_terraform: bool,
    /// Whether the apply was still running (false: it finished before the kill point).
    pub landed: bool,
}

impl RunRecord {
    fn new(label: String, seed: u64, shape: StackShape) -> RunRecord {
        RunRecord {
            label,
            seed,
            zones: shape.zones,
            ..RunRecord::default()
        }
    }

    /// Every check of the run passed.
    pub fn succeeded(&self) -> bool {
        self.apply_ok
            && self.replan_clean
            && self.duplicates.is_empty()
            && self.missing.is_empty()
            && self.destroy_ok
            && self.leaks.is_empty()
            && self.kill.is_none_or(|k| k.landed)
            && self.errors.is_empty()
    }

    pub fn duplicate_count(&self) -> usize {
        self.duplicates.len()
    }

    pub fn faults_injected(&self) -> u64 {
        self.faults
            .iter()
            .filter(|(kind, _)| **kind != FaultKind::Pending)
            .map(|(_, n)| n)
            .sum()
    }

    fn note_failure(&mut self, what: &str, output: &TfOutput) {
        self.errors.push(format!(
            "{what} failed: {}\n{output}",
            diagnostic_detail(output)
        ));
    }
}

/// One apply + destroy through the proxy: its faults during the apply (and the re-plan), its
/// faults during the destroy, and whether a failed apply may be finished by a second one.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub label: String,
    pub seed: u64,
    pub shape: StackShape,
    pub apply_faults: FaultConfig,
    /// Replaces the proxy's config right before the destroy; `None` keeps the apply's.
    pub destroy_faults: Option<FaultConfig>,
    /// A failed apply is followed by a second (resuming) one before the checks.
    pub resume_failed_apply: bool,
}

impl Scenario {
    /// A fault run: the 10 % preset with `seed`, no second chance.
    pub fn fault_run(seed: u64) -> Result<Scenario, RunError> {
        Ok(Scenario {
            label: format!("fault-{seed}"),
            seed,
            shape: StackShape::for_seed(seed),
            apply_faults: faults_config(seed)?,
            destroy_faults: None,
            resume_failed_apply: false,
        })
    }
}

/// A fault run: apply, plan, count, destroy, count, through the 10 % fault proxy.
pub async fn fault_run(seed: u64) -> RunRecord {
    match Scenario::fault_run(seed) {
        Ok(scenario) => run_scenario(scenario).await,
        Err(err) => {
            let mut record =
                RunRecord::new(format!("fault-{seed}"), seed, StackShape::for_seed(seed));
            record.errors.push(err.to_string());
            record
        }
    }
}

/// Apply (and resume if allowed), plan, count, destroy, count.
pub async fn run_scenario(scenario: Scenario) -> RunRecord {
    let mut record = RunRecord::new(scenario.label.clone(), scenario.seed, scenario.shape);
    let started = Instant::now();
    match RunWorld::start(&record.label, scenario.apply_faults.clone()).await {
        Ok(world) => {
            let allow_resume = scenario.resume_failed_apply;
            apply_and_check(&world, scenario.shape, allow_resume, &mut record).await;
            record.calls_after_apply = world.proxy.stats().calls;
            if let Some(config) = scenario.destroy_faults {
                if let Err(err) = world.proxy.set_config(config) {
                    record.errors.push(format!("destroy faults refused: {err}"));
                }
            }
            destroy_and_check(&world, &mut record).await;
            take_stats(&world.proxy.stats(), &mut record);
        }
        Err(err) => record.errors.push(err.to_string()),
    }
    record.wall = started.elapsed();
    record
}

/// A kill run: start the apply, SIGKILL the provider after a seeded number of AWS calls, then
/// apply again (it must converge), plan, count, destroy, count.
pub async fn kill_run(seed: u64, typical_calls: u64) -> RunRecord {
    let shape = StackShape::for_seed(seed);
    let mut record = RunRecord::new(format!("kill-{seed}"), seed, shape);
    let started = Instant::now();
    match kill_config(seed) {
        Ok(config) => match RunWorld::start(&record.label, config).await {
            Ok(world) => {
                let point = kill_point(seed, typical_calls);
                record.kill = Some(kill_apply(&world, shape, point).await);
                apply_and_check(&world, shape, false, &mut record).await;
                destroy_and_check(&world, &mut record).await;
                take_stats(&world.proxy.stats(), &mut record);
            }
            Err(err) => record.errors.push(err.to_string()),
        },
        Err(err) => record.errors.push(err.to_string()),
    }
    record.wall = started.elapsed();
    record
}

/// The seeded kill point: a call count in `1..=typical_calls`, and whether to kill Terraform
/// with the provider (odd seeds) or the provider alone (even seeds).
pub fn kill_point(seed: u64, typical_calls: u64) -> KillPoint {
    let mut rng = StdRng::seed_from_u64(seed);
    KillPoint {
        after_calls: rng.random_range(1..=typical_calls.max(1)),
        whole_terraform: seed % 2 == 1,
        ..KillPoint::default()
    }
}

async fn kill_apply(world: &RunWorld, shape: StackShape, mut point: KillPoint) -> KillPoint {
    let started = Instant::now();
    if world.tf.write_stack(&shape.hcl(&world.zone_id)).is_err() {
        return point;
    }
    let Ok(mut apply) = world.tf.spawn(&["apply", "-auto-approve"]) else {
        return point;
    };
    let provider_up = {
        let deadline = Instant::now() + PROVIDER_START_TIMEOUT;
        let mut up = false;
        while !up && Instant::now() < deadline && !apply.finished() {
            up = apply.provider_pid().is_some();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        up
    };
    while provider_up && !apply.finished() && world.proxy.stats().total_calls() < point.after_calls
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    point.at_calls = world.proxy.stats().total_calls();
    point.at = started.elapsed();
    point.landed = provider_up && !apply.finished();
    if point.whole_terraform {
        let _ = apply.kill();
    } else {
        point.landed &= apply.kill_provider();
        let _ = wait_blocking(apply).await;
    }
    point
}

/// Write the stack, apply (a second time if the first failed and `allow_resume`), plan, and
/// count what moto holds.
async fn apply_and_check(
    world: &RunWorld,
    shape: StackShape,
    allow_resume: bool,
    record: &mut RunRecord,
) {
    if let Err(err) = world.tf.write_stack(&shape.hcl(&world.zone_id)) {
        record.errors.push(err.to_string());
        return;
    }
    let mut apply = world.terraform(&["apply", "-auto-approve"]).await;
    if !apply.success() && allow_resume {
        record.first_apply_error = Some(diagnostic_detail(&apply));
        apply = world.terraform(&["apply", "-auto-approve"]).await;
    }
    record.apply_ok = apply.success();
    if !record.apply_ok {
        record.note_failure("apply", &apply);
    }
    let plan = world.terraform(&["plan", "-detailed-exitcode"]).await;
    record.replan_clean = plan.code == Some(0);
    if record.apply_ok && !record.replan_clean {
        record.note_failure("re-plan", &plan);
    }
    match Inventory::take(&world.aws, STACK, Some(&world.zone_id)).await {
        Ok(found) => {
            let expected = shape.expected_inventory();
            let found = found.counts();
            record.duplicates = duplicates(&expected, &found);
            if record.apply_ok {
                record.missing = missing(&expected, &found);
            }
        }
        Err(err) => record.errors.push(err.to_string()),
    }
}

async fn destroy_and_check(world: &RunWorld, record: &mut RunRecord) {
    let destroy = world.terraform(&["destroy", "-auto-approve"]).await;
    record.destroy_ok = destroy.success();
    if !record.destroy_ok {
        record.note_failure("destroy", &destroy);
    }
    match Inventory::take(&world.aws, STACK, Some(&world.zone_id)).await {
        Ok(left) if left.is_empty() => {}
        Ok(left) => record.leaks = left.listing().split("\n  ").map(str::to_string).collect(),
        Err(err) => record.errors.push(err.to_string()),
    }
}

fn take_stats(stats: &Stats, record: &mut RunRecord) {
    record.calls = stats.total_calls();
    record.calls_by_operation = stats.calls.clone();
    record.faults = stats.faults.clone();
    record.fault_log = stats
        .sorted_fault_log()
        .iter()
        .map(|e| {
            format!(
                "{} {} #{}: {}",
                e.service,
                e.operation,
                e.nth,
                fault_name(e.kind)
            )
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_points_are_seeded_and_in_range() {
        for seed in 0..50 {
            let point = kill_point(seed, 40);
            assert!((1..=40).contains(&point.after_calls), "{point:?}");
            assert_eq!(point.after_calls, kill_point(seed, 40).after_calls);
            assert_eq!(point.whole_terraform, seed % 2 == 1);
        }
        let distinct: std::collections::BTreeSet<u64> =
            (0..50).map(|s| kill_point(s, 40).after_calls).collect();
        assert!(distinct.len() > 10, "kill points spread out: {distinct:?}");
    }
}
