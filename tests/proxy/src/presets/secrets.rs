//! Secrets Manager reads that lag a write: for a while after PutSecretValue, DescribeSecret
//! still says the previous version is `AWSCURRENT` and does not list the new one. Whoever
//! needs the new version must take the `VersionId` the write returned, never read it back.
//!
//! The proxy learns each secret's current version from the answers to CreateSecret and
//! PutSecretValue and rewrites DescribeSecret's `VersionIdsToStages` during the window.
//! GetSecretValue is left as moto answers it.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};

use crate::config::{millis, SecretVersionsConfig};
use crate::identify::AwsRequest;

const CURRENT: &str = "AWSCURRENT";

/// What the proxy knows of one secret, by ARN.
#[derive(Debug, Default)]
struct Learned {
    current: Option<String>,
    /// The last write that moved `AWSCURRENT`: the version it took the label from, and when.
    last_move: Option<(String, Instant)>,
}

/// The secrets' versions seen through the proxy.
#[derive(Debug, Default)]
pub struct SecretVersions {
    secrets: HashMap<String, Learned>,
}

impl SecretVersions {
    /// Learn from a successful CreateSecret or PutSecretValue answer.
    pub fn observe(&mut self, request: &AwsRequest, body: &str, now: Instant) {
        if request.call.service != "secretsmanager" {
            return;
        }
        let operation = request.call.operation.as_str();
        if operation != "CreateSecret" && operation != "PutSecretValue" {
            return;
        }
        let Ok(answer) = serde_json::from_str::<Value>(body) else {
            return;
        };
        let (Some(arn), Some(version)) = (answer["ARN"].as_str(), answer["VersionId"].as_str())
        else {
            return;
        };
        // A PutSecretValue naming other stages leaves AWSCURRENT where it was.
        let moves_current = answer["VersionStages"]
            .as_array()
            .is_none_or(|stages| stages.iter().any(|s| s == CURRENT));
        let learned = self.secrets.entry(arn.to_string()).or_default();
        if !moves_current || learned.current.as_deref() == Some(version) {
            return;
        }
        if operation == "PutSecretValue" {
            learned.last_move = learned.current.take().map(|previous| (previous, now));
        }
        learned.current = Some(version.to_string());
    }

    /// DescribeSecret as AWS may answer it right after a write: the previous version current,
    /// the new one not listed yet. `None` leaves moto's answer as it is.
    pub fn rewrite(
        &self,
        request: &AwsRequest,
        body: &str,
        config: &SecretVersionsConfig,
        now: Instant,
    ) -> Option<String> {
        if request.call.service != "secretsmanager" || request.call.operation != "DescribeSecret" {
            return None;
        }
        let mut answer: Value = serde_json::from_str(body).ok()?;
        let learned = self.secrets.get(answer["ARN"].as_str()?)?;
        let (previous, written_at) = learned.last_move.as_ref()?;
        let current = learned.current.as_deref()?;
        if now.saturating_duration_since(*written_at) >= millis(config.stale_ms) {
            return None;
        }
        let stages = answer.get_mut("VersionIdsToStages")?.as_object_mut()?;
        stages.remove(current);
        stages.insert(previous.clone(), json!([CURRENT]));
        Some(answer.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};
    use std::time::Duration;

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:blog/wordpress-AbCdEf";

    fn request(operation: &str) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: "secretsmanager".into(),
                operation: operation.into(),
            },
            protocol: Protocol::AwsJson,
            params: Vec::new(),
        }
    }

    fn written(version: &str) -> String {
        json!({"ARN": ARN, "Name": "blog/wordpress", "VersionId": version}).to_string()
    }

    fn described(stages: Value) -> String {
        json!({"ARN": ARN, "Name": "blog/wordpress", "VersionIdsToStages": stages}).to_string()
    }

    #[test]
    fn describe_shows_the_previous_version_until_the_window_has_passed() {
        let config = SecretVersionsConfig { stale_ms: 1_000 };
        let start = Instant::now();
        let mut versions = SecretVersions::default();
        versions.observe(&request("CreateSecret"), &written("v1"), start);
        let moto = described(json!({"v1": ["AWSCURRENT"]}));
        assert_eq!(
            versions.rewrite(&request("DescribeSecret"), &moto, &config, start),
            None,
            "nothing was put yet"
        );

        versions.observe(&request("PutSecretValue"), &written("v2"), start);
        let moto = described(json!({"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT"]}));
        let stale = versions
            .rewrite(&request("DescribeSecret"), &moto, &config, start)
            .expect("rewritten");
        let stale: Value = serde_json::from_str(&stale).unwrap();
        assert_eq!(stale["VersionIdsToStages"], json!({"v1": ["AWSCURRENT"]}));
        assert_eq!(stale["ARN"], ARN);
        let later = start + Duration::from_millis(1_000);
        assert_eq!(
            versions.rewrite(&request("DescribeSecret"), &moto, &config, later),
            None
        );
        assert_eq!(
            versions.rewrite(&request("GetSecretValue"), &moto, &config, start),
            None,
            "only the metadata lags"
        );
    }

    #[test]
    fn a_put_that_does_not_move_the_current_label_changes_nothing() {
        let config = SecretVersionsConfig { stale_ms: 1_000 };
        let now = Instant::now();
        let mut versions = SecretVersions::default();
        versions.observe(&request("CreateSecret"), &written("v1"), now);
        let pending =
            json!({"ARN": ARN, "VersionId": "v2", "VersionStages": ["AWSPENDING"]}).to_string();
        versions.observe(&request("PutSecretValue"), &pending, now);
        let moto = described(json!({"v1": ["AWSCURRENT"], "v2": ["AWSPENDING"]}));
        assert_eq!(
            versions.rewrite(&request("DescribeSecret"), &moto, &config, now),
            None
        );
    }
}
