//! What each tier's changed attributes mean on AWS, one planner per tier, in the words a
//! reviewer reads (`a -> b`), and why the instances need a new launch template version.

use std::collections::BTreeMap;

use super::{object, output, ActionKind, Risk, StackPlan};
use crate::naming::RETAG_MARKER;
use crate::spec::{
    AutoscalingSpec, DnsSpec, NatMode, StackSpec, StorageSpec, REFRESH_MIN_HEALTHY_PERCENTAGE,
};

/// Reasons for a new launch template version. Instances are refreshed for any of them but
/// tags: new tags reach new instances, running ones keep theirs (the app tier skips the
/// refresh when versions differ in tags only).
#[derive(Debug, Default)]
pub(super) struct TemplateReasons {
    refreshing: Vec<String>,
    pub(super) tags_only_for_instances: bool,
    /// What only instances launched later read, running ones never need (`plan::site`).
    pub(super) for_new_instances: Vec<String>,
    /// The new version runs another instance type: the bill moves.
    pub(super) changes_cost: bool,
}

impl TemplateReasons {
    pub(super) fn add(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        if !self.refreshing.contains(&reason) {
            self.refreshing.push(reason);
        }
    }

    pub(super) fn plan(self, plan: &mut StackPlan) {
        if self.refreshing.is_empty()
            && !self.tags_only_for_instances
            && self.for_new_instances.is_empty()
        {
            return;
        }
        let mut reasons = [self.refreshing.clone(), self.for_new_instances.clone()].concat();
        if self.tags_only_for_instances {
            reasons.push("instance tags".to_string());
        }
        plan.push(
            object::LAUNCH_TEMPLATE,
            ActionKind::Update,
            format!("new version ({})", reasons.join(", ")),
        )
        .risk_if(self.changes_cost, Risk::Cost);
        plan.unknown_outputs.insert(output::LAUNCH_TEMPLATE_VERSION);
        if !self.refreshing.is_empty() {
            plan.push(
                object::ASG,
                ActionKind::Update,
                format!(
                    "instance refresh to the new launch template version (keeps {}% healthy)",
                    REFRESH_MIN_HEALTHY_PERCENTAGE
                ),
            )
            // Every instance is replaced; a capacity dip or a bad image answers errors.
            .risk(Risk::Downtime);
        }
    }
}

/// `a -> b`, the words every detail uses for a changed value.
fn from_to(before: impl std::fmt::Display, after: impl std::fmt::Display) -> String {
    format!("{before} -> {after}")
}

fn optional(value: Option<&str>) -> &str {
    value.unwrap_or("none")
}

/// An AMI id, or what apply resolves when there is none (planning leaves it unknown when the
/// instance type moves to another architecture).
fn ami(value: Option<&str>) -> &str {
    value.unwrap_or("the current Amazon Linux 2023 of the instance type's architecture")
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
pub(super) fn map_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> String {
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

pub(super) fn plan_network(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
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
            )
            .risk(Risk::Cost);
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
            )
            .risk(Risk::Cost);
        }
    }
    plan.unknown_outputs
        .extend([output::NAT_GATEWAY_IDS, output::RESOURCES]);
}

pub(super) fn plan_bastion(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.bastion, &after.bastion);
    if b.enabled != a.enabled {
        if a.enabled {
            plan.push(
                object::BASTION,
                ActionKind::Create,
                format!("{} in the first zone's public subnet", a.instance_type),
            )
            .risk(Risk::Cost);
        } else {
            plan.push(object::BASTION, ActionKind::Delete, "bastion disabled")
                .risk(Risk::Cost);
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
        let (old, new) = (ami(b.ami_id.as_deref()), ami(a.ami_id.as_deref()));
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
        )
        .risk_if(b.instance_type != a.instance_type, Risk::Cost);
        plan.unknown_outputs
            .extend([output::BASTION_PUBLIC_IP, output::RESOURCES]);
    }
}

pub(super) fn plan_app(
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
        template.changes_cost = true;
    }
    if b.ami_id != a.ami_id {
        let (old, new) = (ami(b.ami_id.as_deref()), ami(a.ami_id.as_deref()));
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
        let sizes = b.min_size != a.min_size
            || b.max_size != a.max_size
            || b.desired_capacity != a.desired_capacity;
        plan.push(object::ASG, ActionKind::Update, changed.join(", "))
            .risk_if(sizes, Risk::Cost);
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

pub(super) fn plan_database(
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
        // Another major version needs the stack's parameter group of its family.
        let family = crate::engine_version::parameter_group_family(&a.engine_version);
        let new_group = crate::engine_version::parameter_group_family(&b.engine_version) != family;
        changed.push(format!(
            "engine version {}{}",
            from_to(&b.engine_version, &a.engine_version),
            if new_group {
                format!(" with parameter group {family}")
            } else {
                String::new()
            }
        ));
        if new_group {
            plan.unknown_outputs.insert(output::RESOURCES);
        }
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
        // A class or engine change reboots the instance (a failover with Multi-AZ), and so
        // does turning automated backups on or off.
        let backups_switched = (b.backup_retention_days == 0) != (a.backup_retention_days == 0);
        let reboots = b.instance_class != a.instance_class
            || b.engine_version != a.engine_version
            || backups_switched;
        let bills = b.instance_class != a.instance_class
            || b.multi_az != a.multi_az
            || b.allocated_storage != a.allocated_storage;
        plan.push(
            object::RDS,
            ActionKind::Update,
            format!("modify {} (applied immediately)", changed.join(", ")),
        )
        .risk_if(reboots, Risk::Downtime)
        .risk_if(bills, Risk::Cost);
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
        )
        .risk_if(a.skip_final_snapshot, Risk::DataLoss);
    }
}

pub(super) fn plan_storage(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.storage, &after.storage);
    let mode = |s: &StorageSpec| match s.provisioned_throughput_mibps {
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
        )
        .risk(Risk::Cost);
    }
    if b.backups != a.backups {
        // Off stops new recovery points; AWS Backup keeps the existing ones until they expire.
        plan.push(
            object::EFS,
            ActionKind::Update,
            format!(
                "automatic backups {}",
                from_to(on_off(b.backups), on_off(a.backups))
            ),
        )
        .risk_if(a.backups, Risk::Cost)
        .risk_if(!a.backups, Risk::DataLoss);
    }
}

pub(super) fn plan_load_balancer(
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
                )
                .risk(Risk::Downtime);
                plan.push(
                    object::HTTP_LISTENER,
                    ActionKind::Update,
                    "redirects to HTTPS",
                )
                .risk(Risk::Downtime);
            }
            (Some(_), None) => {
                plan.push(
                    object::HTTPS_LISTENER,
                    ActionKind::Delete,
                    "certificate removed",
                )
                .risk(Risk::Downtime);
                plan.push(
                    object::HTTP_LISTENER,
                    ActionKind::Update,
                    "forwards to the target group again",
                )
                .risk(Risk::Downtime);
            }
            _ => {
                plan.push(
                    object::HTTPS_LISTENER,
                    ActionKind::Update,
                    "certificate replaced",
                )
                .risk(Risk::Downtime);
            }
        }
        plan.unknown_outputs
            .extend([output::URL, output::RESOURCES, output::SECURITY_GROUP_IDS]);
    }
    if b.certificate_arn.is_some() != a.certificate_arn.is_some() {
        // WP_HOME and WP_SITEURL follow the URL's scheme.
        template.add("site URL");
    }
    let mut target_group = Vec::new();
    if b.health_check_path != a.health_check_path {
        let mut detail = format!(
            "health check path {}",
            from_to(&b.health_check_path, &a.health_check_path)
        );
        if b.health_check_matcher() != a.health_check_matcher() {
            detail.push_str(&format!(
                " (healthy codes {})",
                from_to(b.health_check_matcher(), a.health_check_matcher())
            ));
        }
        target_group.push(detail);
        // The instances serve the health file, so they need the new path too.
        template.add("health check path");
    }
    if b.deregistration_delay != a.deregistration_delay {
        target_group.push(format!(
            "deregistration delay {} s",
            from_to(b.deregistration_delay, a.deregistration_delay)
        ));
    }
    if !target_group.is_empty() {
        // Running instances do not serve a new health check path until the refresh replaces
        // them: the target group marks them unhealthy meanwhile.
        plan.push(
            object::TARGET_GROUP,
            ActionKind::Update,
            target_group.join(", "),
        )
        .risk_if(b.health_check_path != a.health_check_path, Risk::Downtime);
    }
    if b.idle_timeout != a.idle_timeout {
        plan.push(
            object::ALB,
            ActionKind::Update,
            format!("idle timeout {} s", from_to(b.idle_timeout, a.idle_timeout)),
        );
    }
}

pub(super) fn plan_dns(
    before: &StackSpec,
    after: &StackSpec,
    plan: &mut StackPlan,
    template: &mut TemplateReasons,
) {
    if before.dns == after.dns {
        return;
    }
    let host = |dns: &Option<DnsSpec>| dns.as_ref().map(|d| d.record_name.clone());
    if host(&before.dns) != host(&after.dns) {
        // WP_HOME and WP_SITEURL follow the URL's host.
        template.add("site URL");
    }
    let describe = |dns: &DnsSpec| format!("{} in zone {}", dns.record_name, dns.zone_id);
    // Route 53 UPSERT overwrites a record of the new name made by anyone else; the old name
    // stops answering.
    match (&before.dns, &after.dns) {
        (None, Some(a)) => {
            plan.push(
                object::DNS_RECORD,
                ActionKind::Create,
                format!("alias {} -> ALB", describe(a)),
            )
            .risk(Risk::DataLoss);
        }
        (Some(b), None) => {
            plan.push(object::DNS_RECORD, ActionKind::Delete, describe(b))
                .risk(Risk::Downtime);
        }
        (Some(b), Some(a)) => {
            plan.push(
                object::DNS_RECORD,
                ActionKind::Replace,
                from_to(describe(b), describe(a)),
            )
            .risk(Risk::DataLoss)
            .risk(Risk::Downtime);
        }
        (None, None) => {}
    }
    plan.unknown_outputs
        .extend([output::URL, output::RESOURCES]);
}
