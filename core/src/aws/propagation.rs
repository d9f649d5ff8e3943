//! IAM is eventually consistent: for seconds to about two minutes after an instance profile is
//! created (or given its role), EC2 and Auto Scaling refuse launch templates and launches that
//! name it. Calls that name a fresh profile retry exactly those refusals.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Result, StackError};
use crate::wait::{self, Backoff, Bounds};

/// How long IAM may take to make a new instance profile usable everywhere.
pub const PROFILE_PROPAGATION_LIMIT: Duration = Duration::from_secs(120);

/// What AWS says while a profile has not propagated: Auto Scaling's `ValidationError` ("…
/// Invalid IAM Instance Profile ARN …") and EC2's `InvalidParameterValue` ("… Invalid IAM
/// Instance Profile name").
pub fn is_profile_propagation(error: &StackError) -> bool {
    match error {
        StackError::Aws {
            code: Some(code),
            message,
            ..
        } => {
            matches!(code.as_str(), "ValidationError" | "InvalidParameterValue")
                && message
                    .to_ascii_lowercase()
                    .contains("invalid iam instance profile")
        }
        _ => false,
    }
}

/// Run `attempt`, retrying it with backoff while AWS refuses a not-yet-propagated instance
/// profile, for at most [`PROFILE_PROPAGATION_LIMIT`] (or the bounds' deadline, if sooner).
/// A refused call created nothing, so a retry cannot duplicate.
pub async fn retrying_profile_propagation<T, F, Fut>(
    bounds: &Bounds,
    what: &str,
    attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut propagation = bounds.clone();
    propagation.deadline = bounds
        .deadline
        .min(Instant::now() + PROFILE_PROPAGATION_LIMIT);
    propagation.retry = Backoff::CONSISTENCY;
    wait::retrying(&propagation, what, is_profile_propagation, attempt).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str, message: &str) -> StackError {
        StackError::Aws {
            service: "Auto Scaling",
            operation: "CreateAutoScalingGroup",
            resource: "blog-asg".into(),
            code: Some(code.into()),
            message: message.into(),
        }
    }

    #[test]
    fn only_the_profile_refusals_are_retried() {
        assert!(is_profile_propagation(&aws(
            "ValidationError",
            "You must use a valid fully-formed launch template. Invalid IAM Instance Profile ARN: arn:aws:iam::1:instance-profile/x"
        )));
        assert!(is_profile_propagation(&aws(
            "InvalidParameterValue",
            "Value (x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
        )));
        assert!(!is_profile_propagation(&aws(
            "ValidationError",
            "Max bound, 1, must be greater than or equal to min bound, 2"
        )));
        assert!(!is_profile_propagation(&aws(
            "AccessDenied",
            "Invalid IAM Instance Profile"
        )));
    }
}
