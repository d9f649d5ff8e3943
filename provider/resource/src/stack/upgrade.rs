//! Stored states of older schema versions brought to the current one
//! (UpgradeResourceState). The protocol layer has already decoded the stored JSON with the
//! current type (attributes added since are null, removed ones dropped); what remains is what
//! changed meaning.
//!
//! Versions:
//! - 0: `database.password` was optional and computed, holding the generated password too, and
//!   the private state kept the WordPress keys;
//! - 1: `database.password` holds only a configured password (a generated one lives in the
//!   stack's secret alone), `database.password_wo` and `database.password_wo_version` exist,
//!   the private state holds the secret's ARN and version (`private`).

use stack_model::secrets::looks_generated;
use tfplugin::diagnostics::Diagnostic;
use tfplugin::value::Value;

use super::schema::SCHEMA_VERSION;

/// The stored `state` of schema `version` as the current schema has it.
pub fn upgrade(version: i64, mut state: Value) -> Result<Value, Diagnostic> {
    if version > SCHEMA_VERSION {
        return Err(Diagnostic::error(
            "State written by a newer provider",
            format!(
                "This state has schema version {version}; this provider knows up to \
{SCHEMA_VERSION}. Upgrade the provider."
            ),
        ));
    }
    if version < 1 && !state.is_null() {
        forget_generated_password(&mut state);
    }
    Ok(state)
}

/// Version 0 kept the generated password in `database.password`. UpgradeResourceState has no
/// configuration to tell it from a configured one, so its shape decides: a generated password
/// is dropped (the stack's secret keeps it, and apply reads it from there); a configured one
/// stays, so the next plan compares it with the configuration as before. A configured password
/// that happens to have the generator's exact shape shows as one in-place update, which sets
/// the same password again.
fn forget_generated_password(state: &mut Value) {
    let database = state.attr("database").clone();
    let generated = database
        .attr("password")
        .as_str()
        .is_some_and(looks_generated);
    if generated {
        let mut database = database;
        database.set_attr("password", Value::Null);
        state.set_attr("database", database);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stack_model::secrets::generate_db_password;

    fn state(password: &str) -> Value {
        Value::object_of([
            ("name", Value::from("blog")),
            (
                "database",
                Value::object_of([("password", Value::from(password))]),
            ),
        ])
    }

    #[test]
    fn version_0_drops_a_generated_password_and_keeps_a_configured_one() {
        let generated = generate_db_password();
        let upgraded = upgrade(0, state(generated.expose())).expect("upgrades");
        assert!(upgraded.attr("database").attr("password").is_null());
        let typed = upgrade(0, state("Corr3ct-Horse")).expect("upgrades");
        assert_eq!(
            typed.attr("database").attr("password"),
            &Value::from("Corr3ct-Horse")
        );
    }

    #[test]
    fn the_current_version_is_left_alone_and_a_newer_one_refused() {
        let generated = generate_db_password();
        let current = state(generated.expose());
        assert_eq!(
            upgrade(SCHEMA_VERSION, current.clone()),
            Ok(current.clone())
        );
        assert!(upgrade(SCHEMA_VERSION + 1, current).is_err());
    }
}
