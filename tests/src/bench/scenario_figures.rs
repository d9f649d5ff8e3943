//! The figures of every scenario, with their targets, computed from the samples; and the notes
//! that say where the time beyond a target goes.

use crate::calls;
use crate::durations;
use crate::figures::{Figure, Summary, Unit};
use crate::options::Options;
use crate::scenarios::Samples;
use crate::wide_refresh;

pub const APPLY: &str = "1 Apply";
pub const REFRESH: &str = "2 Refresh";
pub const PLAN: &str = "3 Plan & start";
pub const FOOTPRINT: &str = "4 Footprint";
pub const POLLS: &str = "5 Waiter polls";
pub const SCALE: &str = "6 Scale";

/// Figures measured outside the runs.
#[derive(Debug, Default)]
pub struct Standalone {
    pub handshake_ms: Vec<f64>,
    pub binary_mb: Option<f64>,
    pub schema_ms: Option<f64>,
    pub micro_note: String,
}

pub fn figures(samples: &Samples, standalone: &Standalone, options: &Options) -> Vec<Figure> {
    let mut all = durations::figures(&options.duration_factors, &samples.by_factor);
    all.extend(apply_figures(samples));
    all.extend(refresh_figures(samples));
    all.extend(plan_figures(samples, standalone));
    all.extend(footprint_figures(samples, standalone));
    all.extend(poll_figures(samples));
    all.extend(scale_figures(samples, options.scale_stacks));
    all
}

/// The usual apply's figures beyond its floor (the factors' rows come first, `durations.rs`).
fn apply_figures(s: &Samples) -> Vec<Figure> {
    vec![
        Figure::new(
            "apply.span",
            APPLY,
            "provider's step graph, first start → last end",
            Unit::Seconds,
        )
        .samples(s.apply_span.clone()),
        Figure::new(
            "apply.critical_path",
            APPLY,
            "longest chain of the provider's own step graph (measured step times)",
            Unit::Seconds,
        )
        .samples(s.critical_path.clone()),
        Figure::new(
            "apply.overhead",
            APPLY,
            "apply wall time / that chain (Terraform and scheduling around the provider)",
            Unit::Ratio,
        )
        .samples(s.apply_over_critical_path.clone()),
        Figure::new(
            "apply.serial_steps",
            APPLY,
            "serial sum of the step times",
            Unit::Seconds,
        )
        .samples(s.serial_steps.clone()),
        Figure::new(
            "apply.simulated_serial",
            APPLY,
            "serial sum of simulated AWS durations + call latencies",
            Unit::Seconds,
        )
        .samples(s.simulated_serial.clone()),
        Figure::new(
            "apply.calls",
            APPLY,
            "AWS calls during the apply",
            Unit::Count,
        )
        .samples(s.apply_calls.clone()),
    ]
}

/// Target: at most 15 AWS calls for the refresh of a 3-AZ stack.
const REFRESH_CALL_TARGET: f64 = 15.0;

fn refresh_figures(s: &Samples) -> Vec<Figure> {
    let mut rows = vec![Figure::new(
        "refresh.calls",
        REFRESH,
        "AWS calls of one refresh (ReadResource)",
        Unit::Count,
    )
    .samples(s.refresh_calls.clone())
    .target(REFRESH_CALL_TARGET)];
    rows.extend(s.refresh_by_service.iter().map(|(service, counts)| {
        Figure::new(
            "refresh.service",
            REFRESH,
            &format!("… of which {service}"),
            Unit::Count,
        )
        .samples(counts.clone())
    }));
    rows.push(
        Figure::new(
            "refresh.configure",
            REFRESH,
            "ConfigureProvider's access check, counted apart (zones listed once per process)",
            Unit::Count,
        )
        .samples(s.configure_calls.clone()),
    );
    rows.push(
        Figure::new(
            "refresh.read",
            REFRESH,
            "ReadResource's refresh inside the provider (all calls concurrent)",
            Unit::Seconds,
        )
        .samples(s.refresh_read.clone()),
    );
    rows.push(
        Figure::new(
            "refresh.wall",
            REFRESH,
            "`terraform apply -refresh-only` wall time",
            Unit::Seconds,
        )
        .samples(s.refresh_wall.clone()),
    );
    rows.extend(
        s.refresh_at_scale
            .iter()
            .flat_map(|(n, refresh)| wide_refresh::figures(*n, refresh)),
    );
    rows
}

fn plan_figures(s: &Samples, standalone: &Standalone) -> Vec<Figure> {
    let mut noop = Figure::new(
        "plan.noop",
        PLAN,
        "no-op `terraform plan` of the stack",
        Unit::Seconds,
    )
    .samples(s.plan_noop.clone());
    if s.noop_with_changes > 0 {
        noop = noop.note(format!(
            "{} of these plans were NOT empty (spurious diff)",
            s.noop_with_changes
        ));
    }
    vec![
        Figure::new(
            "plan.floor",
            PLAN,
            "Terraform's floor: plan of the provider block only",
            Unit::Seconds,
        )
        .samples(s.plan_floor.clone()),
        noop,
        Figure::new(
            "plan.no_refresh",
            PLAN,
            "`terraform plan -refresh=false` of the stack (all but ReadResource)",
            Unit::Seconds,
        )
        .samples(s.plan_no_refresh.clone()),
        Figure::new(
            "plan.ratio",
            PLAN,
            "no-op plan / floor (paired runs)",
            Unit::Ratio,
        )
        .samples(s.noop_over_floor.clone()),
        Figure::new(
            "plan.bound",
            PLAN,
            "no-op plan / (floor + 2 round trips of the slowest call)",
            Unit::Ratio,
        )
        .samples(s.noop_over_bound.clone())
        .target(1.0),
        Figure::new(
            "handshake",
            PLAN,
            "provider start → handshake line",
            Unit::Millis,
        )
        .samples(standalone.handshake_ms.clone())
        .target(20.0),
    ]
}

/// The stripped distribution binary (issue 14's footprint target).
const BINARY_TARGET_MB: f64 = 25.0;

fn footprint_figures(s: &Samples, standalone: &Standalone) -> Vec<Figure> {
    let schema = Figure::new(
        "footprint.schema",
        FOOTPRINT,
        "GetProviderSchema (criterion median)",
        Unit::Millis,
    )
    .samples(standalone.schema_ms.into_iter().collect())
    .target(1.0)
    .note(standalone.micro_note.clone());
    vec![
        Figure::new(
            "footprint.binary",
            FOOTPRINT,
            "provider binary size",
            Unit::MB,
        )
        .samples(standalone.binary_mb.into_iter().collect())
        .target(BINARY_TARGET_MB),
        Figure::new(
            "footprint.rss",
            FOOTPRINT,
            "provider peak RSS during the apply",
            Unit::MB,
        )
        .samples(s.apply_peak_mb.clone())
        .target(60.0),
        schema,
    ]
}

fn poll_figures(s: &Samples) -> Vec<Figure> {
    vec![
        Figure::new(
            "polls.objects",
            POLLS,
            "AWS objects created (state's `resources`)",
            Unit::Count,
        )
        .samples(s.objects.clone()),
        Figure::new(
            "polls.reads",
            POLLS,
            "Describe/Get/List calls during the apply",
            Unit::Count,
        )
        .samples(s.read_calls.clone()),
        Figure::new(
            "polls.pending",
            POLLS,
            "… of which polls that found an object pending",
            Unit::Count,
        )
        .samples(s.pending_polls.clone()),
        Figure::new(
            "polls.ratio",
            POLLS,
            "Describe/Get/List calls per object created",
            Unit::Ratio,
        )
        .samples(s.reads_per_object.clone()),
    ]
}

fn scale_figures(s: &Samples, stacks: usize) -> Vec<Figure> {
    let n = stacks.to_string();
    vec![
        Figure::new(
            "scale.wall",
            SCALE,
            &format!("`terraform apply` of {n} stacks"),
            Unit::Seconds,
        )
        .samples(s.scale_wall.clone()),
        Figure::new(
            "scale.over_single",
            SCALE,
            &format!("{n}-stack apply / the 1-stack apply of the same run"),
            Unit::Ratio,
        )
        .samples(s.scale_over_single.clone())
        .target(1.25),
        Figure::new(
            "scale.rss",
            SCALE,
            &format!("peak RSS of the provider process applying the {n} stacks"),
            Unit::MB,
        )
        .samples(s.scale_peak_mb.clone())
        .target(60.0),
        Figure::new(
            "scale.calls_per_stack",
            SCALE,
            "AWS calls per stack",
            Unit::Count,
        )
        .samples(s.scale_calls_per_stack.clone()),
        Figure::new(
            "scale.polls_ratio",
            SCALE,
            "Describe/Get/List calls per object created",
            Unit::Ratio,
        )
        .samples(s.scale_reads_per_object.clone()),
    ]
}

/// Notes under the table: the critical chain, the refresh's calls, anything odd.
pub fn details(samples: &Samples) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some((factor, wall)) = samples.warm_up {
        notes.push(format!(
            "Before the first run, one apply at {} AWS durations ({wall:.2} s) was discarded: \
             the emulator loads each service's code on its first call, which would otherwise \
             weigh on the first apply measured.",
            durations::label(factor)
        ));
    }
    notes.extend(where_the_time_goes(samples));
    notes.extend(why_refresh_misses(samples));
    notes.extend(
        samples
            .refresh_at_scale
            .iter()
            .map(|(n, r)| wide_refresh::shared_reads(*n, r)),
    );
    notes.extend(durations::floor_notes(&samples.by_factor));
    if let Some(chain) = &samples.last_chain {
        let steps: Vec<String> = chain
            .steps
            .iter()
            .map(|step| {
                let seconds = samples.last_durations.get(step).copied().unwrap_or(0.0);
                format!("`{step}` {seconds:.2} s")
            })
            .collect();
        notes.push(format!(
            "Longest chain of the provider's step graph in the last apply ({:.2} s): {}.",
            chain.seconds,
            steps.join(" → ")
        ));
    }
    if !samples.last_refresh_calls.is_empty() {
        let calls: Vec<String> = samples
            .last_refresh_calls
            .iter()
            .flat_map(|(service, ops)| {
                ops.iter()
                    .map(move |(op, n)| format!("{service} {op} ×{n}"))
            })
            .collect();
        notes.push(format!(
            "Calls of the last refresh ({}): {}.",
            calls::total(&samples.last_refresh_calls),
            calls.join(", ")
        ));
    }
    if !samples.unknown_steps.is_empty() {
        notes.push(format!(
            "Steps logged by the provider but absent from the declared graph (the critical path \
             ignores them): {}.",
            samples.unknown_steps.join(", ")
        ));
    }
    notes
}

/// The refresh target's miss, explained by service (the reasons are the design's, see
/// `tests/tests/refresh_calls.rs`); nothing when it is met.
fn why_refresh_misses(s: &Samples) -> Option<String> {
    let calls = Summary::of(&s.refresh_calls)?.median;
    if calls <= REFRESH_CALL_TARGET {
        return None;
    }
    let median_of = |service: &str| {
        s.refresh_by_service
            .get(service)
            .and_then(|counts| Summary::of(counts))
            .map_or(0.0, |summary| summary.median)
    };
    let secrets_tier = median_of("iam") + median_of("secretsmanager");
    Some(format!(
        "Refresh: {calls:.0} calls against {REFRESH_CALL_TARGET:.0}. Each is one batched describe \
         of one object kind, none repeated and all in one concurrent round (checked by \
         `tests/tests/refresh_calls.rs`); fewer would mean dropping drift checks. IAM has no \
         batch read and the secrets tier (added after the target was set, so that no secret is \
         in user data) needs {secrets_tier:.0} of them: role trust, instance profile, inline and \
         attached policy lists (a widened role), the policy document, the secret. Elastic Load \
         Balancing reports tags and attributes in calls of their own (2 of its {:.0}). The six \
         services the issue names cost {:.0}.",
        median_of("elasticloadbalancing"),
        calls - secrets_tier
    ))
}

/// Medians turned into sentences: where an apply's and a plan's time goes beyond the floor.
fn where_the_time_goes(s: &Samples) -> Vec<String> {
    let median = |values: &[f64]| Summary::of(values).map(|summary| summary.median);
    let mut notes = Vec::new();
    let usual = s.usual();
    if let (Some(wall), Some(span), Some(path), Some(floor)) = (
        usual.and_then(|u| median(&u.wall)),
        median(&s.apply_span),
        median(&s.critical_path),
        usual.and_then(|u| median(&u.floor)),
    ) {
        notes.push(format!(
            "Apply at {} AWS durations (medians): {wall:.2} s in all against a physical floor of \
             {floor:.2} s; the provider's step graph ran {span:.2} s, its longest chain \
             {path:.2} s, so {:.2} s are the graph's waits beyond what AWS imposes and {:.2} s are Terraform's own (its \
             plan walk, provider starts and handshakes, state writes).",
            durations::label(durations::USUAL),
            path - floor,
            wall - span
        ));
    }
    if let (Some(floor), Some(noop), Some(calls)) = (
        median(&s.plan_floor),
        median(&s.plan_noop),
        median(&s.refresh_calls),
    ) {
        let read = median(&s.refresh_read)
            .map(|read| format!(", whose refresh takes {read:.2} s inside the provider"))
            .unwrap_or_default();
        let (fixed, jitter) = s.call_latency_ms;
        let latency = format!("{fixed:.0}–{:.0} ms", fixed + jitter);
        let bound = floor + 2.0 * s.slowest_call_ms() / 1000.0;
        let verdict = if noop <= bound { "within" } else { "over" };
        let split = median(&s.plan_no_refresh)
            .map(|no_refresh| {
                format!(
                    " Of the {:.2} s beyond the floor, {:.2} s are spent by a plan that skips \
                     the refresh ({no_refresh:.2} s: two more provider starts and Terraform's \
                     state and plan walk, ConfigureProvider and PlanResourceChange) and {:.2} s \
                     by the refresh.",
                    noop - floor,
                    no_refresh - floor,
                    noop - no_refresh
                )
            })
            .unwrap_or_default();
        notes.push(format!(
            "Plan (medians): Terraform 1.0.3 plans the provider-only floor ({floor:.2} s) with \
             one provider start and GetProviderSchema; it never configures the provider and \
             never reaches AWS. The bound adds two round trips of the slowest call the proxy \
             plays ({:.0} ms each): ConfigureProvider's access check, then ReadResource \
             ({calls:.0} calls issued at once, {latency} each plus the emulator's \
             queueing{read}); that is {bound:.2} s, and the no-op plan ({noop:.2} s) is \
             {verdict} it.{split}",
            s.slowest_call_ms()
        ));
    }
    if s.noop_with_changes > 0 {
        notes.push(format!(
            "{} no-op plan(s) were not empty: a spurious diff to fix.",
            s.noop_with_changes
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::figures::Verdict;

    #[test]
    fn details_say_where_the_time_beyond_the_floor_goes() {
        let usual = durations::FactorSamples {
            factor: durations::USUAL,
            wall: vec![18.0, 17.0, 19.0],
            floor: vec![12.5],
            ..durations::FactorSamples::default()
        };
        let samples = Samples {
            by_factor: vec![usual],
            apply_span: vec![15.5],
            critical_path: vec![15.0],
            call_latency_ms: (30.0, 50.0),
            plan_floor: vec![0.25],
            plan_noop: vec![1.0],
            plan_no_refresh: vec![0.6],
            refresh_calls: vec![27.0],
            refresh_by_service: std::collections::BTreeMap::from([
                ("iam".to_string(), vec![5.0]),
                ("secretsmanager".to_string(), vec![1.0]),
                ("elasticloadbalancing".to_string(), vec![5.0]),
            ]),
            refresh_read: vec![0.125],
            noop_with_changes: 1,
            warm_up: Some((0.25, 6.5)),
            ..Samples::default()
        };
        let notes = details(&samples).join("\n");
        assert!(
            notes.contains("one apply at 0.25× AWS durations (6.50 s) was discarded"),
            "{notes}"
        );
        assert!(
            notes.contains(
                "Apply at 1× AWS durations (medians): 18.00 s in all against a physical floor of \
                 12.50 s"
            ),
            "{notes}"
        );
        assert!(notes.contains("so 2.50 s are the graph's waits"), "{notes}");
        assert!(notes.contains("issued at once, 30–80 ms each"), "{notes}");
        assert!(notes.contains("2.50 s are Terraform's own"), "{notes}");
        assert!(notes.contains("(27 calls issued at once"), "{notes}");
        assert!(notes.contains("refresh takes 0.12 s inside"), "{notes}");
        assert!(notes.contains("Refresh: 27 calls against 15"), "{notes}");
        assert!(notes.contains("needs 6 of them"), "{notes}");
        assert!(
            notes.contains("The six services the issue names cost 21."),
            "{notes}"
        );
        assert!(
            notes.contains("that is 0.41 s, and the no-op plan (1.00 s) is over it"),
            "{notes}"
        );
        assert!(
            notes.contains("Of the 0.75 s beyond the floor, 0.35 s"),
            "{notes}"
        );
        assert!(notes.contains("and 0.40 s by the refresh"), "{notes}");
        assert!(notes.contains("1 no-op plan(s) were not empty"), "{notes}");
        assert!(details(&Samples::default()).is_empty());
    }

    #[test]
    fn every_scenario_has_figures_even_without_samples() {
        let cli = <crate::options::Cli as clap::Parser>::try_parse_from(["bench"]).expect("parse");
        let options = Options::resolve(cli, Path::new("/repo"));
        let all = figures(&Samples::default(), &Standalone::default(), &options);
        for scenario in [APPLY, REFRESH, PLAN, FOOTPRINT, POLLS, SCALE] {
            assert!(all.iter().any(|f| f.scenario == scenario), "{scenario}");
        }
        // Nothing measured: a target is missed, a plain figure is just absent.
        assert!(all.iter().all(|f| match f.target {
            Some(_) => f.verdict() == Verdict::Missing,
            None => f.verdict() == Verdict::NotMeasured,
        }));
    }
}
