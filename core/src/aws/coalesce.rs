//! Shared describes across stacks: while several stacks are read at once in one provider
//! process (Terraform refreshes up to ten resources side by side), their look-ups of one object
//! kind join into one call with every stack's filter value, and each read keeps its own part
//! of the answer.
//!
//! A look-up opens a round; look-ups of the same kind within the window ([`ROUND_WINDOW`], or
//! `WINDOW_ENV`) join it; then one call is made for all. Every read's look-ups go through
//! rounds, a lone one's too: the first ReadResource of a plan cannot know that nine more are
//! a few milliseconds behind it. A failed shared call is not an answer for anyone: each read
//! then makes its own call, so an error names that read's own object.
//! `tests/tests/refresh_scale.rs` counts the calls of ten stacks refreshed together.

use std::any::{Any, TypeId};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use tracing::Instrument;

use super::Clients;
use crate::error::Result;

/// How long a round stays open for other reads' look-ups after the first one; a round costs
/// its reads this much once, against a round trip to AWS of tens of milliseconds. How many
/// stacks a round gathers depends on how Terraform staggers its ReadResource calls: the
/// bench's notes in BENCHMARKS.md count the shared calls of each kind at 10 and 50 stacks.
pub const ROUND_WINDOW: Duration = Duration::from_millis(20);

/// Milliseconds a round stays open, instead of [`ROUND_WINDOW`] (tests that count shared calls
/// widen it, so that a loaded machine's slow ReadResource arrivals still meet).
pub const WINDOW_ENV: &str = "WORDPRESS_HA_SHARED_READ_WINDOW_MS";

/// What a shared call answered (`None`: it failed, each read asks for itself).
type Answer = Option<Arc<dyn Any + Send + Sync>>;

/// An open round: the filter values gathered so far and the one call they will share.
struct Round {
    values: Arc<Mutex<BTreeSet<String>>>,
    answer: Shared<BoxFuture<'static, Answer>>,
}

/// One kind of look-up: the type it answers with and the filter its values go into.
type Kind = (TypeId, &'static str);

struct Inner {
    window: Duration,
    rounds: Mutex<HashMap<Kind, Round>>,
}

/// The process's rounds, shared by every read (cheap to clone).
#[derive(Clone)]
pub struct Coalescer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalescer")
            .field("window", &self.inner.window)
            .finish()
    }
}

impl Default for Coalescer {
    fn default() -> Coalescer {
        Coalescer::with_window(ROUND_WINDOW)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Coalescer {
    pub fn with_window(window: Duration) -> Coalescer {
        Coalescer {
            inner: Arc::new(Inner {
                window,
                rounds: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The window `WINDOW_ENV` sets, else [`ROUND_WINDOW`].
    pub fn from_env() -> Coalescer {
        let window = std::env::var(WINDOW_ENV)
            .ok()
            .and_then(|ms| ms.parse::<u64>().ok())
            .map_or(ROUND_WINDOW, Duration::from_millis);
        Coalescer::with_window(window)
    }

    /// The answer of the round `values` joined for look-ups answering `R` through
    /// `filter`: `fetch` is called once per round, with every value gathered. `None` when the
    /// shared call failed (the caller then asks alone).
    pub async fn lookup<R, F, Fut>(
        &self,
        filter: &'static str,
        values: &[String],
        fetch: F,
    ) -> Option<Arc<R>>
    where
        R: Any + Send + Sync,
        F: FnOnce(Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Option<R>> + Send + 'static,
    {
        let kind: Kind = (TypeId::of::<R>(), filter);
        let answer = {
            let mut rounds = lock(&self.inner.rounds);
            match rounds.get(&kind) {
                Some(round) => {
                    lock(&round.values).extend(values.iter().cloned());
                    round.answer.clone()
                }
                None => {
                    let round = self.open_round(kind, values, fetch);
                    let answer = round.answer.clone();
                    rounds.insert(kind, round);
                    answer
                }
            }
        };
        answer.await.and_then(|any| any.downcast::<R>().ok())
    }

    fn open_round<R, F, Fut>(&self, kind: Kind, values: &[String], fetch: F) -> Round
    where
        R: Any + Send + Sync,
        F: FnOnce(Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Option<R>> + Send + 'static,
    {
        let gathered = Arc::new(Mutex::new(values.iter().cloned().collect::<BTreeSet<_>>()));
        let inner = self.inner.clone();
        let values = gathered.clone();
        let answer = async move {
            tokio::time::sleep(inner.window).await;
            // Closed under the rounds' lock, which joiners hold while adding: nobody joins
            // after the values are taken.
            lock(&inner.rounds).remove(&kind);
            let values: Vec<String> = std::mem::take(&mut *lock(&values)).into_iter().collect();
            let answer = fetch(values).await?;
            Some(Arc::new(answer) as Arc<dyn Any + Send + Sync>)
        }
        // Its calls are no one read's: logged outside every stack's span.
        .instrument(tracing::debug_span!(parent: None, "shared read", shared = kind.1));
        Round {
            values: gathered,
            answer: answer.boxed().shared(),
        }
    }
}

/// What `fetch` answers for `keys`: alone when the clients have no coalescer (everything but a
/// stack read), else the answer of the round named `round`, with other reads' keys too (the
/// caller picks its own). A failed shared call is followed by this read's own.
pub async fn keyed<R, F, Fut>(
    clients: &Clients,
    round: &'static str,
    keys: &[String],
    fetch: F,
) -> Result<Arc<R>>
where
    R: Any + Send + Sync,
    F: Fn(Clients, Vec<String>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<R>> + Send + 'static,
{
    if let Some(coalescer) = &clients.coalescer {
        let batch = clients.clone();
        let shared_fetch = fetch.clone();
        let shared = coalescer
            .lookup(round, keys, move |all| async move {
                shared_fetch(batch, all)
                    .await
                    .inspect_err(|error| {
                        tracing::debug!(%error, "shared look-up failed; each read asks alone");
                    })
                    .ok()
            })
            .await;
        if let Some(answer) = shared {
            return Ok(answer);
        }
    }
    fetch(clients.clone(), keys.to_vec()).await.map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Ten look-ups started together make one call with every value; each gets all answers.
    #[tokio::test]
    async fn lookups_of_one_round_share_one_call() {
        let coalescer = Coalescer::default();
        let calls = Arc::new(AtomicU32::new(0));
        let lookups = (0..10).map(|i| {
            let coalescer = coalescer.clone();
            let calls = calls.clone();
            async move {
                coalescer
                    .lookup("name", &[format!("v{i}")], move |values| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Some(values)
                    })
                    .await
            }
        });
        let answers = futures::future::join_all(lookups).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        for answer in answers {
            assert_eq!(answer.expect("answered").len(), 10);
        }
    }

    /// A look-up after the round closed opens a new one; a failed call answers nobody.
    #[tokio::test]
    async fn a_late_lookup_opens_a_new_round_and_failures_answer_none() {
        let coalescer = Coalescer::default();
        let first = coalescer
            .lookup(
                "name",
                &["a".to_string()],
                |values| async move { Some(values) },
            )
            .await;
        let second = coalescer
            .lookup("name", &["b".to_string()], |_| async move {
                None::<Vec<String>>
            })
            .await;
        assert_eq!(first.as_deref(), Some(&vec!["a".to_string()]));
        assert!(second.is_none());
    }
}
