//! The AWS-behaviour presets' configuration: one optional section each, off when absent.
//!
//! ```json
//! { "iam_propagation": { "window_ms": 3000, "jitter_ms": 1000 },
//!   "instances": { "boot_ms": 2000, "health_ms": 2000, "unhealthy": false },
//!   "launch_failures": { "groups": ["web"], "status_message": "…", "window_ms": 0 },
//!   "rds_states": { "creating_ms": 3000, "backing_up_ms": 1000, "modifying_ms": 2000,
//!                   "storage_optimization_ms": 3000 },
//!   "instance_refresh": { "pending_ms": 500, "duration_ms": 3000, "outcome": "successful" },
//!   "efs_update": { "updating_ms": 500 },
//!   "efs_backups": { "enabling_ms": 500 },
//!   "secret_versions": { "stale_ms": 3000 },
//!   "quotas": { "max_eips": 5, "max_vpcs": 5, "max_internet_gateways": 5,
//!               "max_nat_gateways_per_az": 5 },
//!   "images": { "root_snapshot_gib": 8 },
//!   "orderable_db": { "instance_classes": ["db.t3.micro"], "engine_versions": ["8.4.5"] },
//!   "waf": { "unavailable_ms": 2000 },
//!   "sg_rule_descriptions": {} }
//! ```

use serde::{Deserialize, Serialize};

/// What AWS says when a launch finds no capacity: the default `StatusMessage` of a failed
/// launch activity.
pub const NO_CAPACITY: &str = "We currently do not have sufficient t3.small capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. You can currently get t3.small capacity by not specifying an Availability Zone in your request or choosing us-east-1b, us-east-1c, us-east-1d, us-east-1f. Launching EC2 instance failed.";

/// For `window_ms` (plus a seeded `0..=jitter_ms` per profile) after an instance profile is
/// created or given its role, Auto Scaling and EC2 refuse launch templates naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IamPropagationConfig {
    pub window_ms: u64,
    pub jitter_ms: u64,
}

/// Auto Scaling instances `Pending` for `boot_ms` from first sight, then `InService`; their
/// targets `initial` for a further `health_ms`, then `healthy` (`unhealthy` when asked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstancesConfig {
    pub boot_ms: u64,
    pub health_ms: u64,
    pub unhealthy: bool,
}

/// Groups that launch nothing: no instances, and failed scaling activities saying why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LaunchFailuresConfig {
    /// Auto Scaling group names (empty: every group).
    pub groups: Vec<String>,
    /// The failed activities' `StatusMessage` ([`NO_CAPACITY`] when absent).
    pub status_message: Option<String>,
    /// Launches fail for this long after the group is created, then succeed (0: always fail).
    pub window_ms: u64,
}

impl LaunchFailuresConfig {
    pub fn applies_to(&self, group: &str) -> bool {
        self.groups.is_empty() || self.groups.iter().any(|name| name == group)
    }

    pub fn message(&self) -> &str {
        self.status_message.as_deref().unwrap_or(NO_CAPACITY)
    }
}

/// RDS transitional states, each refusing deletes and modifications as AWS does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdsStatesConfig {
    /// `creating` after CreateDBInstance.
    pub creating_ms: u64,
    /// `backing-up` once creation ends (the first automated backup).
    pub backing_up_ms: u64,
    /// `modifying` after ModifyDBInstance.
    pub modifying_ms: u64,
    /// `storage-optimization` after a storage change has been applied; only further storage
    /// changes are refused meanwhile.
    pub storage_optimization_ms: u64,
}

/// How an instance refresh ends when nobody cancels or rolls it back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshOutcome {
    #[default]
    Successful,
    Failed,
    Cancelled,
    /// With `AutoRollback` asked for: `RollbackInProgress` then `RollbackSuccessful`;
    /// without it the refresh ends `Failed`, as on AWS.
    RollbackSuccessful,
    /// Like `rollback_successful`, ending `RollbackFailed`.
    RollbackFailed,
}

/// The instance-refresh API moto lacks, played by the proxy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceRefreshConfig {
    /// `Pending` before the refresh starts replacing instances.
    pub pending_ms: u64,
    /// `InProgress`, `PercentageComplete` rising from 0 to 100; cancelling and rolling back
    /// take half as long.
    pub duration_ms: u64,
    pub outcome: RefreshOutcome,
    /// The `StatusReason` of an unsuccessful end (a typical AWS reason when absent).
    pub status_reason: Option<String>,
}

/// EFS UpdateFileSystem, which moto lacks: answered by the proxy and remembered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EfsUpdateConfig {
    /// `updating` after the change.
    pub updating_ms: u64,
}

/// EFS PutBackupPolicy, which moto lacks: answered by the proxy, which then plays
/// DescribeBackupPolicy for that file system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EfsBackupsConfig {
    /// `ENABLING` or `DISABLING` after the change.
    pub enabling_ms: u64,
}

/// Secrets Manager metadata that lags a write: DescribeSecret shows the previous version as
/// current for `stale_ms` after PutSecretValue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretVersionsConfig {
    pub stale_ms: u64,
}

/// WAFv2 as AWS runs it: a web ACL is refused to AssociateWebACL
/// (`WAFUnavailableEntityException`) for `unavailable_ms` after its CreateWebACL, and
/// DeleteWebACL refuses a web ACL that still guards a resource (`WAFAssociatedItemException`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WafConfig {
    pub unavailable_ms: u64,
}

/// UpdateSecurityGroupRuleDescriptions* on group-to-group rules, which moto never matches
/// once the description changes: played as a revoke and an authorize of each such rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SgRuleDescriptionsConfig {}

/// Account limits, counted over what moto holds in the caller's region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotasConfig {
    /// AllocateAddress → `AddressLimitExceeded`; DescribeAccountAttributes reports it.
    pub max_eips: Option<u32>,
    /// CreateVpc → `VpcLimitExceeded` (moto's default VPC counts, as on AWS).
    pub max_vpcs: Option<u32>,
    /// CreateInternetGateway → `InternetGatewayLimitExceeded`.
    pub max_internet_gateways: Option<u32>,
    /// CreateNatGateway → `NatGatewayLimitExceeded`, per Availability Zone.
    pub max_nat_gateways_per_az: Option<u32>,
}

/// Image root snapshots as AWS sizes them (moto: 15 GiB for every image, any volume launches).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImagesConfig {
    /// Every image's root snapshot size: DescribeImages reports it, and RunInstances asking
    /// for a smaller EBS volume is refused (`InvalidBlockDeviceMapping`).
    pub root_snapshot_gib: u32,
}

/// MySQL instance options RDS sells (moto lists none): every class with every version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderableDbConfig {
    pub instance_classes: Vec<String>,
    pub engine_versions: Vec<String>,
}
