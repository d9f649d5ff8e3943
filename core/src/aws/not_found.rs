//! Treating "it does not exist" as an answer, not a failure: reads return `None`, deletes of
//! what is already gone succeed. Which codes mean not-found is `aws::is_not_found`'s call.

use crate::aws::is_not_found;
use crate::error::{Result, StackError};

/// `Ok(None)` for a not-found error, the error otherwise.
pub fn none_if_not_found<T>(error: StackError) -> Result<Option<T>> {
    ok_if_not_found(error).map(|()| None)
}

/// `Ok(())` for a not-found error (deleting what is gone), the error otherwise.
pub fn ok_if_not_found(error: StackError) -> Result<()> {
    if is_not_found(&error) {
        Ok(())
    } else {
        Err(error)
    }
}
