//! Refreshes of many stacks in one configuration (one provider process): their figures
//! against the 1-stack refresh, and the note that splits their calls into shared and
//! per-stack reads.

use crate::calls::{self, Calls};
use crate::figures::{Figure, Unit};
use crate::scenario_figures::REFRESH;

/// `terraform apply -refresh-only` of N stacks in one configuration (one provider process).
#[derive(Debug, Default, Clone)]
pub struct ScaledRefresh {
    /// AWS calls, ConfigureProvider's apart.
    pub calls: Vec<f64>,
    pub wall: Vec<f64>,
    /// Those calls / the calls of the 1-stack refresh of the same run.
    pub over_single: Vec<f64>,
    /// The last refresh's calls by operation.
    pub last_calls: Calls,
}

/// The bounds on a refresh of many stacks: at most 2× the calls of one for 10 stacks,
/// 4× for 50; none below 10 stacks (`--quick`).
fn target(stacks: usize) -> Option<f64> {
    match stacks {
        50.. => Some(4.0),
        10.. => Some(2.0),
        _ => None,
    }
}

pub fn figures(stacks: usize, refresh: &ScaledRefresh) -> Vec<Figure> {
    let mut ratio = Figure::new(
        "refresh.stacks_ratio",
        REFRESH,
        &format!("calls of {stacks} stacks refreshed together / calls of one stack"),
        Unit::Ratio,
    )
    .samples(refresh.over_single.clone())
    .stacks(stacks);
    if let Some(target) = target(stacks) {
        ratio = ratio.target(target);
    }
    vec![
        Figure::new(
            "refresh.stacks_calls",
            REFRESH,
            &format!("AWS calls of a refresh of {stacks} stacks in one configuration"),
            Unit::Count,
        )
        .samples(refresh.calls.clone())
        .stacks(stacks),
        ratio,
        Figure::new(
            "refresh.stacks_wall",
            REFRESH,
            &format!("`terraform apply -refresh-only` of {stacks} stacks, wall time"),
            Unit::Seconds,
        )
        .samples(refresh.wall.clone())
        .stacks(stacks),
    ]
}

/// What a refresh of `stacks` stacks spent, split into the reads shared across stacks (fewer
/// calls than stacks) and those made once per stack.
pub fn shared_reads(stacks: usize, refresh: &ScaledRefresh) -> String {
    let mut shared = Vec::new();
    let mut per_stack = Vec::new();
    for (service, ops) in &refresh.last_calls {
        for (op, n) in ops {
            let line = format!("{service} {op} ×{n}");
            if (*n as usize) < stacks {
                shared.push(line);
            } else {
                per_stack.push((line, *n));
            }
        }
    }
    let per_stack_calls: u64 = per_stack.iter().map(|(_, n)| n).sum();
    let per_stack: Vec<String> = per_stack.into_iter().map(|(line, _)| line).collect();
    format!(
        "Refresh of {stacks} stacks together, last run ({} calls): shared across the stacks \
         (fewer calls than stacks): {}; made at least once per stack ({per_stack_calls} \
         calls): {}.",
        calls::total(&refresh.last_calls),
        if shared.is_empty() {
            "none".to_string()
        } else {
            shared.join(", ")
        },
        if per_stack.is_empty() {
            "none".to_string()
        } else {
            per_stack.join(", ")
        },
    )
}
