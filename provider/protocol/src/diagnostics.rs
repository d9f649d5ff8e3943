//! Diagnostics: how the provider reports errors and warnings to Terraform. A diagnostic with
//! an [`AttributePath`] makes Terraform print the offending configuration line.
//!
//! ```
//! use tfplugin::diagnostics::{AttributePath, Diagnostic};
//! let diagnostic = Diagnostic::error("Invalid CIDR", "Use a block such as 10.0.0.0/16.")
//!     .with_path(AttributePath::attribute("network").attr("cidr"));
//! assert!(Diagnostic::has_errors(&[diagnostic]));
//! ```

use std::fmt;

use crate::proto::tfplugin6 as pb;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// An object attribute (or nested block) by name.
    Attribute(String),
    /// A map element by key.
    ElementKeyString(String),
    /// A list or tuple element by index.
    ElementKeyInt(i64),
}

/// A path into a resource's configuration, e.g. `network.availability_zones[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path: the whole value.
    pub fn root() -> AttributePath {
        AttributePath(Vec::new())
    }

    /// A path starting at a top-level attribute.
    pub fn attribute(name: impl Into<String>) -> AttributePath {
        AttributePath::root().attr(name)
    }

    pub fn attr(mut self, name: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::Attribute(name.into()));
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::ElementKeyString(key.into()));
        self
    }

    pub fn index(mut self, index: i64) -> AttributePath {
        self.0.push(PathStep::ElementKeyInt(index));
        self
    }

    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        let steps = self
            .0
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect();
        pb::AttributePath { steps }
    }

    /// Reads a path Terraform sent; steps without a selector are skipped.
    pub fn from_proto(path: &pb::AttributePath) -> AttributePath {
        use pb::attribute_path::step::Selector;
        let steps = path
            .steps
            .iter()
            .filter_map(|step| step.selector.as_ref())
            .map(|selector| match selector {
                Selector::AttributeName(name) => PathStep::Attribute(name.clone()),
                Selector::ElementKeyString(key) => PathStep::ElementKeyString(key.clone()),
                Selector::ElementKeyInt(index) => PathStep::ElementKeyInt(*index),
            })
            .collect();
        AttributePath(steps)
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if position == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One line: what went wrong.
    pub summary: String,
    /// What to do about it.
    pub detail: String,
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    pub fn with_path(mut self, path: AttributePath) -> Diagnostic {
        self.path = Some(path);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// True when any diagnostic is an error (Terraform then stops the operation).
    pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
        diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn to_proto(&self) -> pb::Diagnostic {
        let severity = match self.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        };
        pb::Diagnostic {
            severity: severity as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.path.as_ref().map(AttributePath::to_proto),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}", self.summary)?;
        if let Some(path) = self.path.as_ref().filter(|path| !path.0.is_empty()) {
            write!(f, " (at {path})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// Converts a list of diagnostics for a response.
pub fn to_proto_list(diagnostics: &[Diagnostic]) -> Vec<pb::Diagnostic> {
    diagnostics.iter().map(Diagnostic::to_proto).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::attribute_path::step::Selector;

    #[test]
    fn path_converts_every_step_kind() {
        let path = AttributePath::attribute("tags")
            .key("env")
            .attr("x")
            .index(2);
        let proto = path.to_proto();
        let selectors: Vec<_> = proto
            .steps
            .iter()
            .filter_map(|s| s.selector.clone())
            .collect();
        assert_eq!(
            selectors,
            vec![
                Selector::AttributeName("tags".into()),
                Selector::ElementKeyString("env".into()),
                Selector::AttributeName("x".into()),
                Selector::ElementKeyInt(2),
            ]
        );
        assert_eq!(AttributePath::from_proto(&proto), path);
        assert_eq!(path.to_string(), r#"tags["env"].x[2]"#);
    }

    #[test]
    fn severity_and_path_reach_the_proto() {
        let warning = Diagnostic::warning("w", "d").to_proto();
        assert_eq!(warning.severity, pb::diagnostic::Severity::Warning as i32);
        assert!(warning.attribute.is_none());
        let error = Diagnostic::error("e", "d")
            .with_path(AttributePath::attribute("name"))
            .to_proto();
        assert_eq!(error.severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(error.attribute.map(|a| a.steps.len()), Some(1));
    }

    #[test]
    fn has_errors_ignores_warnings() {
        assert!(!Diagnostic::has_errors(&[Diagnostic::warning("w", "")]));
        assert!(Diagnostic::has_errors(&[
            Diagnostic::warning("w", ""),
            Diagnostic::error("e", "")
        ]));
    }
}
