//! Bounded, cancellable waiting: poll an object until it is usable, giving up at a deadline or
//! when the cancel token fires.
//!
//! The first poll is at once (many AWS objects are ready immediately); later ones back off
//! exponentially with jitter up to `Backoff::max`, and past that to a twentieth of the time
//! waited so far (`schedule::PROMPT_SHARE`), so a ready object is noticed within max(15 s, 5 %
//! of the wait) however long AWS takes. `Bounds::polls` counts every poll.
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

pub mod schedule;
pub mod usual;

use schedule::jittered;
pub use schedule::{Backoff, Schedule};

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

/// Poll `poll` until it reports `Ready`. The first poll happens at once; later ones follow
/// the bounds' [`Schedule`].
pub async fn until<T, F, Fut>(
    bounds: &Bounds,
    resource: &str,
    target: &str,
    mut poll: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let started = Instant::now();
    let mut schedule = Schedule::new(bounds.backoff);
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
        // A poll planned past the deadline happens at the deadline instead: an object that
        // is ready by then must not fail the wait.
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
    error.is_not_found() && !user_input
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
mod tests;
