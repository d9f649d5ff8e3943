//! Look-ups of the TLS and backup settings a stack keeps: the EFS backup policy and file
//! system policy, and the DB parameter group the instance names with its values.

use aws_smithy_types::error::display::DisplayErrorContext;

use super::AwsInspector;

impl AwsInspector {
    /// The file system's backup policy status (`ENABLED`, `DISABLING`…), or `None` when it has
    /// none.
    pub async fn backup_status(&self, file_system_id: &str) -> Option<String> {
        match self
            .efs
            .describe_backup_policy()
            .file_system_id(file_system_id)
            .send()
            .await
        {
            Ok(out) => out.backup_policy().map(|p| p.status().as_str().to_string()),
            Err(e) if format!("{}", DisplayErrorContext(&e)).contains("PolicyNotFound") => None,
            Err(e) => panic!(
                "describe backup policy of {file_system_id}: {}",
                DisplayErrorContext(e)
            ),
        }
    }

    /// The file system policy as JSON, or `None` when it has none.
    pub async fn file_system_policy(&self, file_system_id: &str) -> Option<serde_json::Value> {
        match self
            .efs
            .describe_file_system_policy()
            .file_system_id(file_system_id)
            .send()
            .await
        {
            Ok(out) => out
                .policy()
                .map(|p| serde_json::from_str(p).expect("the policy is JSON")),
            Err(e) if format!("{}", DisplayErrorContext(&e)).contains("PolicyNotFound") => None,
            Err(e) => panic!(
                "describe file system policy of {file_system_id}: {}",
                DisplayErrorContext(e)
            ),
        }
    }

    /// The names of the parameter groups the DB instance uses.
    pub async fn db_parameter_group_names(&self, identifier: &str) -> Vec<String> {
        self.db_instance(identifier)
            .await
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
            .map(str::to_string)
            .collect()
    }

    /// A parameter's value in a DB parameter group, `None` when unset; panics when the group
    /// does not exist.
    pub async fn db_parameter(&self, group: &str, parameter: &str) -> Option<String> {
        let out = self
            .rds
            .describe_db_parameters()
            .db_parameter_group_name(group)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("describe parameters of {group}: {}", DisplayErrorContext(e))
            });
        out.parameters()
            .iter()
            .find(|p| p.parameter_name() == Some(parameter))
            .and_then(|p| p.parameter_value())
            .map(str::to_string)
    }

    /// Whether a DB parameter group of that name exists.
    pub async fn db_parameter_group_exists(&self, group: &str) -> bool {
        match self
            .rds
            .describe_db_parameter_groups()
            .db_parameter_group_name(group)
            .send()
            .await
        {
            Ok(out) => !out.db_parameter_groups().is_empty(),
            Err(e) if format!("{}", DisplayErrorContext(&e)).contains("NotFound") => false,
            Err(e) => panic!(
                "describe parameter group {group}: {}",
                DisplayErrorContext(e)
            ),
        }
    }
}

impl AwsInspector {
    /// Panics unless the database names a parameter group with `require_secure_transport` on
    /// and the file system has a policy denying access without TLS and backups on.
    pub async fn assert_tls_required_and_backups_on(
        &self,
        db_identifier: &str,
        file_system_id: &str,
    ) {
        let groups = self.db_parameter_group_names(db_identifier).await;
        let [group] = groups.as_slice() else {
            panic!("{db_identifier} names one parameter group: {groups:?}");
        };
        let value = self.db_parameter(group, "require_secure_transport").await;
        assert!(
            value
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case("on") || v == "1"),
            "{db_identifier}'s group {group} requires TLS: require_secure_transport = {value:?}"
        );
        let policy = self.file_system_policy(file_system_id).await;
        assert!(
            policy.as_ref().is_some_and(denies_plain_transport),
            "{file_system_id}'s policy denies access without TLS: {policy:#?}"
        );
        let backups = self.backup_status(file_system_id).await;
        assert!(
            matches!(backups.as_deref(), Some("ENABLED" | "ENABLING")),
            "{file_system_id} has automatic backups: {backups:?}"
        );
    }
}

/// Whether a file system policy denies every request made without TLS.
pub fn denies_plain_transport(policy: &serde_json::Value) -> bool {
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    statements.iter().any(|s| {
        s["Effect"] == "Deny"
            && (s["Action"] == "*" || s["Action"] == serde_json::json!(["*"]))
            && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    })
}
