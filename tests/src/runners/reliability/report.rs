//! What the runs add up to: one progress line per run, the figures with their targets, and the
//! Markdown report.

use std::fmt::Write as _;
use std::time::Duration;

use crate::harness::terraform::TfOutput;

use super::faults::{fault_breakdown, faults_config, FAULTS_FILE, PRESETS_FILE};
use super::jobs::Options;
use super::run::RunRecord;

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

/// All records and the figures with their targets.
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
        let presets = faults_config(self.options.seed)
            .map(|c| c.presets_on().join(", "))
            .unwrap_or_else(|e| format!("unknown ({e})"));
        let _ = writeln!(
            text,
            "{} fault runs + {} kill runs, seeds from {}, {} at a time. Stack: bastion, DNS, \
             2-3 zones, a NAT gateway per zone; proxy: {FAULTS_FILE} reseeded per run, with \
             the AWS-behaviour presets of {PRESETS_FILE} on: {presets}.\n",
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
}
