//! The resource identity of `wordpress_ha_stack` (Terraform 1.12+, OpenTofu 1.12+):
//! `{ name, region, account_id }`, which names one stack for ever (a stack's name is unique
//! per region and account). Region and account are read from the ARN of the stack's secret,
//! the one object every complete stack owns that carries both.

use std::collections::BTreeMap;

use stack_model::state::logical;
use tfplugin::diagnostics::{AttributePath, Diagnostic};
use tfplugin::resource_identity::{IdentityAttribute, IdentitySchema};
use tfplugin::value::{Type, Value};

use super::schema::TYPE_NAME;

pub fn schemas() -> BTreeMap<String, IdentitySchema> {
    BTreeMap::from([(
        TYPE_NAME.to_string(),
        IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute::required("name", Type::String, "The stack's name."),
                IdentityAttribute::optional(
                    "region",
                    Type::String,
                    "AWS region of the stack. Default on import: the provider's region.",
                ),
                IdentityAttribute::optional(
                    "account_id",
                    Type::String,
                    "AWS account of the stack. Default on import: the provider's account.",
                ),
            ],
        },
    )])
}

/// `(region, account)` of an ARN such as `arn:aws:secretsmanager:us-east-1:123456789012:…`.
fn region_and_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    let (_arn, _partition, _service) = (parts.next()?, parts.next()?, parts.next()?);
    let (region, account) = (parts.next()?, parts.next()?);
    (!region.is_empty() && !account.is_empty()).then_some((region, account))
}

/// The identity of a stack's state value; `None` while it owns no secret yet (a create that
/// failed early), as an identity must be wholly known.
pub fn of_state(state: &Value) -> Option<Value> {
    let name = state.attr("name").as_str()?;
    let arn = state.attr("resources").attr(logical::APP_SECRET).as_str()?;
    let (region, account) = region_and_account(arn)?;
    Some(Value::object_of([
        ("name", Value::from(name)),
        ("region", Value::from(region)),
        ("account_id", Value::from(account)),
    ]))
}

/// The stack name an identity imports, with what the import must check afterwards.
pub struct ImportTarget {
    pub name: String,
    pub region: Option<String>,
    pub account_id: Option<String>,
}

pub fn import_target(identity: &Value) -> Result<ImportTarget, Diagnostic> {
    let name = identity.attr("name").as_str().filter(|n| !n.is_empty());
    let Some(name) = name else {
        return Err(Diagnostic::error(
            "Missing stack name",
            "Importing a wordpress_ha_stack by identity needs its `name`.",
        )
        .with_path(AttributePath::attribute("name")));
    };
    let text = |key: &str| identity.attr(key).as_str().map(str::to_string);
    Ok(ImportTarget {
        name: name.to_string(),
        region: text("region"),
        account_id: text("account_id"),
    })
}

/// An error when the imported stack is not in the region or account the identity named (the
/// provider imports from its own region and account only).
pub fn check_imported(target: &ImportTarget, imported: Option<&Value>) -> Result<(), Diagnostic> {
    let found = |key: &str| {
        imported
            .and_then(|i| i.attr(key).as_str())
            .map(str::to_string)
    };
    for (key, wanted) in [
        ("region", &target.region),
        ("account_id", &target.account_id),
    ] {
        if let Some(wanted) = wanted {
            if found(key).as_deref() != Some(wanted.as_str()) {
                return Err(Diagnostic::error(
                    "Stack not in the identity's region or account",
                    format!(
                        "The identity names {key} {wanted:?}, but this provider configuration \
reaches {}. Import with a provider configured for that {key}.",
                        found(key).map_or("another".to_string(), |f| format!("{f:?}"))
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(arn: &str) -> Value {
        Value::object_of([
            ("name", Value::from("blog")),
            ("resources", Value::map([(logical::APP_SECRET, arn)])),
        ])
    }

    #[test]
    fn the_identity_comes_from_the_secret_arn() {
        let identity = of_state(&state(
            "arn:aws:secretsmanager:eu-west-3:123456789012:secret:blog/wordpress-AbCdEf",
        ))
        .expect("an identity");
        assert_eq!(identity.attr("region"), &Value::from("eu-west-3"));
        assert_eq!(identity.attr("account_id"), &Value::from("123456789012"));
        assert_eq!(identity.attr("name"), &Value::from("blog"));
        assert!(of_state(&state("not-an-arn")).is_none());
    }

    #[test]
    fn an_import_outside_the_providers_region_is_refused() {
        let target = import_target(&Value::object_of([
            ("name", Value::from("blog")),
            ("region", Value::from("us-west-2")),
        ]))
        .expect("a target");
        let imported = Value::object_of([
            ("name", Value::from("blog")),
            ("region", Value::from("us-east-1")),
            ("account_id", Value::from("1")),
        ]);
        assert!(check_imported(&target, Some(&imported)).is_err());
        let here = import_target(&imported).expect("a target");
        assert!(check_imported(&here, Some(&imported)).is_ok());
        assert!(import_target(&Value::object_of([("name", Value::Null)])).is_err());
    }
}
