//! Deletes that AWS refuses while dependents drain: every tier that deletes EC2 objects
//! retries them here.

use super::context::StepContext;
use crate::error::{Result, StackError};
use crate::wait;

fn is_dependency_violation(error: &StackError) -> bool {
    matches!(
        error.aws_code(),
        Some("DependencyViolation" | "InvalidIPAddress.InUse")
    )
}

/// Delete with retries while AWS still sees dependents (ENIs draining after ALB/NAT/EFS).
pub(crate) async fn retry_dependency<F, Fut>(
    ctx: &StepContext,
    what: &str,
    attempt: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    wait::retrying(ctx.bounds(), what, is_dependency_violation, attempt).await
}
