//! Computed outputs a change can move. Names match the resource's computed attributes.

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
