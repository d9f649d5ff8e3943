//! What exists: the ids of every AWS object a stack owns and the values derived from them.
//!
//! `StackState` is what the provider persists (through Terraform's state) between runs. The
//! `resources` map is the record of ownership: logical name → AWS id. Everything else in
//! `outputs` can be derived again from AWS by reading those ids.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::spec::{Secret, StackSpec};

/// Logical names used as keys of [`StackState::resources`]. Per-AZ objects append `:<az>`.
pub mod logical {
    pub const VPC: &str = "vpc";
    pub const INTERNET_GATEWAY: &str = "internet_gateway";
    pub const PUBLIC_ROUTE_TABLE: &str = "public_route_table";
    pub const PUBLIC_SUBNET: &str = "public_subnet";
    pub const PRIVATE_SUBNET: &str = "private_subnet";
    pub const PUBLIC_ROUTE_TABLE_ASSOCIATION: &str = "public_route_table_association";
    pub const PRIVATE_ROUTE_TABLE: &str = "private_route_table";
    pub const PRIVATE_ROUTE_TABLE_ASSOCIATION: &str = "private_route_table_association";
    pub const NAT_EIP: &str = "nat_eip";
    pub const NAT_GATEWAY: &str = "nat_gateway";
    pub const SECURITY_GROUP: &str = "security_group";
    /// Every security-group rule carries its description (id: the VPC's), recorded only while
    /// no rule's description is missing or changed.
    pub const SECURITY_GROUP_RULE_DESCRIPTIONS: &str = "security_group_rule_descriptions";
    pub const BASTION_INSTANCE: &str = "bastion_instance";
    pub const EFS_FILE_SYSTEM: &str = "efs_file_system";
    pub const EFS_MOUNT_TARGET: &str = "efs_mount_target";
    /// The file system's policy denying access without TLS (id: the file system's), recorded
    /// only while the policy in place is the stack's.
    pub const EFS_FILE_SYSTEM_POLICY: &str = "efs_file_system_policy";
    pub const DB_SUBNET_GROUP: &str = "db_subnet_group";
    pub const DB_INSTANCE: &str = "db_instance";
    /// The DB parameter group requiring TLS (name), recorded only while the instance uses it
    /// and it still sets `require_secure_transport`.
    pub const DB_PARAMETER_GROUP: &str = "db_parameter_group";
    pub const LOAD_BALANCER: &str = "load_balancer";
    pub const TARGET_GROUP: &str = "target_group";
    pub const HTTP_LISTENER: &str = "http_listener";
    pub const HTTPS_LISTENER: &str = "https_listener";
    pub const LAUNCH_TEMPLATE: &str = "launch_template";
    pub const AUTOSCALING_GROUP: &str = "autoscaling_group";
    pub const SCALING_POLICY: &str = "cpu_scaling_policy";
    pub const DNS_RECORD: &str = "dns_record";
    /// WAFv2 web ACL (ARN) and its association with the load balancer (the ALB's ARN).
    pub const WAF_WEB_ACL: &str = "waf_web_acl";
    pub const WAF_ASSOCIATION: &str = "waf_association";
    /// The alarms block: the stack's own SNS topic (ARN), each e-mail subscription
    /// (`alarm_subscription:<address>`, its ARN or `pending confirmation`), each CloudWatch
    /// alarm (`alarm:<key>`, its name) and the group's metrics collection (the group's name).
    pub const ALARM_TOPIC: &str = "alarm_topic";
    pub const ALARM_SUBSCRIPTION: &str = "alarm_subscription";
    pub const ALARM: &str = "alarm";
    pub const GROUP_METRICS: &str = "autoscaling_group_metrics";
    /// CloudWatch Logs group (name) the instances write to.
    pub const LOG_GROUP: &str = "log_group";
    /// Secrets Manager secret (ARN) with the DB password and WordPress keys.
    pub const APP_SECRET: &str = "app_secret";
    /// IAM role (name) of the app instances, its inline policy (name), its instance profile (ARN).
    pub const APP_ROLE: &str = "app_role";
    pub const APP_ROLE_POLICY: &str = "app_role_policy";
    pub const APP_INSTANCE_PROFILE: &str = "app_instance_profile";

    /// `kind:qualifier`, e.g. `public_subnet:us-east-1a` or `security_group:alb`.
    pub fn qualified(kind: &str, qualifier: &str) -> String {
        format!("{kind}:{qualifier}")
    }
}

/// Everything the provider must keep about one stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackState {
    /// The spec as last applied, then as last observed by a read (drift shows up here).
    /// Its `database.password` holds the effective password, generated or given.
    pub spec: StackSpec,
    /// Logical name → AWS id of every object the stack owns.
    pub resources: BTreeMap<String, String>,
    pub outputs: StackOutputs,
    pub secrets: StackSecrets,
    /// What the last apply or read has to tell the user without failing (a change AWS makes
    /// wait, a version AWS moved forward); shown as warnings, never stored.
    #[serde(skip)]
    pub warnings: Vec<StackWarning>,
}

/// A warning for the user, raised by an apply or a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackWarning {
    pub summary: String,
    pub detail: String,
}

impl StackState {
    /// An empty state for a stack about to be created: nothing owned yet.
    pub fn new(spec: StackSpec) -> Self {
        StackState {
            spec,
            resources: BTreeMap::new(),
            outputs: StackOutputs::default(),
            secrets: StackSecrets::default(),
            warnings: Vec::new(),
        }
    }

    /// Add a warning, once: steps that run again in one operation do not repeat it.
    pub fn warn(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        let warning = StackWarning {
            summary: summary.into(),
            detail: detail.into(),
        };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    pub fn resource(&self, logical_name: &str) -> Option<&str> {
        self.resources.get(logical_name).map(String::as_str)
    }
}

/// The computed attributes of `wordpress_ha_stack`, filled from what AWS returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackOutputs {
    pub url: Option<String>,
    pub alb_dns_name: Option<String>,
    pub alb_zone_id: Option<String>,
    pub vpc_id: Option<String>,
    /// In the order of `network.availability_zones`.
    pub public_subnet_ids: Vec<String>,
    pub private_subnet_ids: Vec<String>,
    pub nat_gateway_ids: Vec<String>,
    pub bastion_public_ip: Option<String>,
    pub efs_id: Option<String>,
    pub db_endpoint: Option<String>,
    pub db_address: Option<String>,
    pub asg_name: Option<String>,
    pub launch_template_id: Option<String>,
    pub launch_template_version: Option<i64>,
    /// Tier (`alb`, `bastion`, `app`, `efs`, `db`) → security group id.
    pub security_group_ids: BTreeMap<String, String>,
}

/// Secrets generated once per stack and kept with it, never regenerated per instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackSecrets {
    /// WordPress authentication keys and salts (`AUTH_KEY` … `NONCE_SALT`), shared by every
    /// instance so a login cookie issued by one is honoured by all.
    pub wordpress_keys: BTreeMap<String, Secret>,
    /// The app secret's version the launch template names: the `VersionId` AWS returned when
    /// the stack wrote the secret (a read right after a write may still show the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_version: Option<String>,
    /// The site administrator's password, mirrored from the secret for the length of one
    /// apply (see `secrets::ensure_admin_password`); never serialized, never in any state.
    #[serde(skip)]
    pub admin_password: Option<Secret>,
}
