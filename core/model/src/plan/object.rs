//! The objects named in the summary, in the words of the AWS console.

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
pub const WAF: &str = "WAF web ACL";
pub const ALARMS: &str = "CloudWatch alarms";
pub const ALARM_TOPIC: &str = "SNS alarm topic";
pub const LOG_GROUP: &str = "CloudWatch Logs group";
