//! Every step id of the stack's graph: `"<tier>.<object>"`, per-zone steps
//! `"<tier>.<object>:<az>"`. Tiers name their dependencies from here rather than from each
//! other, so no tier imports another for its place in the graph.

// network
pub const VPC: &str = "network.vpc";
pub const INTERNET_GATEWAY: &str = "network.internet_gateway";
/// Public route table, its default route to the IGW, and its subnet associations.
pub const PUBLIC_ROUTES: &str = "network.public_routes";
/// Removes the NAT gateways a switch to `single` left behind, once every private route
/// points at the remaining one.
pub const NAT_CLEANUP: &str = "network.nat_cleanup";

pub fn public_subnet(az: &str) -> String {
    format!("network.public_subnet:{az}")
}
pub fn private_subnet(az: &str) -> String {
    format!("network.private_subnet:{az}")
}
/// EIP + NAT gateway of a zone (only the first zone's exists in `single` mode).
pub fn nat(az: &str) -> String {
    format!("network.nat:{az}")
}
/// The zone's private route table, default route to its NAT, and association.
pub fn private_routes(az: &str) -> String {
    format!("network.private_routes:{az}")
}
pub fn all_public_subnets(zones: &[String]) -> Vec<String> {
    zones.iter().map(|az| public_subnet(az)).collect()
}
pub fn all_private_subnets(zones: &[String]) -> Vec<String> {
    zones.iter().map(|az| private_subnet(az)).collect()
}
/// Everything that gives the private subnets their way out (instances that pull images).
pub fn all_private_routes(zones: &[String]) -> Vec<String> {
    zones.iter().map(|az| private_routes(az)).collect()
}

// security
/// All five security groups, made (their ids are what the database, mount targets, balancer
/// and template need).
pub const SECURITY_GROUPS: &str = "security.groups";
/// Their rules converged (what the fleet and the bastion need before they boot).
pub const SECURITY_RULES: &str = "security.rules";

// bastion
pub const BASTION: &str = "bastion.instance";

// storage
pub const FILE_SYSTEM: &str = "storage.file_system";
/// The throughput mode of a live file system: the instances need the file system, not its
/// mode, so it runs last and a refused mode change fails the apply only after every other
/// tier has converged.
pub const FILE_SYSTEM_THROUGHPUT: &str = "storage.throughput";

pub fn mount_target(az: &str) -> String {
    format!("storage.mount_target:{az}")
}
pub fn all_mount_targets(zones: &[String]) -> Vec<String> {
    zones.iter().map(|az| mount_target(az)).collect()
}

// database
pub const DB_SUBNET_GROUP: &str = "database.subnet_group";
pub const DB_INSTANCE: &str = "database.instance";
/// The parameter group requiring TLS, named by the instance.
pub const DB_PARAMETER_GROUP: &str = "database.parameter_group";

// secrets
/// The secret, with the keys (and the database's password and host once they exist).
pub const SECRET: &str = "secrets.secret";
/// The database's password and host written into the secret once the database is available.
pub const SECRET_DATABASE: &str = "secrets.database";
/// The role, its inline policy and the instance profile.
pub const INSTANCE_PROFILE: &str = "secrets.instance_profile";

// load balancer
pub const LOAD_BALANCER: &str = "load_balancer.alb";
pub const TARGET_GROUP: &str = "load_balancer.target_group";
pub const LISTENERS: &str = "load_balancer.listeners";

// app
pub const LAUNCH_TEMPLATE: &str = "app.launch_template";
pub const AUTOSCALING_GROUP: &str = "app.autoscaling_group";
pub const SCALING_POLICY: &str = "app.cpu_policy";
/// A template version naming the secret's version with the database in it, for the group's
/// later launches (running instances follow the secret by themselves).
pub const TEMPLATE_SECRET_VERSION: &str = "app.template_secret_version";

// dns
pub const DNS_RECORD: &str = "dns.record";

// waf
/// The web ACL with its rules (or its removal when `waf.enabled` is off).
pub const WAF_WEB_ACL: &str = "waf.web_acl";
/// The web ACL's association with the load balancer.
pub const WAF_ASSOCIATION: &str = "waf.association";

// alarms
/// The stack's own SNS topic (or its removal when the alarms notify a given topic, or none).
pub const ALARM_TOPIC: &str = "alarms.topic";
/// The topic's e-mail subscriptions.
pub const ALARM_SUBSCRIPTIONS: &str = "alarms.subscriptions";
/// The Auto Scaling group's metrics collection, which the "at max capacity" alarm watches.
pub const GROUP_METRICS: &str = "alarms.group_metrics";
/// The CloudWatch alarms, after everything they watch.
pub const ALARMS: &str = "alarms.alarms";
// logs
/// The CloudWatch Logs group the instances write to (or its removal when `logs.enabled` is
/// off).
pub const LOG_GROUP: &str = "logs.group";
