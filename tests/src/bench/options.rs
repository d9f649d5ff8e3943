//! Command-line options of the benchmark runner and what `--quick` changes.

use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};

use crate::durations::DURATION_FACTORS;

/// The Cargo profile the measured provider is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Unoptimised, with line tables: fast to build, for iterating on the runner.
    Dev,
    /// Optimised, thin local LTO, not stripped.
    Release,
    /// What users get (`scripts/release`): fat LTO, one codegen unit, stripped.
    Dist,
}

impl Profile {
    pub fn cargo_name(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::Release => "release",
            Profile::Dist => "dist",
        }
    }

    /// The directory under `target/` where cargo puts this profile's binaries.
    pub fn target_subdir(self) -> &'static str {
        match self {
            Profile::Dev => "debug",
            other => other.cargo_name(),
        }
    }
}

/// How long AWS takes in the proxy's timings file: one real second per AWS minute.
pub const AWS_MINUTE_IN_REAL_SECONDS: f64 = 1.0;
/// `--quick` shrinks every simulated duration and latency by this factor.
pub const QUICK_TIME_FACTOR: f64 = 0.1;

#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "End-to-end benchmark of terraform-provider-wordpress: apply vs its physical \
             floor at 0.25×, 1× and 2× AWS's durations, refresh calls, no-op plan vs \
             Terraform's floor, handshake, footprint, waiter polls, 10 stacks. Writes the table \
             to BENCHMARKS.md."
)]
pub struct Cli {
    /// Runs of each scenario (default 5; 1 with --quick).
    #[arg(long)]
    pub runs: Option<usize>,
    /// Profile of the measured provider (default dist; dev with --quick).
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Smoke mode: 1 run, dev profile, lean stacks, every duration shrunk tenfold, 2 stacks
    /// for the scale scenario; writes under target/bench/ unless --output says otherwise.
    /// The apply still runs at 0.25×, 1× and 2× AWS's durations.
    #[arg(long)]
    pub quick: bool,
    /// Use the already built provider binary (do not run cargo).
    #[arg(long)]
    pub no_build: bool,
    /// Do not run the criterion micro-benchmark (its last result is still read, if any).
    #[arg(long)]
    pub no_micro: bool,
    /// Where to write the Markdown report (default BENCHMARKS.md at the repository root).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also write every sample as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Provider starts timed for the handshake figure (default 50; 5 with --quick).
    #[arg(long)]
    pub handshakes: Option<usize>,
    /// Stacks in the scale scenario's configuration (default 10; 2 with --quick).
    #[arg(long)]
    pub scale_stacks: Option<usize>,
    /// Stacks of the wide refresh, measured once after the runs (default 50; 3 with --quick).
    #[arg(long)]
    pub refresh_stacks: Option<usize>,
    /// The proxy's timings (default tests/proxy/configs/aws-timings.json).
    #[arg(long)]
    pub timings: Option<PathBuf>,
}

/// The options after defaults and `--quick` are resolved.
#[derive(Debug, Clone)]
pub struct Options {
    pub runs: usize,
    pub profile: Profile,
    pub quick: bool,
    pub build: bool,
    pub micro: bool,
    pub output: PathBuf,
    pub json: Option<PathBuf>,
    pub handshakes: usize,
    pub scale_stacks: usize,
    pub refresh_stacks: usize,
    pub timings: PathBuf,
    /// Factor applied to the timings file's durations and latency (1, or 0.1 with --quick),
    /// and to the provider's time scale with them.
    pub time_factor: f64,
    /// Factors on AWS's durations alone that scenario 1 runs at (`durations.rs`), --quick too.
    pub duration_factors: Vec<f64>,
}

impl Options {
    pub fn resolve(cli: Cli, root: &Path) -> Options {
        let quick = cli.quick;
        let pick = |value: Option<usize>, full: usize, smoke: usize| {
            value.unwrap_or(if quick { smoke } else { full }).max(1)
        };
        let default_output = if quick {
            root.join("target")
                .join("bench")
                .join("BENCHMARKS-quick.md")
        } else {
            root.join("BENCHMARKS.md")
        };
        Options {
            runs: pick(cli.runs, 5, 1),
            profile: cli
                .profile
                .unwrap_or(if quick { Profile::Dev } else { Profile::Dist }),
            quick,
            build: !cli.no_build,
            micro: !cli.no_micro && !quick,
            output: cli.output.unwrap_or(default_output),
            json: cli.json,
            handshakes: pick(cli.handshakes, 50, 5),
            scale_stacks: pick(cli.scale_stacks, 10, 2),
            refresh_stacks: pick(cli.refresh_stacks, 50, 3),
            timings: cli.timings.unwrap_or_else(|| {
                root.join("tests")
                    .join("proxy")
                    .join("configs")
                    .join("aws-timings.json")
            }),
            time_factor: if quick { QUICK_TIME_FACTOR } else { 1.0 },
            duration_factors: DURATION_FACTORS.to_vec(),
        }
    }

    /// `WORDPRESS_HA_TIME_SCALE` for the provider: real seconds per AWS second, matching the
    /// proxy (1 s real = 1 AWS minute, shrunk again by `time_factor`).
    pub fn provider_time_scale(&self) -> f64 {
        AWS_MINUTE_IN_REAL_SECONDS / 60.0 * self.time_factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: &[&str]) -> Options {
        let cli = Cli::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
            .expect("arguments parse");
        Options::resolve(cli, Path::new("/repo"))
    }

    #[test]
    fn full_mode_measures_the_dist_build_five_times() {
        let options = resolve(&[]);
        assert_eq!(options.runs, 5);
        assert_eq!(options.profile, Profile::Dist);
        assert_eq!(options.output, Path::new("/repo/BENCHMARKS.md"));
        assert!(options.build && options.micro);
        assert_eq!(options.scale_stacks, 10);
        assert_eq!(options.refresh_stacks, 50);
        assert!((options.provider_time_scale() - 1.0 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn quick_mode_is_small_and_never_overwrites_the_real_report() {
        let options = resolve(&["--quick", "--no-build"]);
        assert_eq!(options.runs, 1);
        assert_eq!(options.profile, Profile::Dev);
        assert!(!options.build && !options.micro);
        assert!(options.output.ends_with("target/bench/BENCHMARKS-quick.md"));
        assert!((options.provider_time_scale() - 0.1 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn explicit_values_win_over_quick_defaults() {
        let options = resolve(&["--quick", "--runs", "3", "--profile", "release"]);
        assert_eq!(options.runs, 3);
        assert_eq!(options.profile, Profile::Release);
        assert_eq!(Profile::Release.target_subdir(), "release");
        assert_eq!(Profile::Dev.target_subdir(), "debug");
    }
}
