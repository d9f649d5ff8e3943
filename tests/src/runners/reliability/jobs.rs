//! Running many runs side by side: the runner's options, its jobs, its worker threads.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::workspace_root;

use super::report::Report;
use super::run::{fault_run, kill_run, run_scenario, RunRecord, Scenario};

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
