//! The fault configuration of one run: JSON in, JSON out, every part off by default.
//!
//! ```json
//! { "seed": 7,
//!   "latency": { "fixed_ms": 30, "jitter_ms": 50 },
//!   "faults": { "throttle": 0.04, "server_error": 0.02, "drop_before": 0.02, "drop_after": 0.02,
//!               "services": ["ec2"], "operations": [], "max_consecutive": 2 },
//!   "consistency": { "window_ms": 300 },
//!   "dependency_violation": { "attempts": 2, "window_ms": 0 },
//!   "pending": { "nat_gateway_ms": 1500, "load_balancer_ms": 2500, "db_instance_ms": 12000,
//!                "mount_target_ms": 1500 },
//!   "scripted": [ { "operation": "CreateNatGateway", "nth": 0,
//!                   "fault": { "error": { "status": 400, "code": "InvalidParameterValue" } } } ],
//!   "instance_refresh": { "duration_ms": 3000, "outcome": "rollback_successful" } }
//! ```
//!
//! The AWS-behaviour sections (`iam_propagation`, `instances`, `launch_failures`, `rds_states`,
//! `instance_refresh`, `efs_update`, `efs_backups`, `secret_versions`, `quotas`, `images`, `orderable_db`, `waf`, `sg_rule_descriptions`) are described in
//! `presets` below.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod presets;

pub use presets::{
    EfsBackupsConfig, EfsUpdateConfig, IamPropagationConfig, ImagesConfig, InstanceRefreshConfig,
    InstancesConfig, LaunchFailuresConfig, OrderableDbConfig, QuotasConfig, RdsStatesConfig,
    RefreshOutcome, SecretVersionsConfig, SgRuleDescriptionsConfig, WafConfig,
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the proxy config {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid proxy config: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid proxy config: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seeds every random choice: the same seed and the same calls give the same faults.
    pub seed: u64,
    pub latency: LatencyConfig,
    pub faults: RandomFaults,
    pub consistency: ConsistencyConfig,
    pub dependency_violation: DependencyConfig,
    pub pending: PendingConfig,
    /// Exact faults on chosen calls, applied before the random ones.
    pub scripted: Vec<ScriptedFault>,
    /// AWS behaviours moto lacks (see [`crate::presets`]); each is off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_propagation: Option<IamPropagationConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<InstancesConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_failures: Option<LaunchFailuresConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rds_states: Option<RdsStatesConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_refresh: Option<InstanceRefreshConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub efs_update: Option<EfsUpdateConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub efs_backups: Option<EfsBackupsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_versions: Option<SecretVersionsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotas: Option<QuotasConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<ImagesConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orderable_db: Option<OrderableDbConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waf: Option<WafConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sg_rule_descriptions: Option<SgRuleDescriptionsConfig>,
}

fn take_preset<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
    if theirs.is_some() {
        mine.clone_from(theirs);
    }
}

/// One fault on a chosen call: e.g. fail the first CreateNatGateway with a non-retryable error
/// to stop an apply at that step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    /// Signing name; any service when absent.
    #[serde(default)]
    pub service: Option<String>,
    pub operation: String,
    /// 0-based index of the call among this operation's calls since the config was set;
    /// every call when absent.
    #[serde(default)]
    pub nth: Option<u64>,
    pub fault: ScriptedKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ScriptedKind {
    Throttle,
    ServerError,
    DropBefore,
    DropAfter,
    /// Hold the call this long, then let it through as if unscripted: a slow answer, not a
    /// fault (e.g. to have one step still asking while another fails).
    Delay {
        ms: u64,
    },
    /// Any AWS error, in the service's format: `{"error": {"status": 400, "code": "X"}}`.
    Error {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
    },
}

impl ScriptedFault {
    pub fn matches(&self, service: &str, operation: &str, nth: u64) -> bool {
        self.service.as_deref().is_none_or(|s| s == service)
            && self.operation == operation
            && self.nth.is_none_or(|n| n == nth)
    }

    /// How long a [`ScriptedKind::Delay`] holds the call; `None` for the faults.
    pub fn delay(&self) -> Option<std::time::Duration> {
        match self.fault {
            ScriptedKind::Delay { ms } => Some(std::time::Duration::from_millis(ms)),
            _ => None,
        }
    }
}

/// Added to every AWS call: `fixed_ms` plus a uniform draw in `0..=jitter_ms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LatencyConfig {
    pub fixed_ms: u64,
    pub jitter_ms: u64,
}

/// Shares (0..=1) of calls that fail at random, optionally only for some services/operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomFaults {
    /// Throttling in the service's own error format.
    pub throttle: f64,
    /// HTTP 500 `InternalError` or 503 `ServiceUnavailable`.
    pub server_error: f64,
    /// The connection is closed before the call reaches moto (nothing happened).
    pub drop_before: f64,
    /// Moto executes the call, then the connection is closed without the response.
    pub drop_after: f64,
    /// Signing names the faults apply to (empty: all).
    pub services: Vec<String>,
    /// Operations the faults apply to (empty: all).
    pub operations: Vec<String>,
    /// At most this many faults in a row for one operation, so a bounded retry always wins.
    pub max_consecutive: Option<u32>,
}

/// For `window_ms` after a create, reads naming the new object answer NotFound.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsistencyConfig {
    pub window_ms: u64,
    /// Writes naming it too (CreateTags, CreateSubnet in a VPC just made), as AWS sometimes does.
    pub writes: bool,
}

/// Deletes of security groups, subnets, internet gateways and VPCs are refused with
/// `DependencyViolation` for the first `attempts` tries of each object and for `window_ms`
/// after its first try (whichever lasts longer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DependencyConfig {
    pub attempts: u32,
    pub window_ms: u64,
}

/// How long each kind of object reads as still being created (0: never).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PendingConfig {
    /// NAT gateway `pending`.
    pub nat_gateway_ms: u64,
    /// RDS instance `creating`.
    pub db_instance_ms: u64,
    /// RDS instance `modifying` after ModifyDBInstance.
    pub db_modify_ms: u64,
    /// EFS file system `creating`.
    pub file_system_ms: u64,
    /// EFS mount target `creating`.
    pub mount_target_ms: u64,
    /// ALB `provisioning`.
    pub load_balancer_ms: u64,
    /// Auto Scaling instance `Pending`, from the first time the proxy sees it.
    pub asg_instance_ms: u64,
    /// Target health `initial`, from the first time the proxy sees the target.
    pub target_ms: u64,
    /// Route 53 change `PENDING` (rather than `INSYNC`) after ChangeResourceRecordSets.
    pub dns_change_ms: u64,
}

impl FaultConfig {
    /// The AWS-behaviour presets switched on, by their names in the JSON.
    pub fn presets_on(&self) -> Vec<&'static str> {
        [
            ("iam_propagation", self.iam_propagation.is_some()),
            ("instances", self.instances.is_some()),
            ("launch_failures", self.launch_failures.is_some()),
            ("rds_states", self.rds_states.is_some()),
            ("instance_refresh", self.instance_refresh.is_some()),
            ("efs_update", self.efs_update.is_some()),
            ("efs_backups", self.efs_backups.is_some()),
            ("secret_versions", self.secret_versions.is_some()),
            ("quotas", self.quotas.is_some()),
            ("images", self.images.is_some()),
            ("orderable_db", self.orderable_db.is_some()),
            ("waf", self.waf.is_some()),
            ("sg_rule_descriptions", self.sg_rule_descriptions.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }

    /// This config's faults with every AWS-behaviour preset `other` switches on (e.g. a fault
    /// mix with configs/aws-realistic.json's presets).
    pub fn with_presets_of(mut self, other: &FaultConfig) -> FaultConfig {
        take_preset(&mut self.iam_propagation, &other.iam_propagation);
        take_preset(&mut self.instances, &other.instances);
        take_preset(&mut self.launch_failures, &other.launch_failures);
        take_preset(&mut self.rds_states, &other.rds_states);
        take_preset(&mut self.instance_refresh, &other.instance_refresh);
        take_preset(&mut self.efs_update, &other.efs_update);
        take_preset(&mut self.efs_backups, &other.efs_backups);
        take_preset(&mut self.secret_versions, &other.secret_versions);
        take_preset(&mut self.quotas, &other.quotas);
        take_preset(&mut self.images, &other.images);
        take_preset(&mut self.orderable_db, &other.orderable_db);
        take_preset(&mut self.waf, &other.waf);
        take_preset(&mut self.sg_rule_descriptions, &other.sg_rule_descriptions);
        self
    }

    /// Parse and validate JSON.
    pub fn from_json(text: &str) -> Result<FaultConfig, ConfigError> {
        let config: FaultConfig = serde_json::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<FaultConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        FaultConfig::from_json(&text)
    }

    /// Shares must be in 0..=1 and add up to at most 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let f = &self.faults;
        let shares = [
            ("throttle", f.throttle),
            ("server_error", f.server_error),
            ("drop_before", f.drop_before),
            ("drop_after", f.drop_after),
        ];
        if let Some((name, share)) = shares
            .iter()
            .find(|(_, share)| !(0.0..=1.0).contains(share))
        {
            return Err(ConfigError::Invalid(format!(
                "faults.{name} = {share}: a share must be between 0 and 1"
            )));
        }
        let total: f64 = shares.iter().map(|(_, share)| share).sum();
        if total > 1.0 {
            return Err(ConfigError::Invalid(format!(
                "the fault shares add up to {total}: at most 1"
            )));
        }
        Ok(())
    }
}

impl LatencyConfig {
    pub fn is_off(&self) -> bool {
        self.fixed_ms == 0 && self.jitter_ms == 0
    }
}

impl RandomFaults {
    /// Whether random faults may hit this call at all.
    pub fn applies_to(&self, service: &str, operation: &str) -> bool {
        let listed =
            |list: &[String], name: &str| list.is_empty() || list.iter().any(|item| item == name);
        listed(&self.services, service) && listed(&self.operations, operation)
    }
}

pub(crate) fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configs_are_valid() {
        let timings =
            FaultConfig::from_json(include_str!("../../configs/aws-timings.json")).unwrap();
        assert_eq!(timings.pending.db_instance_ms, 12_000);
        let realistic =
            FaultConfig::from_json(include_str!("../../configs/aws-realistic.json")).unwrap();
        assert!(realistic.iam_propagation.is_some() && realistic.instances.is_some());
        assert!(realistic.rds_states.is_some() && realistic.instance_refresh.is_some());
        assert!(realistic.efs_update.is_some() && realistic.quotas.is_some());
        assert!(realistic.efs_backups.is_some());
        assert!(realistic.secret_versions.is_some() && realistic.orderable_db.is_some());
        assert!(realistic.waf.is_some());
        assert_eq!(
            realistic.images.as_ref().map(|i| i.root_snapshot_gib),
            Some(8),
            "Amazon Linux 2023's own root snapshot"
        );
        let failures = realistic.launch_failures.as_ref().unwrap();
        assert!(
            failures.window_ms > 0,
            "capacity comes back, or no apply could pass"
        );
        let faults =
            FaultConfig::from_json(include_str!("../../configs/faults-10pct.json")).unwrap();
        let f = &faults.faults;
        let share = f.throttle + f.server_error + f.drop_before + f.drop_after;
        assert!((share - 0.10).abs() < 1e-9, "10 % of calls: {share}");
    }

    #[test]
    fn empty_json_is_a_transparent_proxy() {
        assert_eq!(
            FaultConfig::from_json("{}").unwrap(),
            FaultConfig::default()
        );
    }

    #[test]
    fn typos_and_impossible_shares_are_refused() {
        assert!(FaultConfig::from_json(r#"{"faults": {"throtle": 0.1}}"#).is_err());
        assert!(FaultConfig::from_json(r#"{"faults": {"throttle": 1.5}}"#).is_err());
        assert!(
            FaultConfig::from_json(r#"{"faults": {"throttle": 0.6, "drop_after": 0.6}}"#).is_err()
        );
        let scripted = FaultConfig::from_json(
            r#"{"scripted": [{"operation": "CreateVpc", "nth": 1, "fault": "drop_after"},
                             {"service": "rds", "operation": "CreateDBInstance", "fault": {"error": {"status": 400, "code": "InvalidParameterValue"}}}]}"#,
        )
        .unwrap();
        assert!(scripted.scripted[0].matches("ec2", "CreateVpc", 1));
        assert!(!scripted.scripted[0].matches("ec2", "CreateVpc", 0));
        assert!(scripted.scripted[1].matches("rds", "CreateDBInstance", 7));
        assert!(!scripted.scripted[1].matches("ec2", "CreateDBInstance", 7));
        let ok = FaultConfig::from_json(
            r#"{"seed": 3, "faults": {"throttle": 0.1, "services": ["ec2"]}}"#,
        )
        .unwrap();
        assert!(ok.faults.applies_to("ec2", "CreateVpc"));
        assert!(!ok.faults.applies_to("rds", "CreateDBInstance"));
    }
}
