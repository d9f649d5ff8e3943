//! Bounded, cancellable waiting: poll an object until it is usable, with exponential backoff
//! capped at `Backoff::max`, giving up at a deadline or when the cancel token fires.
//!
//! Every waiter in the core goes through [`until`], so Ctrl-C (StopProvider) and the
//! `timeouts` block are honoured in one place.

use std::future::Future;
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

    /// One poll at once (already there?), the next at 80% of the usual duration, then every
    /// 10% of it: few calls, and little overshoot past the moment the object is ready.
    pub fn expecting(expected: Duration) -> Backoff {
        Backoff {
            first: expected.mul_f64(0.8),
            max: (expected / 10).max(Duration::from_secs(1)),
            factor: 1.0,
        }
    }

    pub fn next(&self, current: Duration) -> Duration {
        current.mul_f64(self.factor).min(self.max)
    }
}

/// Where a wait stops: the deadline of the whole operation, and its cancel token.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub deadline: Instant,
    pub cancel: CancellationToken,
    /// Between polls of a waiter.
    pub backoff: Backoff,
    /// Between attempts of a call AWS refused transiently.
    pub retry: Backoff,
    /// Multiplies every sleep: 1.0 against AWS; below 1 when a test or benchmark simulates
    /// AWS's durations scaled down (see `TIME_SCALE_ENV`).
    pub time_scale: f64,
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
        }
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

    /// The same bounds polling on `Backoff::expecting(expected)`: for objects whose usual
    /// creation or deletion time AWS publishes (NAT gateway ~1-2 min, RDS ~10-20 min…).
    pub fn expecting(&self, expected: Duration) -> Bounds {
        Bounds {
            backoff: Backoff::expecting(expected),
            ..self.clone()
        }
    }

    fn sleep_for(&self, interval: Duration) -> Duration {
        interval.mul_f64(self.time_scale)
    }
}

/// Poll `poll` until it reports `Ready`. The first poll happens at once (moto and fast AWS
/// objects are often ready immediately); later ones back off.
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
    let mut interval = bounds.backoff.first;
    loop {
        check_cancel(bounds, resource, target)?;
        match poll().await? {
            Poll::Ready(value) => return Ok(value),
            Poll::Failed(state) => {
                return Err(StackError::WaitFailed {
                    resource: resource.to_string(),
                    target: target.to_string(),
                    state,
                })
            }
            Poll::Pending(state) => {
                tracing::debug!(resource, target, state = %state, "waiting");
            }
        }
        if Instant::now() + bounds.sleep_for(interval) > bounds.deadline {
            return Err(StackError::WaitTimeout {
                resource: resource.to_string(),
                target: target.to_string(),
                after: started.elapsed(),
            });
        }
        sleep_or_cancel(bounds, interval, resource, target).await?;
        interval = bounds.backoff.next(interval);
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
                sleep_or_cancel(bounds, interval, what, "done").await?;
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

    #[tokio::test(start_paused = true)]
    async fn polls_stay_logarithmic_over_two_minutes() {
        let polls = Cell::new(0u32);
        let start = Instant::now();
        until(&bounds(600), "nat-1", "available", || {
            polls.set(polls.get() + 1);
            let ready = start.elapsed() >= Duration::from_secs(120);
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
        assert!(polls.get() <= 16, "{} polls", polls.get());
    }

    #[tokio::test(start_paused = true)]
    async fn expecting_polls_near_the_usual_duration_only() {
        let polls = Cell::new(0u32);
        let start = Instant::now();
        let nat = bounds(3600).expecting(Duration::from_secs(90));
        until(&nat, "nat-1", "available", || {
            polls.set(polls.get() + 1);
            let ready = start.elapsed() >= Duration::from_secs(95);
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
        // At once, at 72 s, 81 s, 90 s, 99 s.
        assert_eq!(polls.get(), 5);
        assert!(start.elapsed() <= Duration::from_secs(100));
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
        // 48 s + 6 s of AWS time is 0.9 s here.
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
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
