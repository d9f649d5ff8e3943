//! `database.password_wo`: a master password sent in configuration only, never in a plan or
//! the state (write-only attributes, Terraform 1.11+ and OpenTofu 1.11+), applied when it is
//! first given and again whenever `database.password_wo_version` changes.
//!
//! A client that does not announce `write_only_attributes_allowed` would store it like any
//! attribute, so its configurations are refused on the attribute, naming what to use instead.

use stack_model::secrets::{is_valid_db_password, DB_PASSWORD_MAX_LEN, DB_PASSWORD_MIN_LEN};
use stack_model::spec::Secret;
use tfplugin::diagnostics::{AttributePath, Diagnostic};
use tfplugin::service::ClientCapabilities;
use tfplugin::value::Value;

pub const PASSWORD_WO: &str = "password_wo";
pub const PASSWORD_WO_VERSION: &str = "password_wo_version";

fn path(attribute: &str) -> AttributePath {
    AttributePath::attribute("database").attr(attribute)
}

/// The problems of `database.password_wo` in a configuration, for this client.
pub fn check(config: &Value, client: ClientCapabilities) -> Vec<Diagnostic> {
    let database = config.attr("database");
    let given = database.attr(PASSWORD_WO);
    if given.is_null() {
        return Vec::new();
    }
    if !client.write_only_attributes_allowed {
        return vec![Diagnostic::error(
            "Write-only password not supported by this Terraform version",
            "`database.password_wo` is write-only: Terraform 1.11 and later and OpenTofu 1.11 \
and later keep it out of plans and the state. This Terraform (or OpenTofu) does not announce \
write-only attributes, so it would store the value in its state like any other. Use \
`database.password` instead (Terraform stores it in the state, marked sensitive), or set \
neither: the stack then generates a password kept only in its Secrets Manager secret, never in \
the state. Or upgrade to Terraform 1.11 or OpenTofu 1.11.",
        )
        .with_path(path(PASSWORD_WO))];
    }
    let mut problems = Vec::new();
    if !database.attr("password").is_null() {
        problems.push(
            Diagnostic::error(
                "Conflicting passwords",
                "Set either `database.password` or `database.password_wo`, not both.",
            )
            .with_path(path(PASSWORD_WO)),
        );
    }
    // Never echo the value: it would reach Terraform's output.
    if let Some(text) = given.as_str() {
        if !is_valid_db_password(text) {
            problems.push(
                Diagnostic::error(
                    "password does not meet RDS's rules",
                    format!(
                        "The master password must be {DB_PASSWORD_MIN_LEN}-{DB_PASSWORD_MAX_LEN} \
printable ASCII characters, none of `/`, `\"`, `@` or space."
                    ),
                )
                .with_path(path(PASSWORD_WO)),
            );
        }
    }
    problems
}

/// The write-only password to set now: on create, or when `password_wo_version` differs from
/// the prior state's; `None` otherwise (the stack keeps its password).
pub fn password_to_set(config: &Value, prior: &Value) -> Option<Secret> {
    let database = config.attr("database");
    let password = database.attr(PASSWORD_WO).as_str()?;
    let version_changed = prior.is_null()
        || prior.attr("database").attr(PASSWORD_WO_VERSION) != database.attr(PASSWORD_WO_VERSION);
    version_changed.then(|| Secret::new(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(password: Value, version: Value) -> Value {
        Value::object_of([(
            "database",
            Value::object_of([
                ("password", Value::Null),
                (PASSWORD_WO, password),
                (PASSWORD_WO_VERSION, version),
            ]),
        )])
    }

    const WITH: ClientCapabilities = ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    };

    #[test]
    fn a_client_without_write_only_support_is_told_what_to_use_instead() {
        let cfg = config(Value::from("Wr1te-0nly-pass"), Value::from(1i64));
        let problems = check(&cfg, ClientCapabilities::default());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].detail.contains("`database.password`"));
        assert!(!problems[0].detail.contains("Wr1te-0nly-pass"));
        assert_eq!(problems[0].path, Some(path(PASSWORD_WO)));
        assert!(check(&cfg, WITH).is_empty());
        assert!(check(
            &config(Value::Null, Value::Null),
            ClientCapabilities::default()
        )
        .is_empty());
    }

    #[test]
    fn a_bad_write_only_password_is_refused_without_echoing_it() {
        let problems = check(&config(Value::from("bad/pass word"), Value::Null), WITH);
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].detail.contains("bad/pass"));
    }

    #[test]
    fn the_password_is_set_on_create_and_when_its_version_changes() {
        let v1 = config(Value::from("Wr1te-0nly-pass"), Value::from(1i64));
        let v2 = config(Value::from("Wr1te-0nly-pass2"), Value::from(2i64));
        assert!(password_to_set(&v1, &Value::Null).is_some());
        assert!(password_to_set(&v1, &v1).is_none());
        assert_eq!(
            password_to_set(&v2, &v1).map(|s| s.expose().to_string()),
            Some("Wr1te-0nly-pass2".into())
        );
    }
}
