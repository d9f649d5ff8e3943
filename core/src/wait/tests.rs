//! The waiters' schedules and bounds, on tokio's paused clock.

use std::cell::Cell;

use super::schedule::JITTER;
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
async fn polls_back_off_exponentially_with_jitter_and_a_cap() {
    // Within the first 300 s a twentieth of the wait is below the cap, so the cap holds.
    let times = poll_times(&bounds(3600), Duration::from_secs(140)).await;
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
    // Over two minutes cost ~15 polls, not one a second.
    assert!((10..=20).contains(&times.len()), "{} polls", times.len());
    let distinct: std::collections::BTreeSet<Duration> = gaps(&times).into_iter().collect();
    assert!(distinct.len() > 5, "jitter varies the sleeps: {distinct:?}");
}

/// How long after `ready_after` the object was seen, and the bound the schedule promises.
async fn lateness(ready_after: Duration) -> (Duration, Duration, usize) {
    let times = poll_times(&bounds(4 * 3600), ready_after).await;
    let seen = *times.last().unwrap();
    let promise = Backoff::AWS
        .max
        .max(ready_after.mul_f64(schedule::PROMPT_SHARE));
    (seen - ready_after, promise, times.len())
}

#[tokio::test(start_paused = true)]
async fn a_ready_object_is_seen_within_fifteen_seconds_or_a_twentieth_of_the_wait() {
    // From a NAT gateway early to a Multi-AZ database late: none is seen late.
    for seconds in [0, 3, 45, 90, 150, 370, 720, 1200, 2400] {
        let ready_after = Duration::from_secs(seconds);
        let (late, promise, polls) = lateness(ready_after).await;
        assert!(
            late <= promise,
            "ready after {ready_after:?}, seen {late:?} later (promise {promise:?})"
        );
        // Prompt does not mean busy: the interval keeps growing with the wait.
        assert!(polls <= 80, "{polls} polls for {ready_after:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn long_waits_poll_at_a_twentieth_of_the_time_waited() {
    let times = poll_times(&bounds(4 * 3600), Duration::from_secs(1800)).await;
    for pair in times.windows(2) {
        let allowed = Backoff::AWS
            .max
            .max(pair[0].mul_f64(schedule::PROMPT_SHARE));
        assert!(pair[1] - pair[0] <= allowed, "{pair:?}");
    }
    let last_gap = gaps(&times).pop().unwrap();
    assert!(
        last_gap >= Duration::from_secs(60),
        "half an hour in, polls are a minute or more apart: {last_gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn polls_are_counted_across_every_waiter_of_the_operation() {
    let shared = bounds(3600);
    let nat = shared.clone();
    let first = poll_times(&nat, Duration::from_secs(90)).await.len() as u64;
    poll_times(&shared, Duration::ZERO).await;
    assert_eq!(shared.polls(), first + 1);
    assert_eq!(nat.polls(), first + 1);
    assert_eq!(bounds(1).polls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_time_scale_shrinks_every_sleep() {
    let start = Instant::now();
    let scaled = bounds(3600).scaled(1.0 / 60.0);
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
    // 1 s + 1.5 s of AWS time is a few hundredths of a second here.
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_schedule_longer_than_the_bound_still_polls_before_the_deadline() {
    // Half an hour of waiting polls minutes apart; a 31-minute bound still sees minute 30.
    let b = bounds(31 * 60);
    let start = Instant::now();
    let result = until(&b, "db-1", "available", || async move {
        Ok::<Poll<()>, StackError>(if start.elapsed() >= Duration::from_secs(30 * 60 + 50) {
            Poll::Ready(())
        } else {
            Poll::Pending("creating".into())
        })
    })
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert!(start.elapsed() <= Duration::from_secs(31 * 60));
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
