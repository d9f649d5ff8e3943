//! Core errors → Terraform diagnostics: the one place where a `SpecError` or `StackError`
//! becomes something a user reads, with the attribute path when there is one.

use stack_model::error::{FieldPath, PathStep, SpecError, StackError};
use stack_model::settings::AccessError;
use tfplugin::diagnostics::{AttributePath, Diagnostic};

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

/// The same finding as a warning on its attribute: the plan goes on.
pub fn spec_warning(finding: SpecError) -> Diagnostic {
    Diagnostic::warning(finding.summary, finding.detail).with_path(attribute_path(&finding.path))
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

/// A provider setting that cannot work, found when the provider is configured. The diagnostic
/// points at the provider block's attribute when the setting came from it, else at the block.
pub fn access_diagnostic(error: &AccessError) -> Diagnostic {
    match error {
        AccessError::ProfileNotFound { profile, known } => {
            let found = if known.is_empty() {
                "The files define no profile at all.".to_string()
            } else {
                format!("Profiles found: {}.", known.join(", "))
            };
            Diagnostic::error(
                format!("AWS profile {profile:?} not found"),
                format!(
                    "No profile named {profile:?} in the shared config file (AWS_CONFIG_FILE, default ~/.aws/config) \
or credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials). {found} \
Fix the name, add the profile (`aws configure --profile {profile}`), or remove `profile` to use the default chain."
                ),
            )
            .with_path(AttributePath::root().attr("profile"))
        }
        AccessError::NoCredentials { cause } => Diagnostic::error(
            "No AWS credentials found",
            format!(
                "The provider reads credentials as the AWS CLI does, and found none ({cause}). Provide them \
one of these ways: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary \
credentials); name a profile of ~/.aws/credentials or ~/.aws/config with `profile` or AWS_PROFILE; run \
`aws sso login` for an SSO profile; or run where an instance or container role is available."
            ),
        ),
        AccessError::CredentialsRejected { code, message } => Diagnostic::error(
            "AWS rejected the credentials",
            format!(
                "{code}: {message}. Check the access key, secret and session token the provider found \
(environment, `profile` or AWS_PROFILE), and refresh them if they have expired."
            ),
        ),
        AccessError::Unreachable {
            endpoint,
            from_settings,
            cause,
        } => {
            let source = if *from_settings {
                "Fix endpoint_url or remove it to use AWS's own endpoints"
            } else {
                "Check AWS_ENDPOINT_URL (or unset it to use AWS's own endpoints) and the network"
            };
            let diagnostic = Diagnostic::error(
                "Cannot reach the AWS endpoint",
                format!(
                    "The endpoint {endpoint} cannot be reached: {cause}. {source}; for a local emulator, \
start it first and give its address, such as \"http://127.0.0.1:5000\"."
                ),
            );
            if *from_settings {
                diagnostic.with_path(AttributePath::root().attr("endpoint_url"))
            } else {
                diagnostic
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_endpoint_of_the_block_points_at_endpoint_url() {
        let diagnostic = access_diagnostic(&AccessError::Unreachable {
            endpoint: "http://127.0.0.1:9".into(),
            from_settings: true,
            cause: "connection refused".into(),
        });
        assert_eq!(
            diagnostic.path,
            Some(AttributePath::root().attr("endpoint_url"))
        );
        assert!(diagnostic.detail.contains("cannot be reached"));
        assert!(diagnostic.detail.contains("http://127.0.0.1:9"));
    }

    #[test]
    fn missing_credentials_say_how_to_provide_them() {
        let diagnostic = access_diagnostic(&AccessError::NoCredentials {
            cause: "no providers in chain provided credentials".into(),
        });
        assert_eq!(diagnostic.path, None);
        assert!(diagnostic.detail.contains("AWS_ACCESS_KEY_ID"));
        assert!(diagnostic.detail.contains("profile"));
    }

    #[test]
    fn a_missing_profile_points_at_profile_and_lists_the_known_ones() {
        let diagnostic = access_diagnostic(&AccessError::ProfileNotFound {
            profile: "prod".into(),
            known: vec!["default".into(), "dev".into()],
        });
        assert_eq!(diagnostic.path, Some(AttributePath::root().attr("profile")));
        assert!(diagnostic.detail.contains("default, dev"));
    }
}
