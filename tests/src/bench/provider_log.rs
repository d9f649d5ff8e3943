//! What the provider's own log (TF_LOG_PROVIDER=DEBUG, re-emitted by Terraform on stderr)
//! says about an apply: when each graph step started and finished, and how many waiter polls
//! found an object not ready yet.
//!
//! A line looks like
//! `2026-11-27T21:47:00.270Z [DEBUG] provider.terraform-provider-wordpress: step done: @module=provider.wordpress seconds=0.25 step=network.vpc timestamp=…`
//! (field order varies). The messages come from `stack_core::graph` ("step started",
//! "step done"), `stack_core::wait` ("waiting") and `stack_core::engine` ("stack read"); each
//! line also names its stack (`stack=…`, from the engine's span).

use std::collections::BTreeMap;

const PROVIDER_PREFIX: &str = "provider.terraform-provider-wordpress: ";

/// The step events of one Terraform command's stderr.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderLog {
    /// `(step, seconds since the epoch)` of each "step started".
    pub started: Vec<(String, f64)>,
    /// `(step, duration in seconds, seconds since the epoch)` of each "step done".
    pub done: Vec<(String, f64, f64)>,
    /// "waiting" lines: polls that found an object still pending.
    pub pending_polls: usize,
    /// Step durations of each stack, when the lines name their stack (several stacks in one
    /// configuration).
    pub done_by_stack: BTreeMap<String, BTreeMap<String, f64>>,
    /// Seconds of each "stack read" (ReadResource's refresh, inside the provider).
    pub reads: Vec<f64>,
}

impl ProviderLog {
    pub fn parse(stderr: &str) -> ProviderLog {
        let mut log = ProviderLog::default();
        for line in stderr.lines() {
            let Some((at, message, fields)) = split_line(line) else {
                continue;
            };
            let step = fields.get("step").cloned();
            match (message, step) {
                ("step started", Some(step)) => log.started.push((step, at)),
                ("step done", Some(step)) => {
                    let seconds = seconds_field(&fields);
                    if let Some(stack) = fields.get("stack") {
                        log.done_by_stack
                            .entry(stack.clone())
                            .or_default()
                            .insert(step.clone(), seconds);
                    }
                    log.done.push((step, seconds, at));
                }
                ("stack read", _) => log.reads.push(seconds_field(&fields)),
                ("waiting", _) => log.pending_polls += 1,
                _ => {}
            }
        }
        log
    }

    /// Each step's duration (the last one logged, should a step id repeat).
    pub fn durations(&self) -> BTreeMap<String, f64> {
        self.done
            .iter()
            .map(|(step, seconds, _)| (step.clone(), *seconds))
            .collect()
    }

    /// From the first step's start to the last step's end: the provider's graph run.
    pub fn span(&self) -> Option<f64> {
        let first = self.started.iter().map(|(_, at)| *at).reduce(f64::min)?;
        let last = self.done.iter().map(|(_, _, at)| *at).reduce(f64::max)?;
        Some((last - first).max(0.0))
    }
}

/// `(timestamp, message, fields)` of one of our provider's log lines.
fn seconds_field(fields: &BTreeMap<&str, String>) -> f64 {
    fields
        .get("seconds")
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn split_line(line: &str) -> Option<(f64, &str, BTreeMap<&str, String>)> {
    let (head, rest) = line.split_once(PROVIDER_PREFIX)?;
    let at = parse_timestamp(head.split_whitespace().next()?)?;
    let (message, fields_text) = rest.split_once(": ").unwrap_or((rest, ""));
    let fields = fields_text
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key, value.trim_matches('"').to_string()))
        .collect();
    Some((at, message.trim(), fields))
}

/// `2026-11-27T21:47:00.270Z` → seconds since the Unix epoch (UTC only, as Terraform writes).
pub fn parse_timestamp(text: &str) -> Option<f64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let mut time_parts = time.splitn(3, ':');
    let hours = time_parts.next()?.parse::<f64>().ok()?;
    let minutes = time_parts.next()?.parse::<f64>().ok()?;
    let seconds = time_parts.next()?.parse::<f64>().ok()?;
    let days = days_from_civil(year, month, day) as f64;
    Some(days * 86_400.0 + hours * 3_600.0 + minutes * 60.0 + seconds)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
2026-11-27T21:47:00.017Z [DEBUG] provider.terraform-provider-wordpress: step started: @module=provider.wordpress step=network.vpc timestamp=2026-11-27T21:47:00.017Z
2026-11-27T21:47:00.019Z [DEBUG] provider.terraform-provider-wordpress: step started: step=database.instance @module=provider.wordpress
2026-11-27T21:47:00.270Z [DEBUG] provider.terraform-provider-wordpress: step done: @module=provider.wordpress seconds=0.25310908600000004 step=network.vpc timestamp=2026-11-27T21:47:00.270Z
2026-11-27T21:47:01.000Z [DEBUG] provider.terraform-provider-wordpress: waiting: resource=db state=creating target=available
2026-11-27T21:47:02.000Z [DEBUG] provider.terraform-provider-wordpress: waiting: resource=db state=creating target=available
2026-11-27T21:47:02.100Z [INFO]  provider: plugin process exited: path=x pid=1
2026-11-27T21:47:12.519Z [DEBUG] provider.terraform-provider-wordpress: step done: step=database.instance seconds=12.5 @module=provider.wordpress
";

    #[test]
    fn steps_and_pending_polls_are_read_from_terraform_stderr() {
        let log = ProviderLog::parse(SAMPLE);
        assert_eq!(log.started.len(), 2);
        assert_eq!(log.pending_polls, 2);
        let durations = log.durations();
        assert!((durations["network.vpc"] - 0.253109086).abs() < 1e-9);
        assert_eq!(durations["database.instance"], 12.5);
        let span = log.span().unwrap();
        assert!((span - 12.502).abs() < 1e-6, "{span}");
    }

    #[test]
    fn steps_are_kept_per_stack_and_reads_are_timed() {
        let log = ProviderLog::parse("\
2026-11-27T21:47:00.270Z [DEBUG] provider.terraform-provider-wordpress: step done: seconds=0.25 stack=a step=network.vpc
2026-11-27T21:47:00.290Z [DEBUG] provider.terraform-provider-wordpress: step done: stack=b seconds=0.5 step=network.vpc
2026-11-27T21:47:01.000Z [DEBUG] provider.terraform-provider-wordpress: stack read: objects=47 seconds=0.125 stack=a
");
        assert_eq!(log.done_by_stack["a"]["network.vpc"], 0.25);
        assert_eq!(log.done_by_stack["b"]["network.vpc"], 0.5);
        assert_eq!(log.reads, [0.125]);
        assert_eq!(log.done.len(), 2);
    }

    #[test]
    fn no_steps_means_no_span() {
        assert_eq!(ProviderLog::parse("nothing to see").span(), None);
    }

    #[test]
    fn timestamps_are_seconds_since_the_epoch() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Some(1.5));
        assert_eq!(parse_timestamp("2000-03-01T00:00:00Z"), Some(951_868_800.0));
        assert_eq!(parse_timestamp("2026-11-27T21:47:00.270"), None);
        let a = parse_timestamp("2026-12-31T23:59:59.900Z").unwrap();
        let b = parse_timestamp("2027-01-01T00:00:00.100Z").unwrap();
        assert!((b - a - 0.2).abs() < 1e-6);
    }
}
