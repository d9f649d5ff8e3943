//! Treating "it does not exist" as an answer, not a failure: reads return `None`, deletes of
//! what is already gone succeed, and a wait for a deletion ends when the object is no longer
//! listed. Which codes mean not-found is `aws::is_not_found`'s call.

use std::future::Future;

use crate::aws::is_not_found;
use crate::error::{Result, StackError};
use crate::wait::{self, Bounds, Poll};

/// `Ok(None)` for a not-found error, the error otherwise.
pub fn none_if_not_found<T>(error: StackError) -> Result<Option<T>> {
    ok_if_not_found(error).map(|()| None)
}

/// No objects for a not-found error of a call that asked for `asked` = one object. A call that
/// asked for several fails instead: one missing object must not hide the others (a shared
/// look-up's readers then each ask alone, see `crate::aws::coalesce`).
pub fn empty_if_one_not_found<T>(asked: usize, error: StackError) -> Result<Vec<T>> {
    if asked == 1 && is_not_found(&error) {
        Ok(Vec::new())
    } else {
        Err(error)
    }
}

/// `Ok(())` for a not-found error (deleting what is gone), the error otherwise.
pub fn ok_if_not_found(error: StackError) -> Result<()> {
    if is_not_found(&error) {
        Ok(())
    } else {
        Err(error)
    }
}

/// Wait until `describe` no longer finds the object. While it is listed, `state` says how it
/// stands, or `None` when the listing already counts as gone (EFS lists `deleted` systems).
pub async fn wait_until_gone<T, Describe, Found>(
    bounds: &Bounds,
    resource: &str,
    mut describe: Describe,
    state: impl Fn(T) -> Option<String>,
) -> Result<()>
where
    Describe: FnMut() -> Found,
    Found: Future<Output = Result<Option<T>>>,
{
    wait::until(bounds, resource, "deleted", || {
        let found = describe();
        let state = &state;
        async move {
            Ok(match found.await?.and_then(state) {
                None => Poll::Ready(()),
                Some(state) => Poll::Pending(state),
            })
        }
    })
    .await
}
