//! What an apply will do, decided before it runs: a pure function of the prior state and the
//! desired spec. The provider turns it into Terraform's plan (RequiresReplace paths, which
//! computed values become unknown) and into a summary a reviewer can read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::FieldPath;
use crate::naming::RETAG_MARKER;
use crate::spec::{AutoscalingSpec, DnsSpec, NatMode, StackSpec, REFRESH_MIN_HEALTHY_PERCENTAGE};
use crate::state::StackState;

/// Computed outputs a change can move. Names match the resource's computed attributes.
pub mod output {
    pub const URL: &str = "url";
    pub const ALB_DNS_NAME: &str = "alb_dns_name";
    pub const ALB_ZONE_ID: &str = "alb_zone_id";
    pub const VPC_ID: &str = "vpc_id";
    pub const PUBLIC_SUBNET_IDS: &str = "public_subnet_ids";
    pub const PRIVATE_SUBNET_IDS: &str = "private_subnet_ids";
    pub const NAT_GATEWAY_IDS: &str = "nat_gateway_ids";
    pub const BASTION_PUBLIC_IP: &str = "bastion_public_ip";
    pub const EFS_ID: &str = "efs_id";
    pub const DB_ENDPOINT: &str = "db_endpoint";
    pub const DB_ADDRESS: &str = "db_address";
    pub const ASG_NAME: &str = "asg_name";
    pub const LAUNCH_TEMPLATE_ID: &str = "launch_template_id";
    pub const LAUNCH_TEMPLATE_VERSION: &str = "launch_template_version";
    pub const SECURITY_GROUP_IDS: &str = "security_group_ids";
    pub const RESOURCES: &str = "resources";

    pub const ALL: [&str; 16] = [
        URL,
        ALB_DNS_NAME,
        ALB_ZONE_ID,
        VPC_ID,
        PUBLIC_SUBNET_IDS,
        PRIVATE_SUBNET_IDS,
        NAT_GATEWAY_IDS,
        BASTION_PUBLIC_IP,
        EFS_ID,
        DB_ENDPOINT,
        DB_ADDRESS,
        ASG_NAME,
        LAUNCH_TEMPLATE_ID,
        LAUNCH_TEMPLATE_VERSION,
        SECURITY_GROUP_IDS,
        RESOURCES,
    ];
}

/// Attributes AWS cannot change on a live stack: changing one replaces the whole stack.
pub const REPLACING_FIELDS: [&[&str]; 6] = [
    &["name"],
    &["network", "vpc_cidr"],
    &["network", "availability_zones"],
    &["database", "db_name"],
    &["database", "username"],
    &["storage", "performance_mode"],
];

/// One thing the apply will do to one AWS object (or group of objects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAction {
    /// The object as a reviewer names it (`launch template`, `ASG`, `RDS`…): see [`object`].
    pub object: String,
    pub action: ActionKind,
    /// What and why, for a reviewer: "new version (image wordpress:6 -> wordpress:6.6)".
    /// Never a secret's value.
    pub detail: String,
}

/// The objects named in the summary, in the words of the AWS console.
pub mod object {
    pub const STACK: &str = "stack";
    pub const EVERY_OBJECT: &str = "every object";
    pub const VPC: &str = "VPC";
    pub const SUBNETS: &str = "subnets";
    pub const INTERNET_GATEWAY: &str = "internet gateway";
    pub const NAT_GATEWAY: &str = "NAT gateway";
    pub const PRIVATE_ROUTE_TABLES: &str = "private route tables";
    pub const SECURITY_GROUPS: &str = "security groups";
    pub const BASTION_SECURITY_GROUP: &str = "bastion security group";
    pub const BASTION: &str = "bastion instance";
    pub const SECRET: &str = "secret";
    pub const EFS: &str = "EFS file system";
    pub const RDS: &str = "RDS";
    pub const ALB: &str = "ALB";
    pub const TARGET_GROUP: &str = "target group";
    pub const HTTP_LISTENER: &str = "HTTP listener";
    pub const HTTPS_LISTENER: &str = "HTTPS listener";
    pub const LAUNCH_TEMPLATE: &str = "launch template";
    pub const ASG: &str = "ASG";
    pub const SCALING_POLICY: &str = "scaling policy";
    pub const DNS_RECORD: &str = "Route 53 record";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Create,
    Update,
    Replace,
    Delete,
}

/// The decided plan for one stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackPlan {
    /// Changed attributes that force a new stack.
    pub replace: Vec<FieldPath>,
    pub actions: Vec<PlannedAction>,
    /// Outputs whose value only the apply will know.
    pub unknown_outputs: BTreeSet<&'static str>,
}

impl StackPlan {
    pub fn is_noop(&self) -> bool {
        self.replace.is_empty() && self.actions.is_empty()
    }

    fn push(&mut self, object: &str, kind: ActionKind, detail: impl Into<String>) {
        self.actions.push(action(object, kind, &detail.into()));
    }
}

/// Plan a create: every object is new and every output unknown.
pub fn plan_create(spec: &StackSpec) -> StackPlan {
    use ActionKind::Create;
    let zones = spec.network.availability_zones.as_deref().unwrap_or(&[]);
    let per_zone = |what: &str| format!("{what} in each of {} zones", zones.len());
    let nat = match spec.network.nat_gateways {
        NatMode::OnePerAz => per_zone("NAT gateway + EIP"),
        NatMode::Single => "one NAT gateway + EIP for all zones".to_string(),
    };
    let db = format!(
        "MySQL {} {}{}, encrypted, private",
        spec.database.engine_version,
        spec.database.instance_class,
        if spec.database.multi_az {
            ", Multi-AZ"
        } else {
            ""
        }
    );
    let mut plan = StackPlan {
        unknown_outputs: output::ALL.into_iter().collect(),
        ..StackPlan::default()
    };
    plan.push(object::VPC, Create, &spec.network.vpc_cidr);
    plan.push(object::SUBNETS, Create, per_zone("public + private subnet"));
    plan.push(
        object::INTERNET_GATEWAY,
        Create,
        "attached, public default route",
    );
    plan.push(object::NAT_GATEWAY, Create, nat);
    plan.push(
        object::SECURITY_GROUPS,
        Create,
        "alb, bastion, app, efs, db (chained)",
    );
    plan.push(
        object::SECRET,
        Create,
        "database password + WordPress keys, readable only by the instances' IAM role",
    );
    plan.push(object::EFS, Create, per_zone("encrypted, mount target"));
    plan.push(object::RDS, Create, db);
    let listeners = if spec.load_balancer.certificate_arn.is_some() {
        "HTTPS listener, HTTP redirecting to HTTPS"
    } else {
        "HTTP listener"
    };
    plan.push(
        object::ALB,
        Create,
        format!("internet-facing, target group, {listeners}"),
    );
    plan.push(
        object::LAUNCH_TEMPLATE,
        Create,
        format!(
            "{} on {}",
            spec.wordpress.image, spec.wordpress.instance_type
        ),
    );
    plan.push(
        object::ASG,
        Create,
        format!(
            "{}..{} instances, CPU target {}%",
            spec.autoscaling.min_size,
            spec.autoscaling.max_size,
            spec.autoscaling.target_cpu_utilization
        ),
    );
    if spec.bastion.enabled {
        plan.push(object::BASTION, Create, &spec.bastion.instance_type);
    }
    if let Some(dns) = &spec.dns {
        plan.push(
            object::DNS_RECORD,
            Create,
            format!("alias {} -> ALB", dns.record_name),
        );
    }
    plan
}

/// Plan an update from what exists (`prior`) to `desired`.
pub fn plan_update(prior: &StackState, desired: &StackSpec) -> StackPlan {
    let before = &prior.spec;
    let replace = replacing_changes(before, desired);
    if !replace.is_empty() {
        let paths: Vec<String> = replace.iter().map(ToString::to_string).collect();
        return StackPlan {
            actions: vec![action(
                object::STACK,
                ActionKind::Replace,
                &format!(
                    "{} changed: every AWS object is destroyed and created again",
                    paths.join(", ")
                ),
            )],
            replace,
            unknown_outputs: output::ALL.into_iter().collect(),
        };
    }
    let mut plan = StackPlan::default();
    // Why the instances' launch template needs a new version, gathered across the tiers.
    let mut template = TemplateReasons::default();
    plan_network(before, desired, &mut plan);
    plan_bastion(before, desired, &mut plan);
    plan_app(before, desired, &mut plan, &mut template);
    plan_database(before, desired, &mut plan, &mut template);
    plan_storage(before, desired, &mut plan);
    plan_load_balancer(before, desired, &mut plan, &mut template);
    plan_dns(before, desired, &mut plan);
    if before.tags != desired.tags {
        plan.push(
            object::EVERY_OBJECT,
            ActionKind::Update,
            format!("tags {}", map_changes(&before.tags, &desired.tags)),
        );
        template.tags_only_for_instances = true;
    }
    template.plan(&mut plan);
    let missing = missing_objects(prior, desired);
    if !missing.is_empty() {
        plan.push(
            object::STACK,
            ActionKind::Create,
            format!(
                "recreate what was deleted outside Terraform: {}",
                missing.join(", ")
            ),
        );
        plan.unknown_outputs.extend(output::ALL);
    }
    plan
}

/// Reasons for a new launch template version. Instances are refreshed for any of them but
/// tags: new tags reach new instances, running ones keep theirs (the app tier skips the
/// refresh when versions differ in tags only).
#[derive(Debug, Default)]
struct TemplateReasons {
    refreshing: Vec<String>,
    tags_only_for_instances: bool,
}

impl TemplateReasons {
    fn add(&mut self, reason: impl Into<String>) {
        self.refreshing.push(reason.into());
    }

    fn plan(self, plan: &mut StackPlan) {
        if self.refreshing.is_empty() && !self.tags_only_for_instances {
            return;
        }
        let mut reasons = self.refreshing.clone();
        if self.tags_only_for_instances {
            reasons.push("instance tags".to_string());
        }
        plan.push(
            object::LAUNCH_TEMPLATE,
            ActionKind::Update,
            format!("new version ({})", reasons.join(", ")),
        );
        plan.unknown_outputs.insert(output::LAUNCH_TEMPLATE_VERSION);
        if !self.refreshing.is_empty() {
            plan.push(
                object::ASG,
                ActionKind::Update,
                format!(
                    "instance refresh to the new launch template version (keeps {}% healthy)",
                    REFRESH_MIN_HEALTHY_PERCENTAGE
                ),
            );
        }
    }
}

fn replacing_changes(before: &StackSpec, after: &StackSpec) -> Vec<FieldPath> {
    let mut paths = Vec::new();
    let mut check = |changed: bool, path: &[&str]| {
        if changed {
            paths.push(FieldPath::attrs(path));
        }
    };
    check(before.name != after.name, REPLACING_FIELDS[0]);
    check(
        before.network.vpc_cidr != after.network.vpc_cidr,
        REPLACING_FIELDS[1],
    );
    check(
        before.network.availability_zones != after.network.availability_zones,
        REPLACING_FIELDS[2],
    );
    check(
        before.database.db_name != after.database.db_name,
        REPLACING_FIELDS[3],
    );
    check(
        before.database.username != after.database.username,
        REPLACING_FIELDS[4],
    );
    check(
        before.storage.performance_mode != after.storage.performance_mode,
        REPLACING_FIELDS[5],
    );
    paths
}

/// `a -> b`, the words every detail uses for a changed value.
fn from_to(before: impl std::fmt::Display, after: impl std::fmt::Display) -> String {
    format!("{before} -> {after}")
}

fn optional(value: Option<&str>) -> &str {
    value.unwrap_or("none")
}

fn on_off(value: bool) -> &'static str {
    if value {
        "on"
    } else {
        "off"
    }
}

/// `+added ~changed -removed` keys of the stack's tags (keys only: values may be long). A
/// refresh that found tags wrong in a way `tags` cannot show (a changed provider
/// `default_tags`, an edit outside Terraform) left a marker naming the keys to put right.
fn map_changes(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let mut parts = Vec::new();
    for (key, value) in after {
        match before.get(key) {
            None => parts.push(format!("+{key}")),
            Some(old) if old != value => parts.push(format!("~{key}")),
            Some(_) => {}
        }
    }
    for (key, value) in before {
        if key == RETAG_MARKER {
            parts.push(format!("re-tag {value}"));
        } else if !after.contains_key(key) {
            parts.push(format!("-{key}"));
        }
    }
    parts.join(" ")
}

fn plan_network(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (before.network.nat_gateways, after.network.nat_gateways);
    if b == a {
        return;
    }
    let zones = after.network.availability_zones.as_deref().unwrap_or(&[]);
    let first_zone = zones.first().map_or("the first zone", String::as_str);
    let others = zones.len().saturating_sub(1);
    match a {
        NatMode::OnePerAz => {
            plan.push(
                object::NAT_GATEWAY,
                ActionKind::Create,
                format!(
                    "{} -> {}: one + EIP in each of {others} more zone(s)",
                    b.as_str(),
                    a.as_str()
                ),
            );
            plan.push(
                object::PRIVATE_ROUTE_TABLES,
                ActionKind::Update,
                "each zone's default route to its own NAT gateway",
            );
        }
        NatMode::Single => {
            plan.push(
                object::PRIVATE_ROUTE_TABLES,
                ActionKind::Update,
                format!("every zone's default route to the NAT gateway in {first_zone}"),
            );
            plan.push(
                object::NAT_GATEWAY,
                ActionKind::Delete,
                format!(
                    "{} -> {}: {others} NAT gateway(s) + EIP(s), after the routes moved",
                    b.as_str(),
                    a.as_str()
                ),
            );
        }
    }
    plan.unknown_outputs
        .extend([output::NAT_GATEWAY_IDS, output::RESOURCES]);
}

fn plan_bastion(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.bastion, &after.bastion);
    if b.enabled != a.enabled {
        if a.enabled {
            plan.push(
                object::BASTION,
                ActionKind::Create,
                format!("{} in the first zone's public subnet", a.instance_type),
            );
        } else {
            plan.push(object::BASTION, ActionKind::Delete, "bastion disabled");
        }
        plan.unknown_outputs
            .extend([output::BASTION_PUBLIC_IP, output::RESOURCES]);
    }
    if !a.enabled {
        return;
    }
    if b.allowed_ssh_cidrs != a.allowed_ssh_cidrs {
        let added = a
            .allowed_ssh_cidrs
            .iter()
            .filter(|c| !b.allowed_ssh_cidrs.contains(c));
        let removed = b
            .allowed_ssh_cidrs
            .iter()
            .filter(|c| !a.allowed_ssh_cidrs.contains(c));
        let changes: Vec<String> = added
            .map(|c| format!("+{c}"))
            .chain(removed.map(|c| format!("-{c}")))
            .collect();
        plan.push(
            object::BASTION_SECURITY_GROUP,
            ActionKind::Update,
            format!("SSH ingress {}", changes.join(" ")),
        );
    }
    if !b.enabled {
        return;
    }
    let mut changed = Vec::new();
    if b.instance_type != a.instance_type {
        changed.push(format!(
            "instance type {}",
            from_to(&b.instance_type, &a.instance_type)
        ));
    }
    if b.key_name != a.key_name {
        let (old, new) = (
            optional(b.key_name.as_deref()),
            optional(a.key_name.as_deref()),
        );
        changed.push(format!("key pair {}", from_to(old, new)));
    }
    if b.ami_id != a.ami_id {
        let (old, new) = (optional(b.ami_id.as_deref()), optional(a.ami_id.as_deref()));
        changed.push(format!("AMI {}", from_to(old, new)));
    }
    if !changed.is_empty() {
        plan.push(
            object::BASTION,
            ActionKind::Replace,
            format!(
                "{}: new instance first, then the old one terminated",
                changed.join(", ")
            ),
        );
        plan.unknown_outputs
            .extend([output::BASTION_PUBLIC_IP, output::RESOURCES]);
    }
}

fn plan_app(
    before: &StackSpec,
    after: &StackSpec,
    plan: &mut StackPlan,
    template: &mut TemplateReasons,
) {
    let (b, a) = (&before.wordpress, &after.wordpress);
    if b.image != a.image {
        template.add(format!("image {}", from_to(&b.image, &a.image)));
    }
    if b.instance_type != a.instance_type {
        template.add(format!(
            "instance type {}",
            from_to(&b.instance_type, &a.instance_type)
        ));
    }
    if b.ami_id != a.ami_id {
        let (old, new) = (optional(b.ami_id.as_deref()), optional(a.ami_id.as_deref()));
        template.add(format!("AMI {}", from_to(old, new)));
    }
    if b.key_name != a.key_name {
        let (old, new) = (
            optional(b.key_name.as_deref()),
            optional(a.key_name.as_deref()),
        );
        template.add(format!("key pair {}", from_to(old, new)));
    }
    if b.config_extra != a.config_extra {
        template.add("config_extra");
    }
    plan_group_sizes(&before.autoscaling, &after.autoscaling, plan);
}

fn plan_group_sizes(b: &AutoscalingSpec, a: &AutoscalingSpec, plan: &mut StackPlan) {
    let mut changed = Vec::new();
    let mut size = |name: &str, old: i64, new: i64| {
        if old != new {
            changed.push(format!("{name} {}", from_to(old, new)));
        }
    };
    size("min", b.min_size, a.min_size);
    size("max", b.max_size, a.max_size);
    if b.desired_capacity != a.desired_capacity {
        let show = |d: Option<i64>| d.map_or("the group's own".to_string(), |d| d.to_string());
        changed.push(format!(
            "desired {}",
            from_to(show(b.desired_capacity), show(a.desired_capacity))
        ));
    }
    if b.health_check_grace_period != a.health_check_grace_period {
        changed.push(format!(
            "health check grace {} s",
            from_to(b.health_check_grace_period, a.health_check_grace_period)
        ));
    }
    if !changed.is_empty() {
        plan.push(object::ASG, ActionKind::Update, changed.join(", "));
    }
    if b.target_cpu_utilization != a.target_cpu_utilization {
        plan.push(
            object::SCALING_POLICY,
            ActionKind::Update,
            format!(
                "CPU target {}% -> {}%",
                b.target_cpu_utilization, a.target_cpu_utilization
            ),
        );
    }
}

fn plan_database(
    before: &StackSpec,
    after: &StackSpec,
    plan: &mut StackPlan,
    template: &mut TemplateReasons,
) {
    let (b, a) = (&before.database, &after.database);
    let mut changed = Vec::new();
    if b.instance_class != a.instance_class {
        changed.push(format!(
            "class {}",
            from_to(&b.instance_class, &a.instance_class)
        ));
    }
    if b.engine_version != a.engine_version {
        changed.push(format!(
            "engine version {}",
            from_to(&b.engine_version, &a.engine_version)
        ));
    }
    if b.allocated_storage != a.allocated_storage {
        changed.push(format!(
            "storage {} GiB",
            from_to(b.allocated_storage, a.allocated_storage)
        ));
    }
    if b.max_allocated_storage != a.max_allocated_storage {
        changed.push(format!(
            "max storage {} GiB",
            from_to(b.max_allocated_storage, a.max_allocated_storage)
        ));
    }
    if b.multi_az != a.multi_az {
        changed.push(format!(
            "Multi-AZ {}",
            from_to(on_off(b.multi_az), on_off(a.multi_az))
        ));
    }
    // Only a password the configuration sets is a change: an unset one keeps the stack's.
    let new_password = a.password.is_some() && b.password != a.password;
    if new_password {
        changed.push("master password".to_string());
    }
    if b.backup_retention_days != a.backup_retention_days {
        changed.push(format!(
            "backup retention {} days",
            from_to(b.backup_retention_days, a.backup_retention_days)
        ));
    }
    if b.deletion_protection != a.deletion_protection {
        changed.push(format!(
            "deletion protection {}",
            from_to(on_off(b.deletion_protection), on_off(a.deletion_protection))
        ));
    }
    if !changed.is_empty() {
        plan.push(
            object::RDS,
            ActionKind::Update,
            format!("modify {} (applied immediately)", changed.join(", ")),
        );
    }
    if new_password {
        plan.push(
            object::SECRET,
            ActionKind::Update,
            "new version with the new master password",
        );
        // The instances read the secret's version named in their user data.
        template.add("database password");
    }
    if b.skip_final_snapshot != a.skip_final_snapshot {
        let word = |skip: bool| if skip { "skipped" } else { "taken" };
        plan.push(
            object::RDS,
            ActionKind::Update,
            format!(
                "final snapshot on delete {} (kept in state for destroy, no AWS call)",
                from_to(word(b.skip_final_snapshot), word(a.skip_final_snapshot))
            ),
        );
    }
}

fn plan_storage(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.storage, &after.storage);
    let mode = |s: &crate::spec::StorageSpec| match s.provisioned_throughput_mibps {
        Some(mibps) => format!("{} ({mibps} MiB/s)", s.throughput_mode),
        None => s.throughput_mode.clone(),
    };
    if b.throughput_mode != a.throughput_mode
        || b.provisioned_throughput_mibps != a.provisioned_throughput_mibps
    {
        plan.push(
            object::EFS,
            ActionKind::Update,
            format!("throughput mode {}", from_to(mode(b), mode(a))),
        );
    }
}

fn plan_load_balancer(
    before: &StackSpec,
    after: &StackSpec,
    plan: &mut StackPlan,
    template: &mut TemplateReasons,
) {
    let (b, a) = (&before.load_balancer, &after.load_balancer);
    if b.certificate_arn != a.certificate_arn {
        match (&b.certificate_arn, &a.certificate_arn) {
            (None, Some(_)) => {
                plan.push(
                    object::HTTPS_LISTENER,
                    ActionKind::Create,
                    "port 443 with the certificate",
                );
                plan.push(
                    object::HTTP_LISTENER,
                    ActionKind::Update,
                    "redirects to HTTPS",
                );
            }
            (Some(_), None) => {
                plan.push(
                    object::HTTPS_LISTENER,
                    ActionKind::Delete,
                    "certificate removed",
                );
                plan.push(
                    object::HTTP_LISTENER,
                    ActionKind::Update,
                    "forwards to the target group again",
                );
            }
            _ => plan.push(
                object::HTTPS_LISTENER,
                ActionKind::Update,
                "certificate replaced",
            ),
        }
        plan.unknown_outputs
            .extend([output::URL, output::RESOURCES, output::SECURITY_GROUP_IDS]);
    }
    if b.health_check_path != a.health_check_path {
        plan.push(
            object::TARGET_GROUP,
            ActionKind::Update,
            format!(
                "health check path {}",
                from_to(&b.health_check_path, &a.health_check_path)
            ),
        );
        // The instances serve the health file, so they need the new path too.
        template.add("health check path");
    }
    if b.idle_timeout != a.idle_timeout {
        plan.push(
            object::ALB,
            ActionKind::Update,
            format!("idle timeout {} s", from_to(b.idle_timeout, a.idle_timeout)),
        );
    }
}

fn plan_dns(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    if before.dns == after.dns {
        return;
    }
    let describe = |dns: &DnsSpec| format!("{} in zone {}", dns.record_name, dns.zone_id);
    match (&before.dns, &after.dns) {
        (None, Some(a)) => plan.push(
            object::DNS_RECORD,
            ActionKind::Create,
            format!("alias {} -> ALB", describe(a)),
        ),
        (Some(b), None) => plan.push(object::DNS_RECORD, ActionKind::Delete, describe(b)),
        (Some(b), Some(a)) => plan.push(
            object::DNS_RECORD,
            ActionKind::Replace,
            from_to(describe(b), describe(a)),
        ),
        (None, None) => {}
    }
    plan.unknown_outputs
        .extend([output::URL, output::RESOURCES]);
}

/// Objects both the applied and the desired spec need that are absent from the state (deleted
/// out of band and dropped by the last read), so the apply must recreate them; by logical
/// name. Objects only the desired spec needs (a NAT gateway per zone, a bastion being
/// enabled) are new, and their tier's planner reports them.
fn missing_objects(prior: &StackState, desired: &StackSpec) -> Vec<String> {
    let applied: BTreeSet<String> = expected_objects(&prior.spec).into_iter().collect();
    expected_objects(desired)
        .into_iter()
        .filter(|name| applied.contains(name) && !prior.resources.contains_key(name))
        .collect()
}

/// Logical names of the objects a stack of this spec owns, as `StackState::resources` keys.
/// Objects whose presence depends on more than the spec (listener rules…) are left out.
pub fn expected_objects(spec: &StackSpec) -> Vec<String> {
    use crate::state::logical as l;
    let zones = spec.network.availability_zones.as_deref().unwrap_or(&[]);
    let mut names: Vec<String> = [
        l::VPC,
        l::INTERNET_GATEWAY,
        l::PUBLIC_ROUTE_TABLE,
        l::EFS_FILE_SYSTEM,
        l::DB_SUBNET_GROUP,
        l::DB_INSTANCE,
        l::LOAD_BALANCER,
        l::TARGET_GROUP,
        l::HTTP_LISTENER,
        l::LAUNCH_TEMPLATE,
        l::AUTOSCALING_GROUP,
        l::SCALING_POLICY,
        l::APP_SECRET,
        l::APP_ROLE,
        l::APP_ROLE_POLICY,
        l::APP_INSTANCE_PROFILE,
    ]
    .map(String::from)
    .into();
    for tier in ["alb", "bastion", "app", "efs", "db"] {
        names.push(l::qualified(l::SECURITY_GROUP, tier));
    }
    for zone in zones {
        for kind in [
            l::PUBLIC_SUBNET,
            l::PRIVATE_SUBNET,
            l::PUBLIC_ROUTE_TABLE_ASSOCIATION,
            l::PRIVATE_ROUTE_TABLE,
            l::PRIVATE_ROUTE_TABLE_ASSOCIATION,
            l::EFS_MOUNT_TARGET,
        ] {
            names.push(l::qualified(kind, zone));
        }
    }
    let nat_zones = match spec.network.nat_gateways {
        NatMode::OnePerAz => zones,
        NatMode::Single => &zones[..zones.len().min(1)],
    };
    for zone in nat_zones {
        names.push(l::qualified(l::NAT_EIP, zone));
        names.push(l::qualified(l::NAT_GATEWAY, zone));
    }
    if spec.bastion.enabled {
        names.push(l::BASTION_INSTANCE.into());
    }
    if spec.load_balancer.certificate_arn.is_some() {
        names.push(l::HTTPS_LISTENER.into());
    }
    if spec.dns.is_some() {
        names.push(l::DNS_RECORD.into());
    }
    names
}

fn action(object: &str, action: ActionKind, detail: &str) -> PlannedAction {
    PlannedAction {
        object: object.to_string(),
        action,
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Secret;
    use crate::state::logical;

    fn existing(spec: &StackSpec) -> StackState {
        let mut state = StackState::new(spec.clone());
        for name in expected_objects(spec) {
            state.resources.insert(name.clone(), format!("id-{name}"));
        }
        state
    }

    fn spec() -> StackSpec {
        let mut spec = StackSpec::with_name("blog");
        spec.network.availability_zones = Some(vec!["us-east-1a".into(), "us-east-1b".into()]);
        spec
    }

    #[test]
    fn unchanged_spec_plans_nothing() {
        let spec = spec();
        let plan = plan_update(&existing(&spec), &spec);
        assert!(plan.is_noop(), "{plan:?}");
        assert!(plan.unknown_outputs.is_empty());
    }

    #[test]
    fn replacing_attributes_are_reported_by_path() {
        let before = spec();
        let mut after = before.clone();
        after.network.vpc_cidr = "10.1.0.0/16".into();
        after.database.db_name = "blog".into();
        let plan = plan_update(&existing(&before), &after);
        let paths: Vec<String> = plan.replace.iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["network.vpc_cidr", "database.db_name"]);
        assert!(plan.unknown_outputs.contains(output::VPC_ID));
    }

    #[test]
    fn image_change_rolls_a_new_template_version_only() {
        let before = spec();
        let mut after = before.clone();
        after.wordpress.image = "wordpress:6.5-apache".into();
        let plan = plan_update(&existing(&before), &after);
        assert!(plan.replace.is_empty());
        assert_eq!(
            plan.unknown_outputs,
            BTreeSet::from([output::LAUNCH_TEMPLATE_VERSION])
        );
        assert!(plan.actions.iter().any(|a| a.object == object::ASG));
    }

    #[test]
    fn nat_mode_switch_changes_nat_ids() {
        let before = spec();
        let mut after = before.clone();
        after.network.nat_gateways = NatMode::Single;
        let plan = plan_update(&existing(&before), &after);
        assert!(plan.unknown_outputs.contains(output::NAT_GATEWAY_IDS));
        assert!(!plan.unknown_outputs.contains(output::VPC_ID));
    }

    #[test]
    fn objects_deleted_out_of_band_are_recreated() {
        let spec = spec();
        let mut state = existing(&spec);
        state.resources.remove(logical::BASTION_INSTANCE);
        let plan = plan_update(&state, &spec);
        assert!(!plan.is_noop());
        assert!(plan.unknown_outputs.contains(output::RESOURCES));
    }

    /// The summary as the provider shows it: `<verb> <object>: <detail>`.
    fn lines(plan: &StackPlan) -> Vec<String> {
        plan.actions
            .iter()
            .map(|a| format!("{:?} {}: {}", a.action, a.object, a.detail))
            .collect()
    }

    fn update_lines(change: impl FnOnce(&mut StackSpec)) -> Vec<String> {
        let before = spec();
        let mut after = before.clone();
        change(&mut after);
        lines(&plan_update(&existing(&before), &after))
    }

    #[test]
    fn wordpress_changes_name_each_reason_once_and_refresh_the_instances() {
        let summary = update_lines(|s| {
            s.wordpress.image = "wordpress:6.6-apache".into();
            s.wordpress.instance_type = "t3.medium".into();
            s.wordpress.config_extra = Some("define('A', 1);".into());
        });
        assert_eq!(
            summary,
            [
                "Update launch template: new version (image wordpress:6-apache -> wordpress:6.6-apache, \
instance type t3.small -> t3.medium, config_extra)",
                "Update ASG: instance refresh to the new launch template version (keeps 90% healthy)",
            ]
        );
    }

    #[test]
    fn tags_alone_give_a_template_version_without_an_instance_refresh() {
        let summary = update_lines(|s| {
            s.tags.insert("team".into(), "web".into());
        });
        assert_eq!(
            summary,
            [
                "Update every object: tags +team",
                "Update launch template: new version (instance tags)",
            ]
        );
    }

    #[test]
    fn sizes_and_cpu_target_touch_only_the_group_and_its_policy() {
        let summary = update_lines(|s| {
            s.autoscaling.min_size = 3;
            s.autoscaling.desired_capacity = Some(4);
            s.autoscaling.target_cpu_utilization = 45.0;
        });
        assert_eq!(
            summary,
            [
                "Update ASG: min 2 -> 3, desired the group's own -> 4",
                "Update scaling policy: CPU target 60% -> 45%",
            ]
        );
    }

    #[test]
    fn database_changes_are_one_modify_line_with_before_and_after() {
        let summary = update_lines(|s| {
            s.database.instance_class = "db.t3.small".into();
            s.database.allocated_storage = 30;
            s.database.multi_az = false;
            s.database.deletion_protection = true;
        });
        assert_eq!(
            summary,
            [
                "Update RDS: modify class db.t3.micro -> db.t3.small, storage 20 -> 30 GiB, \
Multi-AZ on -> off, deletion protection off -> on (applied immediately)"
            ]
        );
    }

    #[test]
    fn a_new_password_is_named_never_shown_and_rolls_the_instances() {
        let secret = "Sup3r-secret-value";
        let summary = update_lines(|s| s.database.password = Some(Secret::new(secret)));
        assert!(
            summary.iter().all(|line| !line.contains(secret)),
            "{summary:#?}"
        );
        assert_eq!(
            summary,
            [
                "Update RDS: modify master password (applied immediately)",
                "Update secret: new version with the new master password",
                "Update launch template: new version (database password)",
                "Update ASG: instance refresh to the new launch template version (keeps 90% healthy)",
            ]
        );
    }

    #[test]
    fn nat_switches_say_which_gateways_come_and_go() {
        let to_single = update_lines(|s| s.network.nat_gateways = NatMode::Single);
        assert_eq!(
            to_single,
            [
                "Update private route tables: every zone's default route to the NAT gateway in us-east-1a",
                "Delete NAT gateway: one_per_az -> single: 1 NAT gateway(s) + EIP(s), after the routes moved",
            ]
        );
        let mut single = spec();
        single.network.nat_gateways = NatMode::Single;
        let mut per_zone = single.clone();
        per_zone.network.nat_gateways = NatMode::OnePerAz;
        let plan = plan_update(&existing(&single), &per_zone);
        // The new gateways are new objects, not a stack recreated: other outputs stay known.
        assert!(!plan.unknown_outputs.contains(output::VPC_ID), "{plan:?}");
        let to_per_zone = lines(&plan);
        assert_eq!(
            to_per_zone,
            [
                "Create NAT gateway: single -> one_per_az: one + EIP in each of 1 more zone(s)",
                "Update private route tables: each zone's default route to its own NAT gateway",
            ]
        );
    }

    #[test]
    fn bastion_lines_follow_what_changed() {
        let summary = update_lines(|s| {
            s.bastion.allowed_ssh_cidrs = vec!["198.51.100.0/24".into()];
            s.bastion.instance_type = "t3.small".into();
        });
        assert_eq!(
            summary,
            [
                "Update bastion security group: SSH ingress +198.51.100.0/24",
                "Replace bastion instance: instance type t3.micro -> t3.small: new instance first, then the old one terminated",
            ]
        );
        let disabled = update_lines(|s| s.bastion.enabled = false);
        assert_eq!(disabled, ["Delete bastion instance: bastion disabled"]);
    }

    #[test]
    fn load_balancer_and_dns_lines() {
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        let summary = update_lines(|s| {
            s.load_balancer.certificate_arn = Some(arn.into());
            s.load_balancer.health_check_path = "/up".into();
            s.load_balancer.idle_timeout = 120;
            s.dns = Some(DnsSpec {
                zone_id: "Z1".into(),
                record_name: "blog.example.com".into(),
            });
        });
        assert_eq!(
            summary,
            [
                "Create HTTPS listener: port 443 with the certificate",
                "Update HTTP listener: redirects to HTTPS",
                "Update target group: health check path /healthz.html -> /up",
                "Update ALB: idle timeout 60 -> 120 s",
                "Create Route 53 record: alias blog.example.com in zone Z1 -> ALB",
                "Update launch template: new version (health check path)",
                "Update ASG: instance refresh to the new launch template version (keeps 90% healthy)",
            ]
        );
    }

    #[test]
    fn storage_and_replacement_lines() {
        let summary = update_lines(|s| {
            s.storage.throughput_mode = "provisioned".into();
            s.storage.provisioned_throughput_mibps = Some(64.0);
        });
        assert_eq!(
            summary,
            ["Update EFS file system: throughput mode elastic -> provisioned (64 MiB/s)"]
        );
        let replaced = update_lines(|s| s.name = "other".into());
        assert_eq!(
            replaced,
            ["Replace stack: name changed: every AWS object is destroyed and created again"]
        );
    }

    #[test]
    fn recreated_objects_are_listed_by_name() {
        let spec = spec();
        let mut state = existing(&spec);
        state.resources.remove(logical::BASTION_INSTANCE);
        assert_eq!(
            lines(&plan_update(&state, &spec)),
            ["Create stack: recreate what was deleted outside Terraform: bastion_instance"]
        );
    }

    #[test]
    fn a_refresh_marker_reads_as_a_re_tag_not_as_a_removed_key() {
        let before = BTreeMap::from([
            ("env".to_string(), "test".to_string()),
            (RETAG_MARKER.to_string(), "team".to_string()),
        ]);
        let after = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        assert_eq!(map_changes(&before, &after), "~env re-tag team");
    }
}
