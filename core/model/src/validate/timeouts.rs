//! The timeouts block, written as Go durations the way Terraform writes them.

use std::time::Duration;

use super::{path, Errors, MIN_TIMEOUT};
use crate::spec::Timeouts;

/// A Go duration as Terraform writes timeouts: `45m`, `1h30m`, `90s`, `1.5h`, `500ms`.
///
/// Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`. A bare `0` is zero. Signs are refused: a
/// negative timeout means nothing here.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(Duration::ZERO);
    }
    if trimmed.is_empty() {
        return Err("empty duration; write a number with a unit, such as 45m or 1h30m".to_string());
    }
    if trimmed.starts_with(['-', '+']) {
        return Err(format!(
            "{text:?} has a sign; write a positive duration such as 45m"
        ));
    }
    let mut rest = trimmed;
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let (amount, after_amount) = split_number(rest).ok_or_else(|| {
            format!("{text:?} is not a duration: expected a number at {rest:?} (examples: 45m, 1h30m, 90s)")
        })?;
        let (unit_nanos, after_unit) = split_unit(after_amount).ok_or_else(|| {
            format!("{text:?} is not a duration: missing or unknown unit at {after_amount:?} (use ns, us, ms, s, m or h)")
        })?;
        total_nanos += amount * unit_nanos;
        rest = after_unit;
    }
    if !total_nanos.is_finite() || total_nanos > Duration::MAX.as_nanos() as f64 {
        return Err(format!("{text:?} is too long a duration"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// `1.5` of `1.5h30m` and what follows it.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number = &text[..end];
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    number
        .parse::<f64>()
        .ok()
        .map(|value| (value, &text[end..]))
}

/// The unit at the start of `text`, as nanoseconds, and what follows it.
fn split_unit(text: &str) -> Option<(f64, &str)> {
    // Longest units first, so `ms` is not read as `m` followed by garbage.
    const UNITS: [(&str, f64); 8] = [
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("μs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    UNITS
        .iter()
        .find(|(unit, _)| text.starts_with(unit))
        .map(|(unit, nanos)| (*nanos, &text[unit.len()..]))
}

pub(super) fn check_timeouts(errors: &mut Errors, timeouts: &Timeouts) {
    for (name, value) in [
        ("create", timeouts.create),
        ("update", timeouts.update),
        ("delete", timeouts.delete),
    ] {
        if let Some(duration) = value.filter(|d| *d < MIN_TIMEOUT) {
            errors.push(
                path(&["timeouts", name]),
                format!("timeouts.{name} is {duration:?}; nothing finishes that fast"),
                "Give at least one second, typically minutes, such as \"45m\" or \"1h30m\"; omit it for the default.",
            );
        }
    }
}
