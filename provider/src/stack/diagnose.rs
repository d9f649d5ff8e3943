//! Core errors → Terraform diagnostics: the one place where a `SpecError` or `StackError`
//! becomes something a user reads, with the attribute path when there is one.

use stack_core::error::{FieldPath, PathStep, SpecError, StackError};

use crate::diagnostics::{AttributePath, Diagnostic};

/// Core field path → Terraform attribute path.
pub fn attribute_path(path: &FieldPath) -> AttributePath {
    let mut out = AttributePath::root();
    for step in &path.0 {
        out = match step {
            PathStep::Attribute(name) => out.attr(name),
            PathStep::Index(i) => out.index(*i as i64),
            PathStep::Key(k) => out.key(k),
        };
    }
    out
}

pub fn spec_diagnostic(error: SpecError) -> Diagnostic {
    Diagnostic::error(error.summary, error.detail).with_path(attribute_path(&error.path))
}

pub fn stack_diagnostic(error: &StackError) -> Diagnostic {
    match error {
        StackError::InvalidSpec(errors) => {
            // Several attribute errors: the first carries the path, the rest the detail.
            let mut iter = errors.iter().cloned();
            match iter.next() {
                Some(first) => spec_diagnostic(first),
                None => Diagnostic::error("Invalid configuration", error.to_string()),
            }
        }
        StackError::AlreadyExists { .. } => {
            Diagnostic::error("Stack already exists", error.to_string())
        }
        StackError::Cancelled { .. } => Diagnostic::error(
            "Operation cancelled",
            format!(
                "{error}. Everything created so far is kept in the state; apply again to resume."
            ),
        ),
        StackError::WaitTimeout { .. } => Diagnostic::error(
            "Timed out",
            format!("{error}. Raise the matching `timeouts` value, or apply again to resume."),
        ),
        StackError::Config(_) => Diagnostic::error("Invalid AWS configuration", error.to_string()),
        _ => Diagnostic::error("AWS operation failed", error.to_string()),
    }
}
