//! Typed errors of the core. Each carries what failed (service, operation, object) so the
//! provider can turn it into one diagnostic a user can act on.

use std::time::Duration;

use crate::state::StackState;

/// One step of a path into the spec, so a validation error can point at its attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Index(usize),
    Key(String),
}

/// A path such as `network.availability_zones[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<PathStep>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    /// `FieldPath::attrs(&["network", "vpc_cidr"])`.
    pub fn attrs(names: &[&str]) -> Self {
        FieldPath(
            names
                .iter()
                .map(|n| PathStep::Attribute(n.to_string()))
                .collect(),
        )
    }
    pub fn attr(mut self, name: &str) -> Self {
        self.0.push(PathStep::Attribute(name.to_string()));
        self
    }
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathStep::Index(index));
        self
    }
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(PathStep::Key(key.to_string()));
        self
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

/// A problem with the user's input, found before any AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub path: FieldPath,
    /// One line: what is wrong.
    pub summary: String,
    /// What to do about it.
    pub detail: String,
}

impl SpecError {
    pub fn new(path: FieldPath, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        SpecError {
            path,
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// An AWS call failed (after the SDK's own retries). The code is shown because AWS's
    /// message often does not say it (a DependencyViolation reads "has a dependent object").
    #[error("AWS {service} {operation} failed for {resource}: {message}{}", code_suffix(.code))]
    Aws {
        service: &'static str,
        operation: &'static str,
        /// The object concerned: an id, or `<kind> <name>` when it has no id yet.
        resource: String,
        /// The AWS error code (`DependencyViolation`, `InvalidVpcID.NotFound`, …) when known.
        code: Option<String>,
        message: String,
    },
    #[error("timed out after {after:?} waiting for {resource} to become {target}")]
    WaitTimeout {
        resource: String,
        target: String,
        after: Duration,
    },
    #[error("{resource} reached state {state} while waiting for it to become {target}")]
    WaitFailed {
        resource: String,
        target: String,
        state: String,
    },
    /// Something AWS runs on its own (an instance launch, an instance refresh) ended badly.
    /// Boxed: every `Result` of the core carries this error, so it stays small.
    #[error("{0}")]
    ActivityFailed(Box<ActivityFailure>),
    #[error("cancelled while {during}")]
    Cancelled { during: String },
    #[error("the stack's configuration is invalid: {}", .0.iter().map(|e| format!("{}: {}", e.path, e.summary)).collect::<Vec<_>>().join("; "))]
    InvalidSpec(Vec<SpecError>),
    /// The provider's AWS settings cannot work (bad endpoint, no region, no credentials).
    #[error("AWS configuration: {0}")]
    Config(String),
    /// A complete stack of this name exists in AWS but is not in this Terraform state.
    #[error("a stack named {name:?} already exists in this region; import it with `terraform import <address> {name}`")]
    AlreadyExists { name: String },
    #[error("{what}")]
    Refused { what: String },
    #[error("internal error: {0}")]
    Internal(String),
}

/// An AWS activity that ended badly: AWS's own status and reason, and the call that
/// reported them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{activity} of {resource} ended {status}: {message} (AWS {service} {operation})")]
pub struct ActivityFailure {
    pub service: &'static str,
    pub operation: &'static str,
    /// The object the activity ran on (an Auto Scaling group).
    pub resource: String,
    /// What ran: `instance launch`, `instance refresh <id>`.
    pub activity: String,
    /// AWS's status of it: `Failed`, `RollbackSuccessful`, ...
    pub status: String,
    /// AWS's `StatusMessage` or `StatusReason`.
    pub message: String,
}

/// ` (Code)` after an AWS message, when the error had a code.
fn code_suffix(code: &Option<String>) -> String {
    code.as_deref()
        .map(|code| format!(" ({code})"))
        .unwrap_or_default()
}

impl StackError {
    /// The AWS error code, when this is an AWS error that had one.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            StackError::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// AWS says the object does not exist, in any service's spelling of it.
    pub fn is_not_found(&self) -> bool {
        self.aws_code().is_some_and(|code| {
            code.ends_with("NotFound")
                || code.ends_with("NotFoundFault")
                // CloudWatch Logs, Secrets Manager and CloudWatch alarms name it so.
                || code == "ResourceNotFoundException"
                || code == "NoSuchHostedZone"
                || code == "NoSuchEntity"
                || code == "ValidationError" && self.to_string().contains("not found")
        })
    }
}

/// A failed apply or destroy, with everything that exists at the moment of failure so
/// Terraform keeps every id.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct PartialFailure {
    pub state: Box<StackState>,
    #[source]
    pub error: StackError,
}

pub type Result<T, E = StackError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aws_error_names_the_call_the_object_and_the_code() {
        let error = |code: Option<&str>| StackError::Aws {
            service: "ec2",
            operation: "DeleteSecurityGroup",
            resource: "sg-123".into(),
            code: code.map(str::to_string),
            message: "resource sg-123 has a dependent object".into(),
        };
        assert_eq!(
            error(Some("DependencyViolation")).to_string(),
            "AWS ec2 DeleteSecurityGroup failed for sg-123: resource sg-123 has a dependent \
object (DependencyViolation)"
        );
        assert!(error(None).to_string().ends_with("dependent object"));
    }

    #[test]
    fn every_service_s_not_found_reads_as_not_found() {
        let error = |code: &str| StackError::Aws {
            service: "logs",
            operation: "DeleteLogGroup",
            resource: "/wordpress/blog".into(),
            code: Some(code.to_string()),
            message: "The specified log group does not exist.".into(),
        };
        for code in [
            "ResourceNotFoundException",
            "InvalidVpcID.NotFound",
            "DBInstanceNotFoundFault",
            "NoSuchEntity",
        ] {
            assert!(error(code).is_not_found(), "{code}");
        }
        assert!(!error("AccessDeniedException").is_not_found());
    }
}
