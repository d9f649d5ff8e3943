//! The reliability scenarios of issue 5, shared by the `reliability` binary (the full 20 + 10
//! runs, `target/reliability.md`) and the seeded CI subset (`tests/tests/reliability.rs`).
//!
//! - **Fault run**: apply a realistic stack (bastion, DNS, two or three zones, a NAT gateway per
//!   zone) through the fault proxy with `configs/faults-10pct.json` reseeded per run; then a
//!   plan must be empty, moto must hold exactly the objects the configuration asks for (counted
//!   directly, not through the proxy), destroy must succeed and leave nothing tagged.
//! - **Kill run**: the same stack, the provider SIGKILLed (alone, or with Terraform) after a
//!   seeded number of AWS calls of its apply; the next apply must converge, then the same checks.
//!
//! Each run owns its moto, proxy and Terraform dir, so runs go side by side (`jobs`). A failed
//! run's Terraform output and fault log go to `target/reliability-logs/<run>.log`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_fault_proxy::config::{ScriptedFault, ScriptedKind};
use aws_fault_proxy::{FaultConfig, FaultKind, FaultProxy, Stats};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::aws::{AwsInspector, InspectError, TaggedObject};
use crate::terraform::{RunningCommand, TerraformDir, TfOutput};
use crate::{workspace_root, Moto};

/// The stack name every run uses (each run has its own moto).
pub const STACK: &str = "reliable";
/// The DNS record the stack manages in its hosted zone.
const RECORD_NAME: &str = "blog.example.com";
/// How long the provider may take to start before a kill run gives up on it.
const PROVIDER_START_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a single Terraform command of a run may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(900);

/// The proxy's pending states are AWS's durations at one real second per AWS minute; the
/// provider's waiters scale their intervals the same way (read by the provider from
/// `WORDPRESS_HA_TIME_SCALE`), or a NAT gateway pending 0.3 s would be polled again after 45 s.
pub const TIME_SCALE: f64 = 1.0 / 60.0;
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not set up the run: {0}")]
    Setup(String),
    #[error("could not inspect moto: {0}")]
    Inspect(#[from] InspectError),
}

/// The shape of the stack a run applies; everything else is the realistic default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackShape {
    pub zones: usize,
}

impl StackShape {
    /// Two or three zones, alternating with the seed.
    pub fn for_seed(seed: u64) -> StackShape {
        StackShape {
            zones: 2 + (seed % 2) as usize,
        }
    }

    pub fn zone_names(&self) -> Vec<String> {
        ["us-east-1a", "us-east-1b", "us-east-1c"]
            .iter()
            .take(self.zones)
            .map(|z| z.to_string())
            .collect()
    }

    /// The resource block: bastion and DNS on, a NAT gateway per zone, single-AZ database
    /// without a final snapshot (so destroy does not leave one behind).
    pub fn hcl(&self, zone_id: &str) -> String {
        let zones: Vec<String> = self
            .zone_names()
            .iter()
            .map(|z| format!("\"{z}\""))
            .collect();
        format!(
            r#"
resource "wordpress_ha_stack" "site" {{
  name = "{STACK}"
  network {{
    vpc_cidr           = "10.60.0.0/16"
    availability_zones = [{zones}]
    nat_gateways       = "one_per_az"
  }}
  bastion {{
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  dns {{
    zone_id     = "{zone_id}"
    record_name = "{RECORD_NAME}"
  }}
  tags = {{ purpose = "reliability" }}
}}
"#,
            zones = zones.join(", ")
        )
    }

    /// How many objects of each kind this stack is made of, as [`inventory`] counts them.
    pub fn expected_inventory(&self) -> BTreeMap<String, usize> {
        let zones = self.zones;
        let counts = [
            ("vpc", 1),
            ("subnet", 2 * zones),
            ("internet-gateway", 1),
            ("nat-gateway", zones),
            ("elastic-ip", zones),
            // The public table and one private table per zone.
            ("route-table", 1 + zones),
            // ALB, app, bastion, EFS, database.
            ("security-group", 5),
            // The bastion and the ASG's desired capacity (2 by default).
            ("instance", 3),
            ("launch-template", 1),
            ("file-system", 1),
            ("mount-target", zones),
            ("db-instance", 1),
            ("db-subnet-group", 1),
            ("load-balancer", 1),
            ("listener", 1),
            ("target-group", 1),
            ("auto-scaling-group", 1),
            ("secret", 1),
            ("role", 1),
            ("instance-profile", 1),
            ("dns-record", 1),
        ];
        counts
            .into_iter()
            .map(|(kind, n)| (kind.to_string(), n))
            .collect()
    }
}

/// Every object of the stack in moto, counted by kind: whatever carries the stack tag, plus the
/// children that cannot carry it (mount targets, listeners, the DNS record).
pub async fn inventory(
    aws: &AwsInspector,
    zone_id: &str,
) -> Result<BTreeMap<String, usize>, InspectError> {
    let tagged = aws.tagged_objects(STACK).await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for object in &tagged {
        *counts.entry(object.kind.to_string()).or_default() += 1;
    }
    let mount_targets = count_mount_targets(aws, &tagged).await?;
    let listeners = count_listeners(aws, &tagged).await?;
    let records = count_records(aws, zone_id).await?;
    for (kind, n) in [
        ("mount-target", mount_targets),
        ("listener", listeners),
        ("dns-record", records),
    ] {
        if n > 0 {
            counts.insert(kind.to_string(), n);
        }
    }
    Ok(counts)
}

async fn count_mount_targets(
    aws: &AwsInspector,
    tagged: &[TaggedObject],
) -> Result<usize, InspectError> {
    let mut total = 0;
    for fs in tagged.iter().filter(|o| o.kind == "file-system") {
        let out = aws
            .efs
            .describe_mount_targets()
            .file_system_id(&fs.id)
            .send()
            .await
            .map_err(inspect_error("efs", "DescribeMountTargets"))?;
        total += out.mount_targets().len();
    }
    Ok(total)
}

async fn count_listeners(
    aws: &AwsInspector,
    tagged: &[TaggedObject],
) -> Result<usize, InspectError> {
    let mut total = 0;
    for lb in tagged.iter().filter(|o| o.kind == "load-balancer") {
        let out = aws
            .elbv2
            .describe_listeners()
            .load_balancer_arn(&lb.id)
            .send()
            .await
            .map_err(inspect_error("elbv2", "DescribeListeners"))?;
        total += out.listeners().len();
    }
    Ok(total)
}

async fn count_records(aws: &AwsInspector, zone_id: &str) -> Result<usize, InspectError> {
    let wanted = format!("{RECORD_NAME}.");
    Ok(aws
        .record_sets(zone_id)
        .await?
        .iter()
        .filter(|(name, kind)| *name == wanted && kind == "A")
        .count())
}

fn inspect_error<E: std::error::Error>(
    service: &'static str,
    operation: &'static str,
) -> impl FnOnce(E) -> InspectError {
    move |err| InspectError {
        service,
        operation,
        message: aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
    }
}

/// Kinds with more objects than expected, as `kind: found (expected n)`.
pub fn duplicates(
    expected: &BTreeMap<String, usize>,
    found: &BTreeMap<String, usize>,
) -> Vec<String> {
    found
        .iter()
        .filter_map(|(kind, &n)| {
            let want = expected.get(kind).copied().unwrap_or(0);
            (n > want).then(|| format!("{kind}: {n} (expected {want})"))
        })
        .collect()
}

/// Kinds with fewer objects than expected (an apply that did not finish the stack).
pub fn missing(expected: &BTreeMap<String, usize>, found: &BTreeMap<String, usize>) -> Vec<String> {
    expected
        .iter()
        .filter_map(|(kind, &want)| {
            let n = found.get(kind).copied().unwrap_or(0);
            (n < want).then(|| format!("{kind}: {n} (expected {want})"))
        })
        .collect()
}

/// A hosted zone whose id starts with `Z` as AWS's do (the provider validates that; moto draws
/// ids without it, so create zones until one fits and delete the others).
pub async fn create_hosted_zone(aws: &AwsInspector, name: &str) -> Result<String, InspectError> {
    for attempt in 0..1000 {
        let out = aws
            .route53
            .create_hosted_zone()
            .name(name)
            .caller_reference(format!("reliability-{attempt}"))
            .send()
            .await
            .map_err(inspect_error("route53", "CreateHostedZone"))?;
        let full_id = out.hosted_zone().map(|z| z.id()).unwrap_or_default();
        let id = full_id.trim_start_matches("/hostedzone/").to_string();
        if id.starts_with('Z') {
            return Ok(id);
        }
        aws.route53
            .delete_hosted_zone()
            .id(&id)
            .send()
            .await
            .map_err(inspect_error("route53", "DeleteHostedZone"))?;
    }
    Err(InspectError {
        service: "route53",
        operation: "CreateHostedZone",
        message: "moto never produced a zone id starting with Z".to_string(),
    })
}

/// `tests/proxy/configs/faults-10pct.json` with `seed`.
pub fn faults_config(seed: u64) -> Result<FaultConfig, RunError> {
    let path = workspace_root().join("tests/proxy/configs/faults-10pct.json");
    let mut config = FaultConfig::from_file(&path)
        .map_err(|e| RunError::Setup(format!("{}: {e}", path.display())))?;
    config.seed = seed;
    Ok(config)
}

/// The kill runs' proxy: the 10 % preset's latency, consistency, DependencyViolation and
/// pending states, with its random faults too, so the kill lands in a realistic apply.
pub fn kill_config(seed: u64) -> Result<FaultConfig, RunError> {
    faults_config(seed)
}

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
        let zone_id = create_hosted_zone(&aws, "example.com").await?;
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
    match inventory(&world.aws, &world.zone_id).await {
        Ok(found) => {
            let expected = shape.expected_inventory();
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
    match world.aws.tagged_objects(STACK).await {
        Ok(left) => record.leaks = left.iter().map(ToString::to_string).collect(),
        Err(err) => record.errors.push(err.to_string()),
    }
    match count_records(&world.aws, &world.zone_id).await {
        Ok(0) => {}
        Ok(n) => record.leaks.push(format!("route53 dns-record x{n}")),
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

/// What the runner is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub fault_runs: usize,
    pub kill_runs: usize,
    /// Run i uses seed `seed + i` (kill runs continue after the fault runs' seeds).
    pub seed: u64,
    pub jobs: usize,
    /// Kill points are drawn in `1..=typical_calls` (about the AWS calls of one apply).
    pub typical_calls: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            fault_runs: 20,
            kill_runs: 10,
            seed: 1000,
            jobs: 2,
            typical_calls: DEFAULT_TYPICAL_CALLS,
        }
    }
}

/// About how many AWS calls one apply of the run's stack makes through the 10 % proxy.
pub const DEFAULT_TYPICAL_CALLS: u64 = 150;

/// One run for a worker.
#[derive(Debug, Clone)]
pub enum Job {
    Fault(u64),
    /// Seed and the typical number of AWS calls of an apply.
    Kill(u64, u64),
    Scenario(Box<Scenario>),
}

impl Job {
    async fn run(self) -> RunRecord {
        match self {
            Job::Fault(seed) => fault_run(seed).await,
            Job::Kill(seed, typical_calls) => kill_run(seed, typical_calls).await,
            Job::Scenario(scenario) => run_scenario(*scenario).await,
        }
    }
}

/// Every run of `options`, `jobs` at a time; records in seed order, fault runs first.
pub fn run_all(options: &Options) -> Report {
    let mut jobs: Vec<Job> = (0..options.fault_runs as u64)
        .map(|i| Job::Fault(options.seed + i))
        .collect();
    let kill_base = options.seed + options.fault_runs as u64;
    jobs.extend(
        (0..options.kill_runs as u64).map(|i| Job::Kill(kill_base + i, options.typical_calls)),
    );
    let mut records = run_jobs(jobs, options.jobs);
    records.sort_by_key(|r: &RunRecord| (r.kill.is_some(), r.seed));
    Report::new(options.clone(), records)
}

/// Run `jobs`, `parallel` at a time, each worker thread on its own small runtime; the records
/// in the order the jobs were given. A failed run's details go to its log file.
pub fn run_jobs(jobs: Vec<Job>, parallel: usize) -> Vec<RunRecord> {
    let next = AtomicUsize::new(0);
    let records: Mutex<Vec<(usize, RunRecord)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.max(1) {
            scope.spawn(|| worker(&jobs, &next, &records));
        }
    });
    let mut records = records.into_inner().unwrap_or_else(|p| p.into_inner());
    records.sort_by_key(|(index, _)| *index);
    records.into_iter().map(|(_, record)| record).collect()
}

fn worker(jobs: &[Job], next: &AtomicUsize, records: &Mutex<Vec<(usize, RunRecord)>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("reliability: no runtime for a worker: {err}");
            return;
        }
    };
    loop {
        let index = next.fetch_add(1, Ordering::SeqCst);
        let Some(job) = jobs.get(index) else {
            return;
        };
        let record = runtime.block_on(job.clone().run());
        eprintln!("{}", record.summary_line());
        if !record.succeeded() {
            save_log(&record);
        }
        records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((index, record));
    }
}

impl RunRecord {
    /// One line for the progress log.
    pub fn summary_line(&self) -> String {
        format!(
            "reliability: {} ({} zones) {} in {:.0?}: apply {}, re-plan {}, duplicates {}, destroy {}, leaks {}, {} calls, {} faults{}",
            self.label,
            self.zones,
            if self.succeeded() { "ok" } else { "FAILED" },
            self.wall,
            yes_no(self.apply_ok),
            if self.replan_clean { "clean" } else { "dirty" },
            self.duplicate_count(),
            yes_no(self.destroy_ok),
            self.leaks.len(),
            self.calls,
            self.faults_injected(),
            self.kill
                .map(|k| format!(", killed after {} calls ({:.1?}, landed: {})", k.at_calls, k.at, k.landed))
                .unwrap_or_default()
        )
    }
}

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "FAILED"
    }
}

/// `target/reliability-logs/<label>.log`: the failed commands' output and the problems seen.
fn save_log(record: &RunRecord) {
    let dir = workspace_root().join("target").join("reliability-logs");
    let path: PathBuf = dir.join(format!("{}.log", record.label));
    let mut text = format!("{}\n", record.summary_line());
    if let Some(first) = &record.first_apply_error {
        let _ = writeln!(text, "\nthe first apply failed, a second resumed: {first}");
    }
    for (heading, lines) in [
        ("duplicates", &record.duplicates),
        ("missing", &record.missing),
        ("left tagged", &record.leaks),
        ("errors", &record.errors),
        ("faults injected", &record.fault_log),
    ] {
        if !lines.is_empty() {
            let _ = writeln!(text, "\n## {heading}\n{}", lines.join("\n"));
        }
    }
    let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text));
    match saved {
        Ok(()) => eprintln!("reliability: {} logged to {}", record.label, path.display()),
        Err(err) => eprintln!("reliability: could not write {}: {err}", path.display()),
    }
}

/// All records and the figures of issue 5 with their targets.
#[derive(Debug, Clone)]
pub struct Report {
    pub options: Options,
    pub records: Vec<RunRecord>,
}

/// One row of the summary table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub name: String,
    pub measured: String,
    pub target: String,
    /// `None` for figures without a target (informative).
    pub met: Option<bool>,
}

impl Report {
    pub fn new(options: Options, records: Vec<RunRecord>) -> Report {
        Report { options, records }
    }

    pub fn fault_records(&self) -> Vec<&RunRecord> {
        self.records.iter().filter(|r| r.kill.is_none()).collect()
    }

    pub fn kill_records(&self) -> Vec<&RunRecord> {
        self.records.iter().filter(|r| r.kill.is_some()).collect()
    }

    /// Every figure with a target is met.
    pub fn targets_met(&self) -> bool {
        self.figures().iter().all(|f| f.met != Some(false))
    }

    pub fn figures(&self) -> Vec<Figure> {
        let mut figures = group_figures("fault runs", &self.fault_records(), "succeeded");
        figures.extend(group_figures(
            "kill runs",
            &self.kill_records(),
            "converged",
        ));
        figures
    }

    /// The summary table and one row per run, in Markdown.
    pub fn markdown(&self) -> String {
        let mut text = String::from("# Reliability\n\n");
        let _ = writeln!(
            text,
            "{} fault runs + {} kill runs, seeds from {}, {} at a time. Stack: bastion, DNS, \
             2-3 zones, a NAT gateway per zone; proxy: tests/proxy/configs/faults-10pct.json \
             reseeded per run.\n",
            self.options.fault_runs, self.options.kill_runs, self.options.seed, self.options.jobs
        );
        text.push_str("| figure | measured | target | met |\n| --- | --- | --- | --- |\n");
        for figure in self.figures() {
            let met = match figure.met {
                Some(true) => "yes",
                Some(false) => "**NO**",
                None => "",
            };
            let _ = writeln!(
                text,
                "| {} | {} | {} | {met} |",
                figure.name, figure.measured, figure.target
            );
        }
        text.push_str("\n## Runs\n\n");
        text.push_str(
            "| run | zones | apply | re-plan | duplicates | destroy | leaks | calls | faults | kill point | time |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for record in &self.records {
            text.push_str(&run_row(record));
        }
        let problems: Vec<String> = self
            .records
            .iter()
            .filter(|r| !r.succeeded())
            .map(|r| format!("- {}: {}", r.label, r.problem_summary()))
            .collect();
        if !problems.is_empty() {
            let _ = writeln!(text, "\n## Problems\n\n{}", problems.join("\n"));
        }
        text
    }
}

fn run_row(record: &RunRecord) -> String {
    let kill = record
        .kill
        .map(|k| {
            format!(
                "{} after {} calls ({:.1} s){}",
                if k.whole_terraform {
                    "terraform+provider"
                } else {
                    "provider"
                },
                k.at_calls,
                k.at.as_secs_f64(),
                if k.landed { "" } else { ", missed" }
            )
        })
        .unwrap_or_default();
    let dupes = if record.duplicates.is_empty() {
        "0".to_string()
    } else {
        record.duplicates.join("; ")
    };
    let leaks = if record.leaks.is_empty() {
        "0".to_string()
    } else {
        record.leaks.join("; ")
    };
    format!(
        "| {} | {} | {} | {} | {dupes} | {} | {leaks} | {} | {} | {kill} | {:.1} s |\n",
        record.label,
        record.zones,
        yes_no(record.apply_ok),
        if record.replan_clean {
            "clean"
        } else {
            "DIRTY"
        },
        yes_no(record.destroy_ok),
        record.calls,
        fault_breakdown(&record.faults),
        record.wall.as_secs_f64()
    )
}

fn fault_breakdown(faults: &BTreeMap<FaultKind, u64>) -> String {
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

fn fault_name(kind: FaultKind) -> &'static str {
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

impl RunRecord {
    /// The first line of each problem, for the table's notes.
    pub fn problem_summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.duplicates.is_empty() {
            parts.push(format!("duplicates {}", self.duplicates.join(", ")));
        }
        if !self.missing.is_empty() {
            parts.push(format!("missing {}", self.missing.join(", ")));
        }
        if !self.leaks.is_empty() {
            parts.push(format!("left tagged {}", self.leaks.join(", ")));
        }
        if self.kill.is_some_and(|k| !k.landed) {
            parts.push("the kill did not land in the apply".to_string());
        }
        for error in &self.errors {
            parts.push(first_error_line(error));
        }
        parts.join("; ")
    }
}

/// The detail of Terraform's first error diagnostic (the lines after the source snippet).
pub fn diagnostic_detail(output: &TfOutput) -> String {
    let lines: Vec<&str> = output.stderr.lines().map(str::trim).collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("Error:"))
        .unwrap_or(0);
    let after_snippet = lines[start..]
        .iter()
        .position(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(':'))
        .map_or(start, |i| start + i + 1);
    lines[after_snippet..]
        .iter()
        .take_while(|l| !l.starts_with("Error:"))
        .filter(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line of an error: what failed and Terraform's diagnostic detail.
fn first_error_line(error: &str) -> String {
    error.lines().next().unwrap_or_default().to_string()
}

/// The figures of one group of runs: successes, duplicates, leaks, faults, times.
fn group_figures(group: &str, records: &[&RunRecord], success_word: &str) -> Vec<Figure> {
    if records.is_empty() {
        return Vec::new();
    }
    let n = records.len();
    let succeeded = records.iter().filter(|r| r.succeeded()).count();
    let duplicates: usize = records.iter().map(|r| r.duplicate_count()).sum();
    let leaks: usize = records.iter().map(|r| r.leaks.len()).sum();
    let faults: u64 = records.iter().map(|r| r.faults_injected()).sum();
    let calls: u64 = records.iter().map(|r| r.calls).sum();
    let mut times: Vec<Duration> = records.iter().map(|r| r.wall).collect();
    times.sort();
    let median = times[n / 2];
    let max = times[n - 1];
    vec![
        Figure {
            name: format!("{group}: {success_word}"),
            measured: format!("{succeeded}/{n}"),
            target: format!("{n}/{n}"),
            met: Some(succeeded == n),
        },
        Figure {
            name: format!("{group}: kinds with duplicates after apply"),
            measured: duplicates.to_string(),
            target: "0".to_string(),
            met: Some(duplicates == 0),
        },
        Figure {
            name: format!("{group}: objects left tagged after destroy"),
            measured: leaks.to_string(),
            target: "0".to_string(),
            met: Some(leaks == 0),
        },
        Figure {
            name: format!("{group}: faults injected / AWS calls"),
            measured: format!("{faults} / {calls}"),
            target: "-".to_string(),
            met: None,
        },
        Figure {
            name: format!("{group}: median / max run time"),
            measured: format!("{:.0} s / {:.0} s", median.as_secs_f64(), max.as_secs_f64()),
            target: "-".to_string(),
            met: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn duplicates_and_missing_compare_kind_by_kind() {
        let expected = counts(&[("vpc", 1), ("subnet", 4)]);
        let found = counts(&[("vpc", 2), ("subnet", 3), ("secret", 1)]);
        assert_eq!(
            duplicates(&expected, &found),
            ["secret: 1 (expected 0)", "vpc: 2 (expected 1)"]
        );
        assert_eq!(missing(&expected, &found), ["subnet: 3 (expected 4)"]);
        assert!(duplicates(&expected, &expected).is_empty());
    }

    #[test]
    fn expected_inventory_scales_with_zones() {
        let two = StackShape { zones: 2 }.expected_inventory();
        let three = StackShape { zones: 3 }.expected_inventory();
        assert_eq!(two["subnet"], 4);
        assert_eq!(three["subnet"], 6);
        assert_eq!(three["nat-gateway"], 3);
        assert_eq!(two["vpc"], three["vpc"]);
    }

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

    #[test]
    fn a_run_fails_on_any_missed_check_and_the_report_says_so() {
        let good = RunRecord {
            label: "fault-1".into(),
            apply_ok: true,
            replan_clean: true,
            destroy_ok: true,
            wall: Duration::from_secs(10),
            ..RunRecord::default()
        };
        let mut duplicated = good.clone();
        duplicated.label = "fault-2".into();
        duplicated.duplicates = vec!["vpc: 2 (expected 1)".into()];
        assert!(good.succeeded());
        assert!(!duplicated.succeeded());

        let report = Report::new(Options::default(), vec![good.clone()]);
        assert!(report.targets_met());
        let report = Report::new(Options::default(), vec![good, duplicated]);
        assert!(!report.targets_met());
        let table = report.markdown();
        assert!(
            table.contains("| fault runs: succeeded | 1/2 | 2/2 | **NO** |"),
            "{table}"
        );
        assert!(
            table.contains("fault-2: duplicates vpc: 2 (expected 1)"),
            "{table}"
        );
    }

    #[test]
    fn the_stack_hcl_names_every_zone_and_the_hosted_zone() {
        let hcl = StackShape { zones: 3 }.hcl("ZABC");
        assert!(
            hcl.contains(r#"["us-east-1a", "us-east-1b", "us-east-1c"]"#),
            "{hcl}"
        );
        assert!(hcl.contains(r#"zone_id     = "ZABC""#), "{hcl}");
    }
}
