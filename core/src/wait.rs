//! Bounded, cancellable waiting: poll an object until it is usable, giving up at a deadline or
//! when the cancel token fires.
//!
//! Polls are few: the first at once (moto and many AWS objects are ready immediately); for an
//! object whose usual duration is known (`Bounds::expecting`) the next ones at 1/2, 3/4 and 1×
//! that duration, then a gently growing interval; otherwise exponential backoff capped at
//! `Backoff::max`. Exponential sleeps carry jitter. `Bounds::polls` counts every poll.
//!
//! Every waiter in the core goes through [`until`], so Ctrl-C (StopProvider) and the
//! `timeouts` block are honoured in one place.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Result, StackError};

/// What one poll saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll<T> {
    /// Usable: stop waiting.
    Ready(T),
    /// Not yet; the current state (e.g. `pending`) for logs and the timeout message.
    Pending(String),
    /// A terminal state that will never become the target (e.g. `failed`).
    Failed(String),
}

/// Poll intervals: `first`, then ×`factor` each time, never above `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub factor: f64,
}

impl Backoff {
    /// Suits AWS objects that take seconds to minutes: 1 s, 1.5 s, 2.25 s … up to 15 s, so a
    /// 2-minute NAT gateway costs about a dozen polls.
    pub const AWS: Backoff = Backoff {
        first: Duration::from_secs(1),
        max: Duration::from_secs(15),
        factor: 1.5,
    };

    /// For retrying a delete refused with DependencyViolation while ENIs drain.
    pub const DEPENDENCY: Backoff = Backoff {
        first: Duration::from_secs(2),
        max: Duration::from_secs(20),
        factor: 1.5,
    };

    /// For a call that names an object created moments ago and that AWS, eventually
    /// consistent, does not know yet (`InvalidVpcID.NotFound` right after CreateVpc).
    pub const CONSISTENCY: Backoff = Backoff {
        first: Duration::from_millis(500),
        max: Duration::from_secs(5),
        factor: 2.0,
    };

    /// How long an object may stay unknown after its creation before it is an error.
    pub const CONSISTENCY_LIMIT: Duration = Duration::from_secs(120);

    /// Once an object is later than its usual duration `expected`: polls every 5% of it at
    /// first, growing by a quarter each time up to a quarter of it, so a slow object costs a
    /// few more polls and is seen at most ~25% after it is ready.
    pub fn late(expected: Duration) -> Backoff {
        Backoff {
            first: (expected / 20).max(MIN_INTERVAL),
            max: (expected / 4).max(MIN_INTERVAL),
            factor: 1.25,
        }
    }

    pub fn next(&self, current: Duration) -> Duration {
        current.mul_f64(self.factor).min(self.max)
    }
}

/// How long AWS usually takes for what the waiters of `aws/` wait for (the figures DESIGN.md
/// section 4 cites; the NAT gateway's and the bastion's are with their tiers). A waiter aims
/// its polls at these (see [`Bounds::expecting`]).
pub mod usual {
    use std::time::Duration;

    pub const LOAD_BALANCER_ACTIVE: Duration = Duration::from_secs(150);
    pub const LOAD_BALANCER_DELETED: Duration = Duration::from_secs(30);
    /// Multi-AZ takes 10-20 min, single-AZ somewhat less.
    pub const DB_INSTANCE_CREATED: Duration = Duration::from_secs(12 * 60);
    pub const DB_INSTANCE_MODIFIED: Duration = Duration::from_secs(3 * 60);
    pub const DB_INSTANCE_DELETED: Duration = Duration::from_secs(6 * 60);
    pub const FILE_SYSTEM_AVAILABLE: Duration = Duration::from_secs(30);
    pub const FILE_SYSTEM_DELETED: Duration = Duration::from_secs(30);
    pub const MOUNT_TARGET_AVAILABLE: Duration = Duration::from_secs(90);
    pub const MOUNT_TARGET_DELETED: Duration = Duration::from_secs(60);
    pub const GROUP_IN_SERVICE: Duration = Duration::from_secs(3 * 60);
    pub const GROUP_DELETED: Duration = Duration::from_secs(3 * 60);
    pub const DNS_CHANGE_IN_SYNC: Duration = Duration::from_secs(60);
}

/// No poll interval is shorter than this (in AWS time, before `time_scale`).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Backoff sleeps are shortened by a random share up to this, so waiters started together
/// (three NAT gateways, several mount targets) do not poll in lockstep.
const JITTER: f64 = 0.15;

/// Where a wait stops: the deadline of the whole operation, and its cancel token.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub deadline: Instant,
    pub cancel: CancellationToken,
    /// Between polls of a waiter without an expected duration.
    pub backoff: Backoff,
    /// Between attempts of a call AWS refused transiently.
    pub retry: Backoff,
    /// Multiplies every sleep: 1.0 against AWS; below 1 when a test or benchmark simulates
    /// AWS's durations scaled down (see `TIME_SCALE_ENV`).
    pub time_scale: f64,
    /// How long AWS usually takes for what is awaited (see [`Bounds::expecting`]).
    pub expected: Option<Duration>,
    /// Polls made by every waiter sharing these bounds (clones share the count).
    polls: Arc<AtomicU64>,
    /// A longer-lived count the polls are added to as well (the engine's, across operations).
    total_polls: Option<Arc<AtomicU64>>,
}

/// Environment variable read by `Engine::connect`: the factor applied to every poll and retry
/// interval (e.g. `0.0167` when a proxy simulates one AWS minute per real second).
pub const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";

impl Bounds {
    pub fn new(deadline: Instant, cancel: CancellationToken) -> Self {
        Bounds {
            deadline,
            cancel,
            backoff: Backoff::AWS,
            retry: Backoff::DEPENDENCY,
            time_scale: 1.0,
            expected: None,
            polls: Arc::new(AtomicU64::new(0)),
            total_polls: None,
        }
    }

    /// The same bounds also adding every poll to `total`.
    pub fn counting_into(mut self, total: Arc<AtomicU64>) -> Self {
        self.total_polls = Some(total);
        self
    }

    /// The same bounds with every sleep multiplied by `scale` (clamped to (0, 1]).
    pub fn scaled(mut self, scale: f64) -> Self {
        self.time_scale = if scale.is_finite() && scale > 0.0 {
            scale.min(1.0)
        } else {
            1.0
        };
        self
    }

    /// The same bounds for an object whose usual creation or deletion time AWS publishes
    /// (NAT gateway ~1-2 min, RDS ~10-20 min…): polls at once, at 1/2, 3/4 and 1× `expected`,
    /// then on [`Backoff::late`]. Four polls when AWS is on time, little overshoot when not.
    pub fn expecting(&self, expected: Duration) -> Bounds {
        Bounds {
            expected: Some(expected),
            ..self.clone()
        }
    }

    /// `expecting(expected)` unless the caller already said what to expect.
    pub fn expecting_by_default(&self, expected: Duration) -> Bounds {
        self.expecting(self.expected.unwrap_or(expected))
    }

    /// Polls made so far by the waiters of this operation.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    fn count_poll(&self) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if let Some(total) = &self.total_polls {
            total.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn sleep_for(&self, interval: Duration) -> Duration {
        interval.mul_f64(self.time_scale)
    }
}

/// When a waiter polls next. Times are AWS time (before `time_scale`).
#[derive(Debug, Clone)]
pub struct Schedule {
    expected: Option<Duration>,
    /// The current interval of the exponential part (no expectation, or late).
    interval: Duration,
    backoff: Backoff,
    late: bool,
}

impl Schedule {
    pub fn new(backoff: Backoff, expected: Option<Duration>) -> Schedule {
        Schedule {
            expected,
            interval: backoff.first,
            backoff,
            late: false,
        }
    }

    /// The sleep before the next poll, `elapsed` after the wait began. Aiming at the expected
    /// time is exact (a jittered sleep there would poll just too early and pay a late poll);
    /// exponential sleeps are jittered.
    pub fn next_sleep(&mut self, elapsed: Duration) -> Duration {
        if let Some(expected) = self.expected {
            let remaining = expected.saturating_sub(elapsed);
            if !self.late && remaining > expected / 100 {
                return (remaining / 2).max(expected / 4).min(remaining);
            }
            if !self.late {
                self.late = true;
                self.backoff = Backoff::late(expected);
                self.interval = self.backoff.first;
            }
        }
        let sleep = jittered(self.interval);
        self.interval = self.backoff.next(self.interval);
        sleep
    }
}

/// `interval` shortened by a random share of at most `JITTER`.
fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(1.0 - JITTER * rand::random::<f64>())
}

/// Poll `poll` until it reports `Ready`. The first poll happens at once (moto and fast AWS
/// objects are often ready immediately); later ones follow the bounds' [`Schedule`].
pub async fn until<T, F, Fut>(bounds: &Bounds, resource: &str, target: &str, poll: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    until_expecting(bounds, resource, target, |_| None, poll).await
}

/// Like [`until`], for objects whose usual duration depends on the state the first poll
/// finds (an RDS instance `creating` takes far longer than one `modifying`):
/// `expected_for(state)` is asked once, unless the bounds already carry an expectation.
pub async fn until_expecting<T, F, Fut>(
    bounds: &Bounds,
    resource: &str,
    target: &str,
    expected_for: impl Fn(&str) -> Option<Duration>,
    mut poll: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let started = Instant::now();
    let mut schedule: Option<Schedule> = None;
    loop {
        check_cancel(bounds, resource, target)?;
        bounds.count_poll();
        let state = match poll().await? {
            Poll::Ready(value) => return Ok(value),
            Poll::Failed(state) => {
                return Err(StackError::WaitFailed {
                    resource: resource.to_string(),
                    target: target.to_string(),
                    state,
                })
            }
            Poll::Pending(state) => state,
        };
        tracing::debug!(resource, target, state = %state, "waiting");
        let schedule = schedule.get_or_insert_with(|| {
            let expected = bounds.expected.or_else(|| expected_for(&state));
            Schedule::new(bounds.backoff, expected)
        });
        // A poll planned past the deadline happens at the deadline instead: an object that
        // is ready by then must not fail the wait (a 12-minute RDS schedule under a 2m bound).
        let left = bounds.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(StackError::WaitTimeout {
                resource: resource.to_string(),
                target: target.to_string(),
                after: started.elapsed(),
            });
        }
        let interval = schedule
            .next_sleep(started.elapsed().div_f64(bounds.time_scale))
            .min(left.div_f64(bounds.time_scale));
        sleep_or_cancel(bounds, interval, resource, target).await?;
    }
}

/// Retry `attempt` while it fails with an error `retryable` accepts (e.g. DependencyViolation),
/// with `bounds.retry`, until the deadline; other errors return at once.
pub async fn retrying<T, F, Fut>(
    bounds: &Bounds,
    what: &str,
    retryable: impl Fn(&StackError) -> bool,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut interval = bounds.retry.first;
    loop {
        check_cancel(bounds, what, "done")?;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error)
                if retryable(&error)
                    && Instant::now() + bounds.sleep_for(interval) <= bounds.deadline =>
            {
                tracing::info!(what, error = %error, "retrying after a transient refusal");
                sleep_or_cancel(bounds, jittered(interval), what, "done").await?;
                interval = bounds.retry.next(interval);
            }
            Err(error) => return Err(error),
        }
    }
}

/// Retry `attempt` while AWS answers "not found" for an object just created, up to
/// `Backoff::CONSISTENCY_LIMIT` (or the deadline, if sooner).
pub async fn eventually<T, F, Fut>(bounds: &Bounds, what: &str, attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let limit = Instant::now() + Backoff::CONSISTENCY_LIMIT;
    let consistency = Bounds {
        deadline: bounds.deadline.min(limit),
        retry: Backoff::CONSISTENCY,
        ..bounds.clone()
    };
    retrying(&consistency, what, names_a_fresh_object, attempt).await
}

/// "Not found" about something the stack creates, not about the user's input (an AMI or key
/// pair that does not exist will not appear by waiting).
fn names_a_fresh_object(error: &StackError) -> bool {
    let user_input = error
        .aws_code()
        .is_some_and(|code| code.starts_with("InvalidAMIID") || code.starts_with("InvalidKeyPair"));
    crate::aws::is_not_found(error) && !user_input
}

fn check_cancel(bounds: &Bounds, resource: &str, target: &str) -> Result<()> {
    if bounds.cancel.is_cancelled() {
        return Err(StackError::Cancelled {
            during: format!("waiting for {resource} to become {target}"),
        });
    }
    Ok(())
}

async fn sleep_or_cancel(
    bounds: &Bounds,
    interval: Duration,
    resource: &str,
    target: &str,
) -> Result<()> {
    tokio::select! {
        _ = tokio::time::sleep(bounds.sleep_for(interval)) => Ok(()),
        _ = bounds.cancel.cancelled() => Err(StackError::Cancelled {
            during: format!("waiting for {resource} to become {target}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn bounds(seconds: u64) -> Bounds {
        Bounds::new(
            Instant::now() + Duration::from_secs(seconds),
            CancellationToken::new(),
        )
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff::AWS;
        let mut d = b.first;
        let mut seen = vec![];
        for _ in 0..12 {
            seen.push(d);
            d = b.next(d);
        }
        assert!(seen.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*seen.last().unwrap(), b.max);
        assert_eq!(seen[1], Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_until_ready_with_few_polls() {
        let polls = Cell::new(0);
        let value = until(&bounds(600), "nat-1", "available", || {
            polls.set(polls.get() + 1);
            let n = polls.get();
            async move {
                Ok(if n < 4 {
                    Poll::Pending("pending".into())
                } else {
                    Poll::Ready(n)
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(value, 4);
    }

    /// When each poll happened (from the start) for an object ready after `ready_after`.
    async fn poll_times(bounds: &Bounds, ready_after: Duration) -> Vec<Duration> {
        let start = Instant::now();
        let times = std::cell::RefCell::new(Vec::new());
        until(bounds, "object", "available", || {
            times.borrow_mut().push(start.elapsed());
            let ready = start.elapsed() >= ready_after;
            async move {
                Ok(if ready {
                    Poll::Ready(())
                } else {
                    Poll::Pending("pending".into())
                })
            }
        })
        .await
        .unwrap();
        times.into_inner()
    }

    fn gaps(times: &[Duration]) -> Vec<Duration> {
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn without_expectation_polls_back_off_exponentially_with_jitter_and_a_cap() {
        let times = poll_times(&bounds(3600), Duration::from_secs(300)).await;
        assert_eq!(times[0], Duration::ZERO, "the first poll is at once");
        let mut nominal = Backoff::AWS.first;
        for gap in gaps(&times) {
            assert!(
                gap <= nominal && gap >= nominal.mul_f64(1.0 - JITTER) - Duration::from_millis(1),
                "{gap:?} is {nominal:?} minus at most {JITTER} of it"
            );
            nominal = Backoff::AWS.next(nominal);
        }
        assert!(
            gaps(&times).iter().all(|g| *g <= Backoff::AWS.max),
            "capped"
        );
        // Five minutes cost ~25 polls, not one a second.
        assert!((20..=30).contains(&times.len()), "{} polls", times.len());
        let distinct: std::collections::BTreeSet<Duration> = gaps(&times).into_iter().collect();
        assert!(distinct.len() > 5, "jitter varies the sleeps: {distinct:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_object_on_time_costs_four_polls_and_no_overshoot() {
        let nat = bounds(3600).expecting(Duration::from_secs(90));
        let times = poll_times(&nat, Duration::from_secs(90)).await;
        let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
        assert_eq!(secs, vec![0.0, 45.0, 67.5, 90.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_early_object_is_seen_by_the_halving_polls() {
        let rds = bounds(7200).expecting(Duration::from_secs(720));
        let times = poll_times(&rds, Duration::from_secs(300)).await;
        assert_eq!(times.len(), 2, "at once, then at 6 min: {times:?}");
        assert_eq!(*times.last().unwrap(), Duration::from_secs(360));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_object_is_polled_gently_more_often_and_seen_soon_after() {
        let expected = Duration::from_secs(90);
        let times = poll_times(&bounds(3600).expecting(expected), Duration::from_secs(150)).await;
        let late: Vec<Duration> = times.iter().copied().filter(|t| *t > expected).collect();
        let late_gaps = gaps(&times[times.len() - late.len() - 1..]);
        assert!(late_gaps[0] <= expected / 20, "{late_gaps:?}");
        assert!(
            late_gaps.iter().all(|g| *g <= expected / 4),
            "{late_gaps:?}"
        );
        assert!(late_gaps.windows(2).all(|w| w[1] > w[0].mul_f64(0.8)));
        let seen = *times.last().unwrap();
        assert!(
            seen <= Duration::from_secs(150) + expected / 4,
            "seen at {seen:?}"
        );
        assert!(times.len() <= 12, "{} polls: {times:?}", times.len());
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_pending_state_picks_the_expectation() {
        let start = Instant::now();
        let polls = Cell::new(0u32);
        until_expecting(
            &bounds(3600),
            "db",
            "available",
            |state| (state == "modifying").then(|| Duration::from_secs(180)),
            || {
                polls.set(polls.get() + 1);
                let ready = start.elapsed() >= Duration::from_secs(180);
                async move {
                    Ok(if ready {
                        Poll::Ready(())
                    } else {
                        Poll::Pending("modifying".into())
                    })
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(polls.get(), 4);
        assert_eq!(start.elapsed(), Duration::from_secs(180));
    }

    #[tokio::test(start_paused = true)]
    async fn polls_are_counted_across_every_waiter_of_the_operation() {
        let shared = bounds(3600);
        let nat = shared.expecting(Duration::from_secs(90));
        poll_times(&nat, Duration::from_secs(90)).await;
        poll_times(&shared, Duration::ZERO).await;
        assert_eq!(shared.polls(), 5);
        assert_eq!(nat.polls(), 5);
        assert_eq!(bounds(1).polls(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_time_scale_shrinks_every_sleep() {
        let start = Instant::now();
        let scaled = bounds(3600)
            .expecting(Duration::from_secs(60))
            .scaled(1.0 / 60.0);
        let polls = Cell::new(0u32);
        until(&scaled, "nat-1", "available", || {
            polls.set(polls.get() + 1);
            let ready = polls.get() >= 3;
            async move {
                Ok(if ready {
                    Poll::Ready(())
                } else {
                    Poll::Pending("pending".into())
                })
            }
        })
        .await
        .unwrap();
        // 30 s + 15 s of AWS time is 0.75 s here.
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_schedule_longer_than_the_bound_still_polls_before_the_deadline() {
        // RDS usually takes 12 minutes; under a 2-minute bound the object is ready after 1.
        let b = bounds(120).expecting(Duration::from_secs(12 * 60));
        let start = Instant::now();
        let result = until(&b, "db-1", "available", || async move {
            Ok::<Poll<()>, StackError>(if start.elapsed() >= Duration::from_secs(60) {
                Poll::Ready(())
            } else {
                Poll::Pending("creating".into())
            })
        })
        .await;
        assert!(result.is_ok(), "{result:?}");
        assert!(start.elapsed() <= Duration::from_secs(120));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_gives_a_timeout_error() {
        let error = until(&bounds(10), "nat-1", "available", || async {
            Ok::<Poll<()>, StackError>(Poll::Pending("pending".into()))
        })
        .await
        .unwrap_err();
        assert!(matches!(error, StackError::WaitTimeout { .. }), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn failed_state_stops_at_once() {
        let error = until(&bounds(10), "nat-1", "available", || async {
            Ok::<Poll<()>, StackError>(Poll::Failed("failed".into()))
        })
        .await
        .unwrap_err();
        assert!(matches!(error, StackError::WaitFailed { ref state, .. } if state == "failed"));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_interrupts_a_sleeping_waiter() {
        let b = bounds(3600);
        let trigger = b.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            trigger.cancel();
        });
        let started = Instant::now();
        let error = until(&b, "rds", "available", || async {
            Ok::<Poll<()>, StackError>(Poll::Pending("creating".into()))
        })
        .await
        .unwrap_err();
        assert!(matches!(error, StackError::Cancelled { .. }));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn eventually_waits_out_not_found_but_not_forever() {
        let not_found = || StackError::Aws {
            service: "ec2",
            operation: "CreateRoute",
            resource: "rtb-1".into(),
            code: Some("InvalidNatGatewayID.NotFound".into()),
            message: "not found".into(),
        };
        let attempts = Cell::new(0);
        let value = eventually(&bounds(3600), "route", || {
            attempts.set(attempts.get() + 1);
            let n = attempts.get();
            async move {
                if n < 4 {
                    Err(not_found())
                } else {
                    Ok(n)
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(value, 4);
        let started = Instant::now();
        let error = eventually(&bounds(3600), "route", || async {
            Err::<(), _>(not_found())
        })
        .await
        .unwrap_err();
        assert!(crate::aws::is_not_found(&error));
        assert!(started.elapsed() <= Backoff::CONSISTENCY_LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn retrying_retries_only_what_it_is_told() {
        let attempts = Cell::new(0);
        let value = retrying(
            &bounds(600),
            "delete sg",
            |e| e.to_string().contains("busy"),
            || {
                attempts.set(attempts.get() + 1);
                let n = attempts.get();
                async move {
                    if n < 3 {
                        Err(StackError::Internal("busy".into()))
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(value, 3);
        let error = retrying(
            &bounds(600),
            "x",
            |_| false,
            || async { Err::<(), _>(StackError::Internal("fatal".into())) },
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("fatal"));
    }
}
