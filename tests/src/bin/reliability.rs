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
use stack_tests::harness::terraform::PROVIDER_BINARY;
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

/// The harness looks for the provider next to a *test* binary (`<target>/debug/deps/..`); this
/// binary sits in `<target>/debug` itself, beside the provider, so say so (unless the caller
/// chose one). Done first thing, before any thread exists.
fn use_the_provider_beside_this_binary() {
    if std::env::var_os("WORDPRESS_PROVIDER_BIN").is_some() {
        return;
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(PROVIDER_BINARY)));
    if let Some(provider) = beside.filter(|p| p.is_file()) {
        std::env::set_var("WORDPRESS_PROVIDER_BIN", provider);
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    use_the_provider_beside_this_binary();
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
