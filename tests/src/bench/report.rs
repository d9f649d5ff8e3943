//! The table: the scenarios' figures printed to the terminal, written to BENCHMARKS.md with
//! the method, and optionally as JSON.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::durations::{self, USUAL};
use crate::error::{BenchError, Result};
use crate::figures::{Figure, Summary, Verdict};
use crate::options::Options;

/// Everything the report says.
pub struct Report {
    pub figures: Vec<Figure>,
    pub details: Vec<String>,
    pub method: Vec<(&'static str, String)>,
    pub options: Options,
    pub mean_latency_ms: f64,
    /// The physical floor's dependency list (`physical_floor::describe`), for the method.
    pub floor_dependencies: Vec<String>,
    /// Why and how scenario 1 runs at several duration factors (`durations::method`).
    pub factors_method: String,
}

impl Report {
    pub fn targets_met(&self) -> (usize, usize) {
        let with_target: Vec<Verdict> = self
            .figures
            .iter()
            .filter(|f| f.target.is_some())
            .map(Figure::verdict)
            .collect();
        let met = with_target.iter().filter(|v| **v == Verdict::Pass).count();
        (met, with_target.len())
    }

    /// The table for the terminal.
    pub fn console(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<15} {:<58} {:>11} {:>11} {:>11} {:>11}  result",
            "scenario", "figure", "median", "min", "max", "target"
        );
        for figure in &self.figures {
            let (median, min, max) = summary_cells(figure);
            let _ = writeln!(
                out,
                "{:<15} {:<58} {:>11} {:>11} {:>11} {:>11}  {}",
                figure.scenario,
                truncate(&figure.label.replace('`', ""), 58),
                median,
                min,
                max,
                figure.target_label(),
                figure.verdict().label()
            );
        }
        let (met, all) = self.targets_met();
        let _ = writeln!(out, "{met} of {all} targets met.");
        out
    }

    /// BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        self.write_header(&mut md);
        self.write_table(&mut md);
        self.write_details(&mut md);
        self.write_method(&mut md);
        md.push_str(OFFICIAL_PROVIDER);
        md
    }

    fn write_header(&self, md: &mut String) {
        let o = &self.options;
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `./scripts/bench{}` — do not edit by hand, run it again. Provider built \
             with the **`{}`** profile; {} run(s) per scenario{}.\n",
            if o.quick { " --quick" } else { "" },
            o.profile.cargo_name(),
            o.runs,
            if o.quick {
                " (quick smoke mode: lean stacks, durations shrunk tenfold — not a measurement)"
            } else {
                ""
            }
        );
    }

    fn write_table(&self, md: &mut String) {
        let _ = writeln!(md, "## Results\n");
        let _ = writeln!(md, "| # | figure | median | min | max | target | result |");
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---|");
        for figure in &self.figures {
            let (median, min, max) = summary_cells(figure);
            let label = if figure.note.is_empty() {
                figure.label.clone()
            } else {
                format!("{} ({})", figure.label, figure.note)
            };
            let verdict = match figure.verdict() {
                Verdict::Pass => "**PASS**".to_string(),
                Verdict::Miss(_) => format!("**{}**", figure.verdict().label()),
                other => other.label(),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {median} | {min} | {max} | {} | {verdict} |",
                figure.scenario,
                label,
                figure.target_label()
            );
        }
        let (met, all) = self.targets_met();
        let _ = writeln!(md, "\n{met} of {all} targets met.\n");
    }

    fn write_details(&self, md: &mut String) {
        if self.details.is_empty() {
            return;
        }
        let _ = writeln!(md, "## Details of the last run\n");
        for note in &self.details {
            let _ = writeln!(md, "- {note}");
        }
        md.push('\n');
    }

    fn write_method(&self, md: &mut String) {
        let _ = writeln!(md, "## Method\n");
        let _ = writeln!(md, "| | |\n|---|---|");
        for (what, value) in &self.method {
            let _ = writeln!(md, "| {what} | {value} |");
        }
        let _ = writeln!(
            md,
            "| proxy latency | {:.0} ms mean per AWS call |",
            self.mean_latency_ms
        );
        let _ = writeln!(
            md,
            "| WORDPRESS_HA_TIME_SCALE | {:.6} |",
            self.options.provider_time_scale()
        );
        let factors: Vec<String> = self
            .options
            .duration_factors
            .iter()
            .map(|&f| durations::label(f))
            .collect();
        let _ = writeln!(
            md,
            "| AWS duration factors of scenario 1 | {} |\n",
            factors.join(", ")
        );
        md.push_str(METHOD);
        md.push_str(&self.factors_method);
        if !self.floor_dependencies.is_empty() {
            let _ = writeln!(
                md,
                "The physical floor's dependencies, with the durations of the loaded timings at \
                 {} (another factor multiplies every pending time):\n",
                durations::label(USUAL)
            );
            for line in &self.floor_dependencies {
                let _ = writeln!(md, "- {line}");
            }
            md.push('\n');
        }
        md.push_str(COMMANDS);
    }
}

fn summary_cells(figure: &Figure) -> (String, String, String) {
    match figure.summary() {
        Some(Summary { median, min, max }) => (
            figure.unit.format(median),
            figure.unit.format(min),
            figure.unit.format(max),
        ),
        None => ("—".into(), "—".into(), "—".into()),
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

#[derive(Serialize)]
struct JsonFigure<'a> {
    #[serde(flatten)]
    figure: &'a Figure,
    summary: Option<Summary>,
    verdict: Verdict,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    profile: &'static str,
    runs: usize,
    quick: bool,
    figures: Vec<JsonFigure<'a>>,
}

pub fn write_json(report: &Report, path: &Path) -> Result<()> {
    let json = JsonReport {
        profile: report.options.profile.cargo_name(),
        runs: report.options.runs,
        quick: report.options.quick,
        figures: report
            .figures
            .iter()
            .map(|figure| JsonFigure {
                figure,
                summary: figure.summary(),
                verdict: figure.verdict(),
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&json).map_err(|error| BenchError::Unexpected {
        scenario: "report",
        message: error.to_string(),
    })?;
    write_file(path, &text)
}

pub fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(BenchError::io("create", dir))?;
    }
    std::fs::write(path, text).map_err(BenchError::io("write", path))
}

const METHOD: &str = "\
How each figure is made (`tests/src/bin/bench.rs`, modules in `tests/src/bench/`):

- Every run starts from an empty moto server behind the project's fault proxy
  (`tests/proxy`) loaded with `tests/proxy/configs/aws-timings.json` (shrunk further by `--quick`):
  a latency per AWS call and AWS's creation times at 1 s real = 1 AWS minute, listed with the
  floor's dependencies below. The provider gets `WORDPRESS_HA_TIME_SCALE` to match the file's
  time base, so its waiters' intervals shrink by the same factor; scenario 1 then moves AWS's
  durations alone (below).
  Terraform is the real CLI (`.tools/bin/terraform`), the provider the binary of the profile
  named above, loaded through `dev_overrides`.
- **1 Apply**: the issue's stack (3 AZs, a NAT per AZ, Multi-AZ RDS, bastion, Route 53 record).
  *Achieved* is the wall time of `terraform apply -auto-approve` (Terraform's plan and provider
  starts included). The *physical floor* is the longest chain through the dependencies AWS
  itself imposes between the stack's objects (`tests/src/bench/physical_floor.rs`, listed
  below), each object weighing its simulated pending time plus one mean call latency per call
  made in sequence to create it and one more to see it ready; it ignores the provider's own
  step graph, so a step that waits for something AWS does not require shows up as a miss.
  Instance boot and target health count on both sides. The *longest chain of the provider's
  step graph* (`stack_core::tiers::all_steps`), each step weighted by the time it took in this
  run (the `step done` debug lines, TF_LOG_PROVIDER=DEBUG), shows where the provider's own
  time goes; its gap to the floor is waiting the graph adds. The *serial sums* are the step
  times added up, and AWS's simulated creation times (NAT, ALB, RDS, EFS, mount targets, Route
  53 change: what the provider waits for) plus every call's mean latency added up.
- **2 Refresh**: `terraform apply -refresh-only` of that stack; the calls are the proxy's
  counters before and after (ReadResource, plus whatever configuring the provider costs).
- **3 Plan & start**: `terraform plan -detailed-exitcode` of the applied stack (must be empty,
  exit 0) alternated with a plan of a directory holding only the provider block (Terraform's
  floor: CLI start, one provider start, handshake, schema; Terraform 1.0.3 configures no
  provider that has no resource) and with `terraform plan -refresh=false` of the stack, all
  through the same proxy. The bound is the floor plus two round trips of the slowest call the
  proxy plays (fixed latency plus all its jitter): ConfigureProvider's access check, then
  ReadResource's calls issued at once.
  The handshake is timed from `spawn` to the handshake line on stdout, the binary launched as
  Terraform does (magic cookie, `PLUGIN_PROTOCOL_VERSIONS=5,6`, a P-521 `PLUGIN_CLIENT_CERT`),
  one start after another.
- **4 Footprint**: the binary's size on disk (MB = 10^6 bytes). Peak RSS is the kernel's
  high-water mark `VmHWM` of every provider process the apply launched, read from
  `/proc/<pid>/status` every 20 ms until it exits (the largest is reported). GetProviderSchema
  is the median of the provider crate's criterion benchmark
  (`cargo bench -p terraform-provider-wordpress --bench micro`), read from
  `target/criterion/get_provider_schema/new/estimates.json`.
- **5 Waiter polls**: every Describe/Get/List call of the apply (find-before-create lookups
  and waiter polls alike, so an upper bound on polls) per AWS object the state records in
  `resources`; the `waiting` debug lines count the polls that found an object still pending.
- **6 Scale**: N copies of the stack (own names and VPC CIDRs, records in one zone) in one
  configuration, `terraform apply` with the default parallelism (10), compared with the same
  run's single stack.

";

const COMMANDS: &str = "\
Commands: `./scripts/bench` (full: dist build, 5 runs), `./scripts/bench --profile release
--runs 3` (iterate), `./scripts/bench --quick` (smoke, what CI runs through
`tests/tests/bench_smoke.rs`). `--help` lists every option.

";

const OFFICIAL_PROVIDER: &str = "\
## The usual alternative: hashicorp/aws (not measured here)

The same stack written with the official provider takes ~40 `aws_*` resources (VPC, subnets,
route tables and associations, IGW, EIPs, NAT gateways, five security groups and their rules,
EFS and mount targets, DB subnet group and instance, ALB, target group, listener, launch
template, ASG, scaling policy, IAM role/profile/policy, secret, Route 53 record). It cannot run
here (no registry access, and it does not target moto the way this benchmark needs), so these
are **published figures, not measured on this machine**:

| figure | hashicorp/aws | source |
|---|---|---|
| binary size, unpacked | ~450 MB (v5.36, darwin/arm64); ~830 MB (v6.50); \"over 800 MB\" (v6.19) | gruntwork-io/terragrunt#6341; hashicorp/terraform-provider-aws#31345 |
| download (zip) | ~100 MB (v5.36) → ~180 MB (v6.50) | gruntwork-io/terragrunt#6341 |
| memory per provider process | \"roughly 100MB\" each (v4.45); 20 aliases > 2 GB | hashicorp/terraform#32744 |
| memory of a plan | max RSS of `terraform plan -refresh-only` 2,645 MB (v4.66.1) → 3,654 MB (v4.67.0) for one reporter's 17-region, 5-account configuration | hashicorp/terraform-provider-aws#31722 (tracked in #48251) |

Apply time depends mostly on AWS's own creation times, which both providers wait for; the
difference is in how the ~40 resources are scheduled (Terraform's graph walk, bounded by
`-parallelism`) versus one resource running its own graph concurrently, which this benchmark
does not compare.
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::Unit;
    use crate::scenario_figures::{APPLY, FOOTPRINT, PLAN, REFRESH};

    fn report(figures: Vec<Figure>) -> Report {
        let cli = <crate::options::Cli as clap::Parser>::try_parse_from(["bench", "--quick"])
            .expect("parse");
        Report {
            figures,
            details: vec!["Critical chain: a → b.".into()],
            method: vec![("CPU", "test cpu".into())],
            options: Options::resolve(cli, Path::new("/repo")),
            mean_latency_ms: 55.0,
            floor_dependencies: vec!["`vpc` needs nothing; 1 call(s), pending 0.0 s".into()],
            factors_method: "Scenario 1's apply runs 3 times.\n\n".into(),
        }
    }

    #[test]
    fn markdown_has_the_table_the_method_and_the_comparison() {
        let figures = vec![
            Figure::new("apply.ratio", APPLY, "apply / critical path", Unit::Ratio)
                .samples(vec![1.2, 1.0, 1.05])
                .target(1.1),
            Figure::new("refresh.calls", REFRESH, "calls", Unit::Count)
                .samples(vec![32.0])
                .target(15.0),
            Figure::new("footprint.schema", FOOTPRINT, "schema", Unit::Millis)
                .target(1.0)
                .note("not measured"),
        ];
        let md = report(figures).markdown();
        assert!(
            md.contains(
                "| 1 Apply | apply / critical path | 1.05× | 1.00× | 1.20× | ≤ 1.10× | **PASS** |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| 2 Refresh | calls | 32 | 32 | 32 | ≤ 15 | **MISS (+113 %)** |"),
            "{md}"
        );
        assert!(
            md.contains("| 4 Footprint | schema (not measured) | — | — | — | ≤ 1.00 ms | MISS (not measured) |"),
            "{md}"
        );
        assert!(md.contains("1 of 3 targets met."), "{md}");
        assert!(md.contains("| CPU | test cpu |"), "{md}");
        assert!(md.contains("not measured here"), "{md}");
        assert!(md.contains("--quick"), "{md}");
    }

    #[test]
    fn each_duration_factor_gets_its_apply_row_and_the_method_names_them() {
        use crate::critical_path::CriticalPath;
        use crate::durations::{FactorSamples, DURATION_FACTORS};
        let measured = |factor: f64, wall: f64, floor: f64| {
            let mut samples = FactorSamples::new(factor);
            samples.record(
                wall,
                CriticalPath {
                    seconds: floor,
                    steps: vec!["db_instance".into()],
                },
            );
            samples
        };
        // The 2× apply never ran.
        let by_factor = [measured(0.25, 4.0, 3.8), measured(1.0, 15.0, 12.0)];
        let mut r = report(durations::figures(&DURATION_FACTORS, &by_factor));
        r.factors_method = durations::method(&DURATION_FACTORS, &Default::default());
        let md = r.markdown();
        for row in [
            "| 1 Apply | apply / physical floor at 0.25× AWS durations | 1.05× | 1.05× | 1.05× | ≤ 1.10× | **PASS** |",
            "| 1 Apply | apply / physical floor at 1× AWS durations | 1.25× | 1.25× | 1.25× | ≤ 1.10× | **MISS (+14 %)** |",
            "| 1 Apply | apply / physical floor at 2× AWS durations | — | — | — | ≤ 1.10× | MISS (not measured) |",
            "| 1 Apply | physical floor at 0.25× AWS durations | 3.80 s | 3.80 s | 3.80 s |  |  |",
            "| AWS duration factors of scenario 1 | 0.25×, 1×, 2× |",
        ] {
            assert!(md.contains(row), "{row} missing from\n{md}");
        }
        assert!(md.contains("1 of 3 targets met."), "{md}");
        assert!(
            md.contains("Scenario 1's apply runs 3 times in every run"),
            "{md}"
        );
        assert!(md.contains("timings at 1× (another factor"), "{md}");
    }

    #[test]
    fn the_console_table_lists_every_figure_with_its_verdict() {
        let text = report(vec![Figure::new(
            "handshake",
            PLAN,
            "start → handshake",
            Unit::Millis,
        )
        .samples(vec![9.0, 11.0])
        .target(20.0)])
        .console();
        assert!(text.contains("10.00 ms"), "{text}");
        assert!(text.contains("PASS"), "{text}");
        assert!(text.contains("1 of 1 targets met."), "{text}");
    }
}
