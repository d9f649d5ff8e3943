//! The end-to-end benchmark, run by `./scripts/bench`.
//!
//! Builds the provider (profile `dist` by default), times its handshake, starts moto behind the
//! fault proxy with AWS's timings, then runs every scenario `--runs` times: the apply of the
//! issue's stack against its physical floor (`bench/physical_floor.rs`) with AWS at 0.25×, 1×
//! and 2× its usual durations (`bench/durations.rs`), one refresh's AWS calls, no-op plans
//! against Terraform's floor, the provider's footprint, waiter polls, and N stacks at once.
//! Prints the table with each target and PASS/MISS, and writes it to BENCHMARKS.md with the
//! method.
//! `--quick` is the smoke mode CI runs (`tests/tests/bench_smoke.rs`). See `--help`.

#[path = "../bench/calls.rs"]
mod calls;
#[path = "../bench/critical_path.rs"]
mod critical_path;
#[path = "../bench/durations.rs"]
mod durations;
#[path = "../bench/error.rs"]
mod error;
#[path = "../bench/figures.rs"]
mod figures;
#[path = "../bench/footprint.rs"]
mod footprint;
#[path = "../bench/handshake.rs"]
mod handshake;
#[path = "../bench/machine.rs"]
mod machine;
#[path = "../bench/observe.rs"]
mod observe;
#[path = "../bench/options.rs"]
mod options;
#[path = "../bench/physical_floor.rs"]
mod physical_floor;
#[path = "../bench/provider_log.rs"]
mod provider_log;
#[path = "../bench/report.rs"]
mod report;
#[path = "../bench/scenario_figures.rs"]
mod scenario_figures;
#[path = "../bench/scenarios.rs"]
mod scenarios;
#[path = "../bench/stack.rs"]
mod stack;
#[path = "../bench/wide_refresh.rs"]
mod wide_refresh;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

use clap::Parser;

use error::{BenchError, Result};
use options::{Cli, Options};
use report::Report;
use scenario_figures::Standalone;
use scenarios::World;

const PROVIDER_PACKAGE: &str = "terraform-provider-wordpress";

fn main() -> ExitCode {
    let root = stack_tests::workspace_root();
    let options = Options::resolve(Cli::parse(), &root);
    match run(&options, &root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options, root: &Path) -> Result<()> {
    let provider = provider_binary(options, root)?;
    configure_environment(options, &provider);
    let standalone = standalone_figures(options, root, &provider)?;
    say(&format!(
        "starting moto and the fault proxy ({})",
        options.timings.display()
    ));
    let world = World::start(options)?;
    let mut samples = world.samples();
    say("warming up: one apply whose figures are discarded");
    world.warm_up(&mut samples)?;
    for run in 1..=options.runs {
        let factors: Vec<String> = options
            .duration_factors
            .iter()
            .map(|&f| durations::label(f))
            .collect();
        say(&format!(
            "run {run}/{}: one stack, AWS at {} its durations",
            options.runs,
            factors.join(", ")
        ));
        world.single_stack_run(&mut samples)?;
        say(&format!(
            "run {run}/{}: {} stacks in one configuration",
            options.runs, options.scale_stacks
        ));
        world.scale_run(&mut samples)?;
    }
    say(&format!(
        "{} stacks in one configuration, refreshed together",
        options.refresh_stacks
    ));
    world.wide_refresh_run(options.refresh_stacks, &mut samples)?;
    let report = Report {
        figures: scenario_figures::figures(&samples, &standalone, options),
        details: scenario_figures::details(&samples),
        method: machine::describe(root, &provider),
        options: options.clone(),
        mean_latency_ms: world.mean_latency_ms(),
        floor_dependencies: world.floor_dependencies(),
        factors_method: durations::method(&options.duration_factors, &world.timings),
    };
    publish(&report, options)
}

fn publish(report: &Report, options: &Options) -> Result<()> {
    println!("{}", report.console());
    report::write_file(&options.output, &report.markdown())?;
    say(&format!("wrote {}", options.output.display()));
    if let Some(json) = &options.json {
        report::write_json(report, json)?;
        say(&format!("wrote {}", json.display()));
    }
    Ok(())
}

/// The measured binary: built with the chosen profile (niced: it is slow and the machine is
/// shared) unless `--no-build`.
fn provider_binary(options: &Options, root: &Path) -> Result<PathBuf> {
    if options.build {
        build_provider(options, root)?;
    }
    let binary = target_dir(root)
        .join(options.profile.target_subdir())
        .join(PROVIDER_PACKAGE);
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(BenchError::Unexpected {
            scenario: "build",
            message: format!(
                "no provider at {}: build it (cargo build -p {PROVIDER_PACKAGE} --profile {}) or drop --no-build",
                binary.display(),
                options.profile.cargo_name()
            ),
        })
    }
}

fn build_provider(options: &Options, root: &Path) -> Result<()> {
    let profile = options.profile.cargo_name();
    say(&format!(
        "building {PROVIDER_PACKAGE} with the '{profile}' profile"
    ));
    let args = [
        "-n",
        "19",
        "cargo",
        "build",
        "-p",
        PROVIDER_PACKAGE,
        "--profile",
        profile,
    ];
    let status = Command::new("nice")
        .args(args)
        .current_dir(root)
        .status()
        .map_err(BenchError::io("run cargo in", root))?;
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::Command {
            command: format!("nice {}", args.join(" ")),
            status: status.to_string(),
        })
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// What every Terraform command inherits: the measured provider, its waiters' time scale to
/// match the proxy, and its debug log (the step timings come from it). Set once, before any
/// thread starts.
fn configure_environment(options: &Options, provider: &Path) {
    std::env::set_var("WORDPRESS_PROVIDER_BIN", provider);
    std::env::set_var(
        "WORDPRESS_HA_TIME_SCALE",
        options.provider_time_scale().to_string(),
    );
    std::env::set_var("TF_LOG_PROVIDER", "DEBUG");
    std::env::remove_var("TF_LOG");
    std::env::remove_var("TF_LOG_PATH");
}

/// Figures that need no AWS: handshake, binary size, the criterion micro-benchmark.
fn standalone_figures(options: &Options, root: &Path, provider: &Path) -> Result<Standalone> {
    say(&format!("timing {} provider starts", options.handshakes));
    let handshake_ms = handshake::times_ms(provider, options.handshakes)?;
    // Only an estimate this run wrote counts (see `footprint::criterion_median_ms`).
    let started = SystemTime::now();
    let micro_note = micro_benchmark(options, root, started);
    Ok(Standalone {
        handshake_ms,
        binary_mb: Some(footprint::binary_mb(provider)?),
        schema_ms: footprint::criterion_median_ms(
            &target_dir(root),
            footprint::SCHEMA_BENCH,
            started,
        ),
        micro_note,
    })
}

/// Runs the criterion bench when asked and present; the note says where the figure comes from.
fn micro_benchmark(options: &Options, root: &Path, started: SystemTime) -> String {
    let target = target_dir(root);
    let estimates = footprint::estimates_path(&target, footprint::SCHEMA_BENCH);
    if !footprint::micro_bench_exists(root) {
        return format!(
            "not measured: the provider crate has no `{}` criterion bench",
            footprint::MICRO_BENCH_TARGET
        );
    }
    if options.micro {
        say("running the criterion micro-benchmark");
        if let Err(error) = footprint::run_micro_bench(root) {
            return format!("criterion run failed: {error}");
        }
    }
    let fresh = std::fs::metadata(&estimates)
        .and_then(|m| m.modified())
        .is_ok_and(|written| written >= started);
    if fresh {
        "criterion, release build".to_string()
    } else {
        "not measured in this run (a stale or absent estimate counts as a miss): drop \
         `--no-micro`"
            .to_string()
    }
}

fn say(message: &str) {
    eprintln!("bench: {message}");
}
