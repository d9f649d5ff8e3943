//! The resource's private state: which secret holds the stack's database password and
//! WordPress keys, and which version of it the instances read. Never a secret value: Terraform
//! writes private state into the state file (base64 JSON), so a value here would be a value on
//! disk.
//!
//! States written before the schema's version 1 also carried the WordPress keys here; they are
//! read past (the keys are read back from the secret) and the next write drops them.

use serde::{Deserialize, Serialize};
use stack_model::state::{logical, StackSecrets, StackState};

/// What the private state holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateState {
    /// ARN of the stack's Secrets Manager secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_arn: Option<String>,
    /// The secret's `VersionId` the launch template names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_version: Option<String>,
}

impl PrivateState {
    /// What a stack's state puts in the private state.
    pub fn of(state: &StackState) -> PrivateState {
        PrivateState {
            secret_arn: state.resource(logical::APP_SECRET).map(str::to_string),
            secret_version: state.secrets.secret_version.clone(),
        }
    }

    /// Reads the private bytes Terraform kept; unreadable or empty bytes mean nothing known
    /// (the secret's version is then read back from AWS).
    pub fn parse(private: &[u8]) -> PrivateState {
        if private.is_empty() {
            return PrivateState::default();
        }
        serde_json::from_slice(private).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "private state unreadable; the secret's version will be read from AWS");
            PrivateState::default()
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The core's view: the version only; the keys live in the secret alone.
    pub fn secrets(&self) -> StackSecrets {
        StackSecrets {
            secret_version: self.secret_version.clone(),
            ..StackSecrets::default()
        }
    }
}

/// The private bytes Terraform kept, rewritten in the current format: what every response
/// passes on, so the keys an older version stored there are gone from the first plan or
/// read after an upgrade, refresh or not. Empty stays empty.
pub fn normalized(private: &[u8]) -> Vec<u8> {
    if private.is_empty() {
        return Vec::new();
    }
    PrivateState::parse(private).to_bytes()
}

/// The private bytes of a stack's state.
pub fn private_bytes(state: &StackState) -> Vec<u8> {
    PrivateState::of(state).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use stack_model::spec::{Secret, StackSpec};

    #[test]
    fn holds_the_secret_arn_and_version_and_never_a_key() {
        let mut state = StackState::new(StackSpec::with_name("blog"));
        state.resources.insert(
            logical::APP_SECRET.into(),
            "arn:aws:secretsmanager:r:1:secret:blog".into(),
        );
        state.secrets.secret_version = Some("v-1".into());
        state
            .secrets
            .wordpress_keys
            .insert("AUTH_KEY".into(), Secret::new("k3y-value"));
        state.spec.database.password = Some(Secret::new("pa55-value"));
        let bytes = private_bytes(&state);
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(
            !text.contains("k3y-value") && !text.contains("pa55-value"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "secret_arn": "arn:aws:secretsmanager:r:1:secret:blog",
                "secret_version": "v-1"
            })
        );
    }

    #[test]
    fn reads_past_the_keys_of_a_version_0_private_state() {
        let old = br#"{"wordpress_keys":{"AUTH_KEY":"old-key"},"secret_version":"v-0"}"#;
        let parsed = PrivateState::parse(old);
        assert_eq!(parsed.secret_version.as_deref(), Some("v-0"));
        assert!(parsed.secrets().wordpress_keys.is_empty());
        assert_eq!(PrivateState::parse(b"not json"), PrivateState::default());
        let rewritten = normalized(old);
        assert_eq!(rewritten, br#"{"secret_version":"v-0"}"#.to_vec());
        assert!(normalized(b"").is_empty());
    }
}
