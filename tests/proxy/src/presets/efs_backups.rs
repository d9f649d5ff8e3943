//! EFS PutBackupPolicy, which moto lacks (it keeps only CreateFileSystem's `Backup`): the
//! proxy checks the file system exists in moto, answers `ENABLING` or `DISABLING` as AWS
//! does, and plays DescribeBackupPolicy from then on, `ENABLED` or `DISABLED` once
//! `enabling_ms` have passed. A file system never given a policy through the proxy is
//! described by moto.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};

use crate::aws_errors::AwsError;
use crate::config::{millis, EfsBackupsConfig};
use crate::presets::reply::Reply;

/// Backup policies put through the proxy: by file system id, whether on, and since when.
#[derive(Debug, Default)]
pub struct EfsBackups {
    policies: HashMap<String, (bool, Instant)>,
}

/// The file system of a backup-policy call (`/2015-02-01/file-systems/{id}/backup-policy`).
pub fn policy_file_system(params: &[(String, String)]) -> Option<&str> {
    let segments: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "path")
        .map(|(_, v)| v.as_str())
        .collect();
    match segments.as_slice() {
        [_, "file-systems", id, "backup-policy"] => Some(id),
        _ => None,
    }
}

impl EfsBackups {
    /// Finish a PutBackupPolicy from moto's description of the file system (`status`,
    /// `described`); an unknown file system is refused as AWS refuses it.
    pub fn put(
        &mut self,
        id: &str,
        request_body: &str,
        status: u16,
        described: &str,
        now: Instant,
    ) -> Result<Reply, AwsError> {
        let found = serde_json::from_str::<Value>(described)
            .ok()
            .and_then(|v| v.get("FileSystems")?.get(0).cloned());
        if status != 200 || found.is_none() {
            return Err(AwsError {
                status: 404,
                code: "FileSystemNotFound".into(),
                message: format!("File system '{id}' does not exist."),
            });
        }
        let wanted = serde_json::from_str::<Value>(request_body)
            .ok()
            .and_then(|v| {
                v.get("BackupPolicy")?
                    .get("Status")?
                    .as_str()
                    .map(str::to_string)
            });
        let enabled = match wanted.as_deref() {
            Some("ENABLED") => true,
            Some("DISABLED") => false,
            other => {
                return Err(AwsError {
                    status: 400,
                    code: "BadRequest".into(),
                    message: format!("Invalid backup policy status {other:?}."),
                })
            }
        };
        self.policies.insert(id.to_string(), (enabled, now));
        Ok(transition_reply(enabled))
    }

    /// The DescribeBackupPolicy answer for a file system whose policy went through the proxy.
    pub fn answer(&self, id: &str, config: &EfsBackupsConfig, now: Instant) -> Option<Reply> {
        let (enabled, at) = self.policies.get(id)?;
        let settled = now.duration_since(*at) >= millis(config.enabling_ms);
        let status = match (enabled, settled) {
            (true, true) => "ENABLED",
            (true, false) => "ENABLING",
            (false, true) => "DISABLED",
            (false, false) => "DISABLING",
        };
        Some(Reply::json(
            200,
            &json!({ "BackupPolicy": { "Status": status } }),
        ))
    }
}

/// The answer of a Put: AWS reports the transition it started.
fn transition_reply(enabled: bool) -> Reply {
    let status = if enabled { "ENABLING" } else { "DISABLING" };
    Reply::json(200, &json!({ "BackupPolicy": { "Status": status } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESCRIBED: &str = r#"{"FileSystems":[{"FileSystemId":"fs-1"}]}"#;

    #[test]
    fn a_put_is_answered_with_the_transition_and_described_after_it() {
        let now = Instant::now();
        let config = EfsBackupsConfig { enabling_ms: 100 };
        let mut backups = EfsBackups::default();
        let put = backups
            .put(
                "fs-1",
                r#"{"BackupPolicy":{"Status":"DISABLED"}}"#,
                200,
                DESCRIBED,
                now,
            )
            .unwrap();
        let status = |reply: Reply| {
            serde_json::from_str::<Value>(&reply.body).unwrap()["BackupPolicy"]["Status"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(status(put), "DISABLING");
        assert_eq!(
            status(backups.answer("fs-1", &config, now).unwrap()),
            "DISABLING"
        );
        let later = now + millis(200);
        assert_eq!(
            status(backups.answer("fs-1", &config, later).unwrap()),
            "DISABLED"
        );
        assert!(backups.answer("fs-2", &config, later).is_none());
        let missing = backups
            .put(
                "fs-2",
                r#"{"BackupPolicy":{"Status":"ENABLED"}}"#,
                404,
                "{}",
                now,
            )
            .unwrap_err();
        assert_eq!(missing.code, "FileSystemNotFound");
    }
}
