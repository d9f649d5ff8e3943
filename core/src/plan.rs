//! What an apply will do, decided before it runs: a pure function of the prior state and the
//! desired spec. The provider turns it into Terraform's plan (RequiresReplace paths, which
//! computed values become unknown) and into a summary a reviewer can read.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::FieldPath;
use crate::spec::StackSpec;
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
    /// The object, by logical name (`launch_template`, `autoscaling_group`, `db_instance`…).
    pub object: String,
    pub action: ActionKind,
    /// What and why, for a reviewer: "new version (image changed)".
    pub detail: String,
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
}

/// Plan a create: every object is new and every output unknown.
pub fn plan_create(spec: &StackSpec) -> StackPlan {
    let zones = spec.network.availability_zones.as_deref().unwrap_or(&[]);
    let per_zone = |what: &str| format!("{what} in each of {} zones", zones.len());
    let nat = match spec.network.nat_gateways {
        crate::spec::NatMode::OnePerAz => per_zone("NAT gateway + EIP"),
        crate::spec::NatMode::Single => "one NAT gateway + EIP for all zones".to_string(),
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
    let mut actions = vec![
        action("vpc", ActionKind::Create, &spec.network.vpc_cidr),
        action(
            "subnets",
            ActionKind::Create,
            &per_zone("public + private subnet"),
        ),
        action(
            "internet_gateway",
            ActionKind::Create,
            "attached, public default route",
        ),
        action("nat_gateway", ActionKind::Create, &nat),
        action(
            "security_group",
            ActionKind::Create,
            "alb, bastion, app, efs, db (chained)",
        ),
        action(
            "efs_file_system",
            ActionKind::Create,
            &per_zone("encrypted, mount target"),
        ),
        action("db_instance", ActionKind::Create, &db),
        action(
            "load_balancer",
            ActionKind::Create,
            "internet-facing ALB, target group, listeners",
        ),
        action("launch_template", ActionKind::Create, &spec.wordpress.image),
        action(
            "autoscaling_group",
            ActionKind::Create,
            &format!(
                "{}..{} instances, CPU target {}%",
                spec.autoscaling.min_size,
                spec.autoscaling.max_size,
                spec.autoscaling.target_cpu_utilization
            ),
        ),
    ];
    if spec.bastion.enabled {
        actions.push(action(
            "bastion_instance",
            ActionKind::Create,
            &spec.bastion.instance_type,
        ));
    }
    if let Some(dns) = &spec.dns {
        actions.push(action("dns_record", ActionKind::Create, &dns.record_name));
    }
    StackPlan {
        replace: Vec::new(),
        actions,
        unknown_outputs: output::ALL.into_iter().collect(),
    }
}

/// Plan an update from what exists (`prior`) to `desired`.
pub fn plan_update(prior: &StackState, desired: &StackSpec) -> StackPlan {
    let before = &prior.spec;
    let replace = replacing_changes(before, desired);
    if !replace.is_empty() {
        return StackPlan {
            replace,
            actions: vec![action(
                "stack",
                ActionKind::Replace,
                "a replacing attribute changed",
            )],
            unknown_outputs: output::ALL.into_iter().collect(),
        };
    }
    let mut plan = StackPlan::default();
    plan_network(before, desired, &mut plan);
    plan_bastion(before, desired, &mut plan);
    plan_app(before, desired, &mut plan);
    plan_database(before, desired, &mut plan);
    plan_storage(before, desired, &mut plan);
    plan_load_balancer(before, desired, &mut plan);
    plan_dns(before, desired, &mut plan);
    if before.tags != desired.tags {
        plan.actions
            .push(action("every object", ActionKind::Update, "tags changed"));
        // Instances take their tags from the launch template: a new version carries them.
        plan.unknown_outputs.insert(output::LAUNCH_TEMPLATE_VERSION);
    }
    if missing_objects(prior, desired) {
        plan.actions.push(action(
            "stack",
            ActionKind::Create,
            "objects deleted outside Terraform are recreated",
        ));
        plan.unknown_outputs.extend(output::ALL);
    }
    plan
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

fn plan_network(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    if before.network.nat_gateways != after.network.nat_gateways {
        plan.actions.push(action(
            "nat_gateway",
            ActionKind::Update,
            &format!(
                "{} -> {}: private routes switched before old NAT gateways are deleted",
                before.network.nat_gateways.as_str(),
                after.network.nat_gateways.as_str()
            ),
        ));
        plan.unknown_outputs
            .extend([output::NAT_GATEWAY_IDS, output::RESOURCES]);
    }
}

fn plan_bastion(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.bastion, &after.bastion);
    if b.enabled != a.enabled {
        let kind = if a.enabled {
            ActionKind::Create
        } else {
            ActionKind::Delete
        };
        plan.actions
            .push(action("bastion_instance", kind, "bastion enabled changed"));
        plan.unknown_outputs
            .extend([output::BASTION_PUBLIC_IP, output::RESOURCES]);
        return;
    }
    if !a.enabled {
        return;
    }
    if b.allowed_ssh_cidrs != a.allowed_ssh_cidrs {
        plan.actions.push(action(
            "security_group:bastion",
            ActionKind::Update,
            "SSH ingress CIDRs changed",
        ));
    }
    if b.instance_type != a.instance_type || b.key_name != a.key_name || b.ami_id != a.ami_id {
        plan.actions.push(action(
            "bastion_instance",
            ActionKind::Replace,
            "instance type, key or AMI changed",
        ));
        plan.unknown_outputs
            .extend([output::BASTION_PUBLIC_IP, output::RESOURCES]);
    }
}

fn plan_app(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    if before.wordpress != after.wordpress {
        plan.actions.push(action(
            "launch_template",
            ActionKind::Update,
            "new version (wordpress settings changed)",
        ));
        plan.actions.push(action(
            "autoscaling_group",
            ActionKind::Update,
            "instance refresh to the new launch template version",
        ));
        plan.unknown_outputs.insert(output::LAUNCH_TEMPLATE_VERSION);
    }
    let (b, a) = (&before.autoscaling, &after.autoscaling);
    if (
        b.min_size,
        b.max_size,
        b.desired_capacity,
        b.health_check_grace_period,
    ) != (
        a.min_size,
        a.max_size,
        a.desired_capacity,
        a.health_check_grace_period,
    ) {
        plan.actions.push(action(
            "autoscaling_group",
            ActionKind::Update,
            "sizes or grace period changed",
        ));
    }
    if b.target_cpu_utilization != a.target_cpu_utilization {
        plan.actions.push(action(
            "cpu_scaling_policy",
            ActionKind::Update,
            "target CPU utilization changed",
        ));
    }
}

fn plan_database(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.database, &after.database);
    let mut changed = Vec::new();
    if b.instance_class != a.instance_class {
        changed.push("instance class");
    }
    if b.engine_version != a.engine_version {
        changed.push("engine version");
    }
    if b.allocated_storage != a.allocated_storage
        || b.max_allocated_storage != a.max_allocated_storage
    {
        changed.push("storage");
    }
    if b.multi_az != a.multi_az {
        changed.push("Multi-AZ");
    }
    if b.password != a.password && a.password.is_some() {
        changed.push("master password");
    }
    if b.backup_retention_days != a.backup_retention_days {
        changed.push("backup retention");
    }
    if b.deletion_protection != a.deletion_protection {
        changed.push("deletion protection");
    }
    if !changed.is_empty() {
        plan.actions.push(action(
            "db_instance",
            ActionKind::Update,
            &format!("modify {} (applied immediately)", changed.join(", ")),
        ));
    }
    if b.password != a.password {
        // The password reaches the instances at boot: roll them so they all use the new one.
        plan.actions.push(action(
            "launch_template",
            ActionKind::Update,
            "new version (database password changed)",
        ));
        plan.unknown_outputs.insert(output::LAUNCH_TEMPLATE_VERSION);
    }
    if b.skip_final_snapshot != a.skip_final_snapshot {
        plan.actions.push(action(
            "db_instance",
            ActionKind::Update,
            "final snapshot setting recorded for destroy",
        ));
    }
}

fn plan_storage(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.storage, &after.storage);
    if b.throughput_mode != a.throughput_mode
        || b.provisioned_throughput_mibps != a.provisioned_throughput_mibps
    {
        plan.actions.push(action(
            "efs_file_system",
            ActionKind::Update,
            &format!(
                "throughput mode {} -> {}",
                b.throughput_mode, a.throughput_mode
            ),
        ));
    }
}

fn plan_load_balancer(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    let (b, a) = (&before.load_balancer, &after.load_balancer);
    if b.certificate_arn != a.certificate_arn {
        let what = match (&b.certificate_arn, &a.certificate_arn) {
            (None, Some(_)) => "HTTPS listener added, HTTP redirects to HTTPS",
            (Some(_), None) => "HTTPS listener removed, HTTP forwards again",
            _ => "HTTPS certificate replaced",
        };
        plan.actions
            .push(action("https_listener", ActionKind::Update, what));
        plan.unknown_outputs
            .extend([output::URL, output::RESOURCES, output::SECURITY_GROUP_IDS]);
    }
    if b.health_check_path != a.health_check_path {
        plan.actions.push(action(
            "target_group",
            ActionKind::Update,
            "health check path changed",
        ));
        // The health file is written by the user data, so instances need the new path too.
        plan.actions.push(action(
            "launch_template",
            ActionKind::Update,
            "new version (health check path changed)",
        ));
        plan.unknown_outputs.insert(output::LAUNCH_TEMPLATE_VERSION);
    }
    if b.idle_timeout != a.idle_timeout {
        plan.actions.push(action(
            "load_balancer",
            ActionKind::Update,
            "idle timeout changed",
        ));
    }
}

fn plan_dns(before: &StackSpec, after: &StackSpec, plan: &mut StackPlan) {
    if before.dns == after.dns {
        return;
    }
    let kind = match (&before.dns, &after.dns) {
        (None, Some(_)) => ActionKind::Create,
        (Some(_), None) => ActionKind::Delete,
        _ => ActionKind::Replace,
    };
    plan.actions
        .push(action("dns_record", kind, "DNS settings changed"));
    plan.unknown_outputs
        .extend([output::URL, output::RESOURCES]);
}

/// True when objects the spec needs are absent from the state (deleted out of band and
/// dropped by the last read), so the apply must recreate them.
fn missing_objects(prior: &StackState, desired: &StackSpec) -> bool {
    expected_objects(desired)
        .iter()
        .any(|name| !prior.resources.contains_key(name))
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
        crate::spec::NatMode::OnePerAz => zones,
        crate::spec::NatMode::Single => &zones[..zones.len().min(1)],
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
    use crate::spec::NatMode;
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
        assert!(plan.actions.iter().any(|a| a.object == "autoscaling_group"));
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
}
