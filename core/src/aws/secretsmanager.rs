//! Secrets Manager: the one secret a stack keeps its database password and WordPress keys in.
//!
//! Values cross this module only as `Secret`, whose `Debug` hides them, and they are never put
//! in an error: a failed call names the secret, not its content.

use std::collections::BTreeMap;

use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{Clients, SendFor};
use crate::error::{Result, StackError};
use crate::spec::Secret;

const NOT_FOUND: &str = "ResourceNotFoundException";

/// What DescribeSecret says about a secret (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    pub arn: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// Set while a deletion with a recovery window is pending: the name is still taken.
    pub scheduled_for_deletion: bool,
}

fn is_missing(error: &StackError) -> bool {
    error.aws_code() == Some(NOT_FOUND)
}

/// AWS deletes a secret asynchronously, even without a recovery window: for a few seconds its
/// name is still taken ("already scheduled for deletion") and it cannot be restored either
/// ("marked for deletion").
pub fn is_name_still_held(error: &StackError) -> bool {
    let message = error.to_string();
    error.aws_code() == Some("InvalidRequestException")
        && (message.contains("scheduled for deletion") || message.contains("marked for deletion"))
}

/// The secret named (or with the ARN) `id`, or `None` when there is none.
pub async fn describe(clients: &Clients, id: &str) -> Result<Option<SecretInfo>> {
    let result = clients
        .secretsmanager
        .describe_secret()
        .secret_id(id)
        .send()
        .for_object(id)
        .await;
    match result {
        Ok(output) => Ok(Some(SecretInfo {
            arn: output.arn().unwrap_or_default().to_string(),
            name: output.name().unwrap_or_default().to_string(),
            tags: tag_map(output.tags()),
            scheduled_for_deletion: output.deleted_date().is_some(),
        })),
        Err(error) => {
            if is_missing(&error) {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// A version of a secret the stack wrote, as the write's answer names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenVersion {
    pub arn: String,
    /// The new version's id: what readers must ask for. A read made right after the write
    /// may still report the previous version as current, so this is never read back.
    pub version_id: String,
}

/// Create the secret holding `value`; returns its ARN and first version. `client_token`
/// (32–64 characters) makes a retried create return the same version instead of failing.
pub async fn create(
    clients: &Clients,
    name: &str,
    description: &str,
    value: &Secret,
    tags: &BTreeMap<String, String>,
    client_token: &str,
) -> Result<WrittenVersion> {
    let output = clients
        .secretsmanager
        .create_secret()
        .name(name)
        .description(description)
        .secret_string(value.expose())
        .set_tags(Some(sdk_tags(tags)?))
        .client_request_token(client_token)
        .send()
        .for_object(name)
        .await?;
    written(name, "CreateSecret", output.arn(), output.version_id())
}

fn written(
    id: &str,
    operation: &str,
    arn: Option<&str>,
    version_id: Option<&str>,
) -> Result<WrittenVersion> {
    match (arn, version_id) {
        (Some(arn), Some(version_id)) => Ok(WrittenVersion {
            arn: arn.to_string(),
            version_id: version_id.to_string(),
        }),
        _ => Err(StackError::Internal(format!(
            "{operation} {id} returned no ARN or no VersionId"
        ))),
    }
}

/// One version of a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretValue {
    pub secret: Secret,
    pub version_id: String,
}

/// The current value of the secret, or `None` when the secret or its value does not exist.
pub async fn value(clients: &Clients, id: &str) -> Result<Option<SecretValue>> {
    let result = clients
        .secretsmanager
        .get_secret_value()
        .secret_id(id)
        .send()
        .for_object(id)
        .await;
    match result {
        Ok(output) => Ok(output.secret_string().map(|secret| SecretValue {
            secret: Secret::new(secret),
            version_id: output.version_id().unwrap_or_default().to_string(),
        })),
        Err(error) => {
            if is_missing(&error) {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// Whether AWS refused a call because the secret awaits deletion ("marked for deletion" on
/// AWS, "currently marked deleted" on an emulating endpoint).
pub fn is_marked_deleted(error: &StackError) -> bool {
    let message = error.to_string();
    error.aws_code() == Some("InvalidRequestException")
        && (message.contains("marked for deletion") || message.contains("marked deleted"))
}

/// The current value of a live secret: `None` also when it awaits deletion. What a refresh
/// that knows the secret's ARN needs, in one call (the ARN names one secret for ever, so
/// neither its tags nor its name need a DescribeSecret).
pub async fn live_value(clients: &Clients, arn: &str) -> Result<Option<SecretValue>> {
    match value(clients, arn).await {
        Err(error) if is_marked_deleted(&error) => Ok(None),
        other => other,
    }
}

/// Make `value` the secret's current version; returns the new version.
pub async fn put_value(clients: &Clients, id: &str, value: &Secret) -> Result<WrittenVersion> {
    let output = clients
        .secretsmanager
        .put_secret_value()
        .secret_id(id)
        .secret_string(value.expose())
        .send()
        .for_object(id)
        .await?;
    written(id, "PutSecretValue", output.arn(), output.version_id())
}

/// Cancel a pending deletion so the secret can be used again.
pub async fn restore(clients: &Clients, id: &str) -> Result<()> {
    clients
        .secretsmanager
        .restore_secret()
        .secret_id(id)
        .send()
        .for_object(id)
        .await?;
    Ok(())
}

/// Add or overwrite `set`, remove `remove`.
pub async fn retag(
    clients: &Clients,
    id: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    let secretsmanager = &clients.secretsmanager;
    retag_with(
        set,
        remove,
        |tags| {
            secretsmanager
                .tag_resource()
                .secret_id(id)
                .set_tags(Some(tags))
                .send()
                .for_object(id)
        },
        |keys| {
            secretsmanager
                .untag_resource()
                .secret_id(id)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(id)
        },
    )
    .await
}

/// Delete the secret at once, without a recovery window, so the stack can be created again
/// under the same name. Already gone is success.
pub async fn delete_now(clients: &Clients, id: &str) -> Result<()> {
    let result = clients
        .secretsmanager
        .delete_secret()
        .secret_id(id)
        .force_delete_without_recovery(true)
        .send()
        .for_object(id)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            if is_missing(&error) {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, message: &str) -> StackError {
        StackError::Aws {
            service: "SecretsManager",
            operation: "CreateSecret",
            resource: "blog/wordpress".into(),
            code: Some(code.into()),
            message: message.into(),
        }
    }

    #[test]
    fn only_a_name_held_by_a_deletion_is_worth_waiting_for() {
        assert!(is_name_still_held(&error(
            "InvalidRequestException",
            "You can't create this secret because a secret with this name is already scheduled for deletion."
        )));
        assert!(is_name_still_held(&error(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion."
        )));
        assert!(!is_name_still_held(&error(
            "InvalidRequestException",
            "You provided a ClientRequestToken that was already used"
        )));
        assert!(!is_name_still_held(&error(
            "ResourceExistsException",
            "the secret blog/wordpress already exists"
        )));
        assert!(!is_name_still_held(&error(
            "InvalidParameterException",
            "scheduled for deletion"
        )));
    }
}
