//! The acceptance run against a real AWS account (or, with `--endpoint`, an emulator): applies
//! `examples/default` under a unique name, waits until the site answers with WordPress, checks
//! each tier through the API, destroys, sweeps anything tagged that is left, and prints a report.
//! It creates billed objects, so it refuses to start unless `WORDPRESS_ACC=1`. `--sweep-only
//! --name acc-…` removes what an aborted run left.
//!
//! ```sh
//! WORDPRESS_ACC=1 AWS_PROFILE=sandbox ./scripts/acceptance --region eu-west-1
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use stack_tests::runners::acceptance::{run, sweep_only, unique_name, AcceptanceOptions};

/// Apply, await, check, destroy and sweep one stack of examples/default.
#[derive(Debug, Parser)]
#[command(name = "acceptance")]
struct Args {
    /// The region to build in (default: $AWS_REGION, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// The stack's name (default: `acc-` and random hex, unique per run).
    #[arg(long)]
    name: Option<String>,
    /// A Route 53 hosted zone id for the site's record (with --record-name).
    #[arg(long, requires = "record_name")]
    zone_id: Option<String>,
    /// The record's name in that zone, e.g. acc.example.com.
    #[arg(long, requires = "zone_id")]
    record_name: Option<String>,
    /// An AWS-compatible endpoint instead of AWS (moto; CI uses this).
    #[arg(long)]
    endpoint: Option<String>,
    /// Send the site's requests to this address instead of its DNS name (an emulator's stand-in).
    #[arg(long)]
    site_address: Option<SocketAddr>,
    /// How long the site may take to answer with WordPress after the apply.
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration)]
    site_patience: Duration,
    /// Only sweep what is tagged for --name (after an aborted run), creating nothing.
    #[arg(long, requires = "name")]
    sweep_only: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = AcceptanceOptions {
        name: args.name.unwrap_or_else(unique_name),
        region: args
            .region
            .or_else(|| std::env::var("AWS_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_string()),
        endpoint: args.endpoint,
        record: args.zone_id.zip(args.record_name),
        site_address: args.site_address,
        site_patience: args.site_patience,
        extra_env: Vec::new(),
    };
    let outcome = if args.sweep_only {
        sweep_only(&options).await
    } else {
        run(&options).await
    };
    match outcome {
        Ok(report) => {
            println!("{report}");
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("acceptance: {error}");
            ExitCode::from(2)
        }
    }
}
