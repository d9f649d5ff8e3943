//! When a waiter polls next: exponential backoff with jitter, or aimed at an object's usual
//! duration and then gently more often once it is late.

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

/// No poll interval is shorter than this (in AWS time, before `time_scale`).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Backoff sleeps are shortened by a random share up to this, so waiters started together
/// (three NAT gateways, several mount targets) do not poll in lockstep.
pub(crate) const JITTER: f64 = 0.15;

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
pub(crate) fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(1.0 - JITTER * rand::random::<f64>())
}
