//! EFS UpdateFileSystem, which moto lacks: the proxy reads the file system from moto, answers
//! 202 with the new throughput as AWS does, and shows it in every later description.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::Value;

use crate::aws_errors::AwsError;
use crate::config::{millis, EfsUpdateConfig};
use crate::presets::reply::Reply;

/// Throughput settings accepted through the proxy, by file system id.
#[derive(Debug, Default)]
pub struct EfsThroughput {
    updated: HashMap<String, (Value, Instant)>,
}

/// The file system an UpdateFileSystem names (`PUT /2015-02-01/file-systems/{id}`).
pub fn updated_id(params: &[(String, String)]) -> Option<&str> {
    let segments: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "path")
        .map(|(_, v)| v.as_str())
        .collect();
    match segments.as_slice() {
        [_, "file-systems", id] => Some(id),
        _ => None,
    }
}

impl EfsThroughput {
    /// Finish an UpdateFileSystem from moto's description of the file system (`status`,
    /// `described`) and the request body; moto's refusal (an unknown id) becomes the answer.
    pub fn update(
        &mut self,
        id: &str,
        request_body: &str,
        status: u16,
        described: &str,
        config: &EfsUpdateConfig,
        now: Instant,
    ) -> Result<Reply, AwsError> {
        let parsed = serde_json::from_str::<Value>(described).ok();
        let found = parsed
            .as_ref()
            .and_then(|v| v.get("FileSystems")?.get(0).cloned());
        let Some(mut file_system) = found.filter(|_| status == 200) else {
            let code = parsed
                .as_ref()
                .and_then(|v| v.get("ErrorCode")?.as_str())
                .unwrap_or("FileSystemNotFound")
                .to_string();
            return Err(AwsError {
                status: if status == 200 { 404 } else { status },
                code: code.into(),
                message: format!("File system '{id}' does not exist."),
            });
        };
        let change: Value = serde_json::from_str(request_body).unwrap_or(Value::Null);
        let mut settings = self
            .updated
            .remove(id)
            .map(|(settings, _)| settings)
            .unwrap_or_else(|| serde_json::json!({}));
        for key in ["ThroughputMode", "ProvisionedThroughputInMibps"] {
            if let Some(value) = change.get(key) {
                settings[key] = value.clone();
            }
        }
        self.updated.insert(id.to_string(), (settings, now));
        self.apply(&mut file_system, config, now);
        Ok(Reply::json(202, &file_system))
    }

    /// Show remembered settings (and `updating`) in a DescribeFileSystems answer.
    pub fn rewrite(&self, body: &str, config: &EfsUpdateConfig, now: Instant) -> Option<String> {
        if self.updated.is_empty() {
            return None;
        }
        let mut document: Value = serde_json::from_str(body).ok()?;
        let list = document.get_mut("FileSystems")?.as_array_mut()?;
        let mut changed = false;
        for file_system in list.iter_mut() {
            changed |= self.apply(file_system, config, now);
        }
        changed.then(|| document.to_string())
    }

    fn apply(&self, file_system: &mut Value, config: &EfsUpdateConfig, now: Instant) -> bool {
        let id = file_system.get("FileSystemId").and_then(Value::as_str);
        let Some((settings, at)) = id.and_then(|id| self.updated.get(id)) else {
            return false;
        };
        if let Some(settings) = settings.as_object() {
            for (key, value) in settings {
                file_system[key] = value.clone();
            }
        }
        if now.duration_since(*at) < millis(config.updating_ms) {
            file_system["LifeCycleState"] = Value::from("updating");
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_answered_and_remembered() {
        let now = Instant::now();
        let mut efs = EfsThroughput::default();
        let config = EfsUpdateConfig { updating_ms: 100 };
        let described = r#"{"FileSystems":[{"FileSystemId":"fs-1","ThroughputMode":"bursting","LifeCycleState":"available"}]}"#;
        let reply = efs
            .update(
                "fs-1",
                r#"{"ThroughputMode":"provisioned","ProvisionedThroughputInMibps":64}"#,
                200,
                described,
                &config,
                now,
            )
            .unwrap();
        assert_eq!(reply.status, 202);
        let answered: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(answered["ThroughputMode"], "provisioned");
        assert_eq!(answered["LifeCycleState"], "updating");
        let later = efs.rewrite(described, &config, now + millis(200)).unwrap();
        let later: Value = serde_json::from_str(&later).unwrap();
        assert_eq!(later["FileSystems"][0]["ProvisionedThroughputInMibps"], 64);
        assert_eq!(later["FileSystems"][0]["LifeCycleState"], "available");
        let missing = efs
            .update(
                "fs-2",
                "{}",
                404,
                r#"{"ErrorCode":"FileSystemNotFound"}"#,
                &config,
                now,
            )
            .unwrap_err();
        assert_eq!(
            (missing.status, missing.code.as_ref()),
            (404, "FileSystemNotFound")
        );
    }
}
