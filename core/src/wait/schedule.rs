//! When a waiter polls next: exponential backoff with jitter, whose cap grows with the time
//! already waited so that readiness is noticed promptly whatever AWS's real duration.

use std::time::Duration;

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

    pub fn next(&self, current: Duration) -> Duration {
        current.mul_f64(self.factor).min(self.max)
    }
}

/// Backoff sleeps are shortened by a random share up to this, so waiters started together
/// (three NAT gateways, several mount targets) do not poll in lockstep.
pub(crate) const JITTER: f64 = 0.15;

/// A long wait's interval may grow to this share of the time waited so far, and no further:
/// an object that turns ready is seen within max(`Backoff::max`, 5 % of the wait), whether AWS
/// takes 45 seconds or 20 minutes to make it. A 15-minute database is then seen at most 45 s
/// late for about 50 polls (the schedule without its jitter; a tenth was 90 s for 37 polls):
/// BENCHMARKS.md measured the database as the chain's largest lateness.
pub const PROMPT_SHARE: f64 = 0.05;

/// When a waiter polls next. Times are AWS time (before `time_scale`).
#[derive(Debug, Clone)]
pub struct Schedule {
    interval: Duration,
    backoff: Backoff,
}

impl Schedule {
    pub fn new(backoff: Backoff) -> Schedule {
        Schedule {
            interval: backoff.first,
            backoff,
        }
    }

    /// The sleep before the next poll, `elapsed` after the wait began: the backoff's interval,
    /// whose cap rises to [`PROMPT_SHARE`] of `elapsed` once that is larger, jittered shorter.
    /// Nothing here depends on how long AWS usually takes, so an early object is not seen late.
    pub fn next_sleep(&mut self, elapsed: Duration) -> Duration {
        let cap = self.backoff.max.max(elapsed.mul_f64(PROMPT_SHARE));
        let interval = self.interval.min(cap);
        self.interval = interval.mul_f64(self.backoff.factor).min(cap);
        jittered(interval)
    }
}

/// `interval` shortened by a random share of at most `JITTER`.
pub(crate) fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(1.0 - JITTER * rand::random::<f64>())
}
