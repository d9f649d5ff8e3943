//! What the user asked for: the stack's desired shape with every default applied.
//!
//! `StackSpec` is the core's view of a `wordpress_ha_stack` configuration. It knows nothing of
//! Terraform: the provider builds it from the decoded configuration (a missing block becomes the
//! block's `Default`), and the defaults below are the single source both for planning and for the
//! schema's documentation.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default values of every optional attribute, named so the provider's schema can quote them.
pub mod defaults {
    pub const VPC_CIDR: &str = "10.0.0.0/16";
    pub const NAT_GATEWAYS: &str = "one_per_az";
    pub const BASTION_ENABLED: bool = true;
    pub const BASTION_INSTANCE_TYPE: &str = "t3.micro";
    /// The official image through its public ECR mirror: Docker Hub limits anonymous pulls per
    /// address, and every instance of a private subnet pulls through the same NAT address.
    pub const WORDPRESS_IMAGE: &str = "public.ecr.aws/docker/library/wordpress:6-apache";
    pub const WORDPRESS_INSTANCE_TYPE: &str = "t3.small";
    pub const MIN_SIZE: i64 = 2;
    pub const MAX_SIZE: i64 = 4;
    pub const TARGET_CPU_UTILIZATION: f64 = 60.0;
    pub const HEALTH_CHECK_GRACE_PERIOD: i64 = 300;
    pub const DB_INSTANCE_CLASS: &str = "db.t3.micro";
    /// The current long-term MySQL release: 8.0 left RDS standard support on 31 July 2026.
    pub const DB_ENGINE_VERSION: &str = "8.4";
    pub const DB_ALLOCATED_STORAGE: i64 = 20;
    pub const DB_MAX_ALLOCATED_STORAGE: i64 = 100;
    pub const DB_MULTI_AZ: bool = true;
    pub const DB_NAME: &str = "wordpress";
    pub const DB_USERNAME: &str = "wordpress";
    pub const DB_BACKUP_RETENTION_DAYS: i64 = 7;
    pub const DB_DELETION_PROTECTION: bool = false;
    pub const DB_SKIP_FINAL_SNAPSHOT: bool = false;
    pub const DNS_ALLOW_OVERWRITE: bool = false;
    pub const EFS_THROUGHPUT_MODE: &str = "elastic";
    pub const EFS_PERFORMANCE_MODE: &str = "generalPurpose";
    /// AWS Backup's daily automatic backups of the file system: `wp-content` holds uploads,
    /// plugins and themes that a database snapshot alone cannot restore.
    pub const EFS_BACKUPS: bool = true;
    /// The provider's own health file: a tiny PHP page the user data puts in the web root. It
    /// answers 200 through Apache and PHP without touching the database, so a database
    /// failover (or WordPress not installed yet) never makes the group replace its instances.
    pub const HEALTH_CHECK_PATH: &str = super::PROVIDER_HEALTH_CHECK_PATH;
    pub const IDLE_TIMEOUT: i64 = 60;
    /// Seconds the target group lets a leaving instance finish its requests (AWS: 300).
    pub const DEREGISTRATION_DELAY: i64 = 30;
    /// New stacks get the web ACL; a stack created before it existed keeps none (`legacy`).
    pub const WAF_ENABLED: bool = true;
    /// Requests per 5 minutes from one IP address before the rate rule blocks it: about 7 a
    /// second, far above one visitor's page loads, well below a scripted flood.
    pub const WAF_RATE_LIMIT: i64 = 2000;
    /// The site's title at install (WordPress owns it afterwards).
    pub const SITE_TITLE: &str = "WordPress";
    /// The first administrator's login at install: not `admin`, the name every password
    /// guesser tries first.
    pub const SITE_ADMIN_USER: &str = "wpadmin";
    /// WP-CLI, when the WordPress image is not one whose repository also has the `cli` tag.
    pub const WORDPRESS_CLI_IMAGE: &str = "public.ecr.aws/docker/library/wordpress:cli";
    /// New stacks ship their logs to the group; a stack created before it existed has none
    /// (`legacy`).
    pub const LOGS_ENABLED: bool = true;
    /// Days CloudWatch Logs keeps an event: a month of history at a small storage cost.
    pub const LOGS_RETENTION_IN_DAYS: i64 = 30;
}

/// Where the instances serve the provider's health file (see `userdata`).
pub const PROVIDER_HEALTH_CHECK_PATH: &str = "/wordpress-ha-health.php";
/// What the provider's health file answers: exactly 200.
pub const PROVIDER_HEALTH_CHECK_MATCHER: &str = "200";
/// What any other health check path may answer: WordPress redirects (301, 302) before it is
/// installed and to canonical URLs, and a redirect still proves the server answers.
pub const USER_HEALTH_CHECK_MATCHER: &str = "200-399";

/// An instance refresh keeps this share of the group in service, replacing at most 10% of the
/// instances at a time; fixed rather than an attribute.
pub const REFRESH_MIN_HEALTHY_PERCENTAGE: i32 = 90;

/// The whole desired stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackSpec {
    /// Short name, `[a-z][a-z0-9-]*`, prefixing every AWS name.
    pub name: String,
    /// User tags, merged over the provider's default tags on every object.
    pub tags: BTreeMap<String, String>,
    pub network: NetworkSpec,
    pub bastion: BastionSpec,
    pub wordpress: WordpressSpec,
    pub autoscaling: AutoscalingSpec,
    pub database: DatabaseSpec,
    pub storage: StorageSpec,
    pub load_balancer: LoadBalancerSpec,
    pub dns: Option<DnsSpec>,
    #[serde(default)]
    pub waf: WafSpec,
    #[serde(default)]
    pub site: SiteSpec,
    pub alarms: crate::alarm_settings::AlarmsSpec,
    pub logs: LogsSpec,
    pub timeouts: Timeouts,
}

impl StackSpec {
    /// A spec with every block at its defaults.
    pub fn with_name(name: impl Into<String>) -> Self {
        StackSpec {
            name: name.into(),
            tags: BTreeMap::new(),
            network: NetworkSpec::default(),
            bastion: BastionSpec::default(),
            wordpress: WordpressSpec::default(),
            autoscaling: AutoscalingSpec::default(),
            database: DatabaseSpec::default(),
            storage: StorageSpec::default(),
            load_balancer: LoadBalancerSpec::default(),
            dns: None,
            waf: WafSpec::default(),
            site: SiteSpec::default(),
            alarms: crate::alarm_settings::AlarmsSpec::default(),
            logs: LogsSpec::default(),
            timeouts: Timeouts::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NatMode {
    /// One NAT Gateway in every AZ: an AZ outage never cuts the others off the internet.
    OnePerAz,
    /// One NAT Gateway for all AZs: cheaper, not AZ-redundant.
    Single,
}

impl NatMode {
    pub const ALL: [&'static str; 2] = ["one_per_az", "single"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "one_per_az" => Some(NatMode::OnePerAz),
            "single" => Some(NatMode::Single),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NatMode::OnePerAz => "one_per_az",
            NatMode::Single => "single",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSpec {
    pub vpc_cidr: String,
    /// `None` until resolved: the provider fills in the region's first two zones at plan time.
    pub availability_zones: Option<Vec<String>>,
    pub nat_gateways: NatMode,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            vpc_cidr: defaults::VPC_CIDR.to_string(),
            availability_zones: None,
            nat_gateways: NatMode::OnePerAz,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BastionSpec {
    pub enabled: bool,
    pub instance_type: String,
    /// Empty means no SSH ingress at all.
    pub allowed_ssh_cidrs: Vec<String>,
    pub key_name: Option<String>,
    /// `None` means "the current Amazon Linux 2023 for the instance type's architecture",
    /// resolved at apply (`image`).
    pub ami_id: Option<String>,
}

impl Default for BastionSpec {
    fn default() -> Self {
        BastionSpec {
            enabled: defaults::BASTION_ENABLED,
            instance_type: defaults::BASTION_INSTANCE_TYPE.to_string(),
            allowed_ssh_cidrs: Vec::new(),
            key_name: None,
            ami_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordpressSpec {
    pub image: String,
    pub instance_type: String,
    pub ami_id: Option<String>,
    pub key_name: Option<String>,
    /// Extra PHP appended to wp-config.php through `WORDPRESS_CONFIG_EXTRA`.
    pub config_extra: Option<String>,
}

impl Default for WordpressSpec {
    fn default() -> Self {
        WordpressSpec {
            image: defaults::WORDPRESS_IMAGE.to_string(),
            instance_type: defaults::WORDPRESS_INSTANCE_TYPE.to_string(),
            ami_id: None,
            key_name: None,
            config_extra: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoscalingSpec {
    pub min_size: i64,
    pub max_size: i64,
    /// `None` lets the ASG (and its scaling policy) own the desired capacity.
    pub desired_capacity: Option<i64>,
    pub target_cpu_utilization: f64,
    pub health_check_grace_period: i64,
}

impl Default for AutoscalingSpec {
    fn default() -> Self {
        AutoscalingSpec {
            min_size: defaults::MIN_SIZE,
            max_size: defaults::MAX_SIZE,
            desired_capacity: None,
            target_cpu_utilization: defaults::TARGET_CPU_UTILIZATION,
            health_check_grace_period: defaults::HEALTH_CHECK_GRACE_PERIOD,
        }
    }
}

/// A secret string whose `Debug` never shows the value, so it cannot leak through logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The only way to the value: call sites are easy to audit with `grep expose`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSpec {
    pub instance_class: String,
    pub engine_version: String,
    pub allocated_storage: i64,
    pub max_allocated_storage: i64,
    pub multi_az: bool,
    pub db_name: String,
    pub username: String,
    /// `None` means "generate one at apply".
    pub password: Option<Secret>,
    pub backup_retention_days: i64,
    pub deletion_protection: bool,
    pub skip_final_snapshot: bool,
    /// An RDS snapshot (identifier or ARN) the database is restored from when the stack is
    /// created; ignored afterwards (changing it on a live stack is refused at plan). A spec
    /// serialized before the field existed stands for a database created empty.
    #[serde(default)]
    pub snapshot_identifier: Option<String>,
}

impl Default for DatabaseSpec {
    fn default() -> Self {
        DatabaseSpec {
            instance_class: defaults::DB_INSTANCE_CLASS.to_string(),
            engine_version: defaults::DB_ENGINE_VERSION.to_string(),
            allocated_storage: defaults::DB_ALLOCATED_STORAGE,
            max_allocated_storage: defaults::DB_MAX_ALLOCATED_STORAGE,
            multi_az: defaults::DB_MULTI_AZ,
            db_name: defaults::DB_NAME.to_string(),
            username: defaults::DB_USERNAME.to_string(),
            password: None,
            backup_retention_days: defaults::DB_BACKUP_RETENTION_DAYS,
            deletion_protection: defaults::DB_DELETION_PROTECTION,
            skip_final_snapshot: defaults::DB_SKIP_FINAL_SNAPSHOT,
            snapshot_identifier: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageSpec {
    /// `elastic`, `bursting` or `provisioned` (EFS's own spelling).
    pub throughput_mode: String,
    pub provisioned_throughput_mibps: Option<f64>,
    /// `generalPurpose` or `maxIO` (EFS's own spelling).
    pub performance_mode: String,
    /// EFS automatic backups (AWS Backup's default plan and vault). A spec serialized before
    /// the field existed stands for a file system made without them.
    #[serde(default)]
    pub backups: bool,
}

impl StorageSpec {
    pub const THROUGHPUT_MODES: [&'static str; 3] = ["elastic", "bursting", "provisioned"];
    pub const PERFORMANCE_MODES: [&'static str; 2] = ["generalPurpose", "maxIO"];
}

impl Default for StorageSpec {
    fn default() -> Self {
        StorageSpec {
            throughput_mode: defaults::EFS_THROUGHPUT_MODE.to_string(),
            provisioned_throughput_mibps: None,
            performance_mode: defaults::EFS_PERFORMANCE_MODE.to_string(),
            backups: defaults::EFS_BACKUPS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    /// ACM certificate: adds an HTTPS listener and turns HTTP into a redirect.
    pub certificate_arn: Option<String>,
    pub health_check_path: String,
    pub idle_timeout: i64,
    /// The target group's `deregistration_delay.timeout_seconds`.
    pub deregistration_delay: i64,
}

impl LoadBalancerSpec {
    /// The HTTP codes the target group counts as healthy on `health_check_path`.
    pub fn health_check_matcher(&self) -> &'static str {
        health_check_matcher(&self.health_check_path)
    }
}

/// `200` on the provider's own health file, `200-399` on any other path.
pub fn health_check_matcher(path: &str) -> &'static str {
    if path == PROVIDER_HEALTH_CHECK_PATH {
        PROVIDER_HEALTH_CHECK_MATCHER
    } else {
        USER_HEALTH_CHECK_MATCHER
    }
}

impl Default for LoadBalancerSpec {
    fn default() -> Self {
        LoadBalancerSpec {
            certificate_arn: None,
            health_check_path: defaults::HEALTH_CHECK_PATH.to_string(),
            idle_timeout: defaults::IDLE_TIMEOUT,
            deregistration_delay: defaults::DEREGISTRATION_DELAY,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsSpec {
    pub zone_id: String,
    pub record_name: String,
    /// Replace an A or CNAME record at `record_name` that this stack did not create (the
    /// convention of `aws_route53_record`); without it such a record is refused, never
    /// overwritten.
    #[serde(default)]
    pub allow_overwrite: bool,
}

impl DnsSpec {
    /// A record this stack makes, refusing to replace one it did not.
    pub fn new(zone_id: impl Into<String>, record_name: impl Into<String>) -> Self {
        DnsSpec {
            zone_id: zone_id.into(),
            record_name: record_name.into(),
            allow_overwrite: false,
        }
    }

    /// `/hostedzone/Z123` and `Z123` name the same zone; the API wants the bare id.
    pub fn bare_zone_id(&self) -> &str {
        self.zone_id.rsplit('/').next().unwrap_or(&self.zone_id)
    }

    /// `<zone id>/<record name>`: the record's id in the state (`logical::DNS_RECORD`).
    pub fn record_id(&self) -> String {
        format!(
            "{}/{}",
            self.bare_zone_id(),
            self.record_name.trim_end_matches('.').to_ascii_lowercase()
        )
    }
}

/// The WAFv2 web ACL in front of the load balancer: AWS's managed rule groups for WordPress,
/// PHP, common attacks and known bad inputs, and a per-IP rate limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WafSpec {
    pub enabled: bool,
    /// Requests per 5 minutes from one IP address before the rate rule blocks it.
    pub rate_limit: i64,
}

impl Default for WafSpec {
    fn default() -> Self {
        WafSpec {
            enabled: defaults::WAF_ENABLED,
            rate_limit: defaults::WAF_RATE_LIMIT,
        }
    }
}

/// What the first instance installs WordPress with (`wp core install`). Used only while the
/// database has no WordPress yet: afterwards WordPress owns the title and its users, and a
/// change here reaches only the user data of instances launched later, which find the site
/// installed. The administrator's password is generated into the stack's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSpec {
    pub title: String,
    pub admin_user: String,
    /// `None`: `wordpress@<the site's host>`, WordPress's own sender address.
    pub admin_email: Option<String>,
}

impl Default for SiteSpec {
    fn default() -> Self {
        SiteSpec {
            title: defaults::SITE_TITLE.to_string(),
            admin_user: defaults::SITE_ADMIN_USER.to_string(),
            admin_email: None,
        }
    }
}

/// The CloudWatch Logs group the WordPress container and the boot script write to
/// (`/wordpress/<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsSpec {
    pub enabled: bool,
    /// Days an event is kept: one of `validate::LOG_RETENTION_DAYS`, 0 for never expire.
    pub retention_in_days: i64,
    /// The KMS key (ARN) encrypting the group; `None`: CloudWatch Logs' own encryption.
    pub kms_key_id: Option<String>,
}

impl Default for LogsSpec {
    fn default() -> Self {
        LogsSpec {
            enabled: defaults::LOGS_ENABLED,
            retention_in_days: defaults::LOGS_RETENTION_IN_DAYS,
            kms_key_id: None,
        }
    }
}

/// Bounds on each lifecycle operation; `None` means the operation's built-in default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

impl Timeouts {
    pub const DEFAULT_CREATE: Duration = Duration::from_secs(60 * 60);
    pub const DEFAULT_UPDATE: Duration = Duration::from_secs(60 * 60);
    pub const DEFAULT_DELETE: Duration = Duration::from_secs(45 * 60);

    pub fn create_or_default(&self) -> Duration {
        self.create.unwrap_or(Self::DEFAULT_CREATE)
    }
    pub fn update_or_default(&self) -> Duration {
        self.update.unwrap_or(Self::DEFAULT_UPDATE)
    }
    pub fn delete_or_default(&self) -> Duration {
        self.delete.unwrap_or(Self::DEFAULT_DELETE)
    }
}
