//! The reliability figures: seeded fault runs and kill runs of a realistic stack,
//! printed as a table and written to `target/reliability.md`. Exits non-zero when a target is
//! missed.
//!
//! ```sh
//! cargo build -p terraform-provider-wordpress
//! cargo run -p stack-tests --bin reliability -- --fault-runs 20 --kill-runs 10 --seed 1000 --jobs 2
//! ```

use std::process::ExitCode;

use clap::Parser;
use stack_tests::runners::reliability::{run_all, Options, DEFAULT_TYPICAL_CALLS};
use stack_tests::workspace_root;

/// Seeded applies and destroys through the fault proxy, and applies killed halfway.
#[derive(Debug, Parser)]
#[command(name = "reliability")]
struct Args {
    /// Applies + destroys with 10 % of AWS calls faulted.
    #[arg(long, default_value_t = 20)]
    fault_runs: usize,
    /// Applies whose provider is SIGKILLed at a seeded point, then resumed and destroyed.
    #[arg(long, default_value_t = 10)]
    kill_runs: usize,
    /// Run i uses seed SEED + i.
    #[arg(long, default_value_t = 1000)]
    seed: u64,
    /// Runs at a time (each has its own moto, proxy and Terraform).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Kill points are drawn among the first this many AWS calls of the apply.
    #[arg(long, default_value_t = DEFAULT_TYPICAL_CALLS)]
    typical_calls: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        fault_runs: args.fault_runs,
        kill_runs: args.kill_runs,
        seed: args.seed,
        jobs: args.jobs,
        typical_calls: args.typical_calls,
    };
    let report = run_all(&options);
    let table = report.markdown();
    println!("{table}");
    let path = workspace_root().join("target").join("reliability.md");
    if let Err(err) = std::fs::write(&path, &table) {
        eprintln!("reliability: could not write {}: {err}", path.display());
        return ExitCode::FAILURE;
    }
    eprintln!("reliability: table written to {}", path.display());
    if report.targets_met() {
        ExitCode::SUCCESS
    } else {
        eprintln!("reliability: some targets were missed");
        ExitCode::FAILURE
    }
}
