//! The `wordpress_ha_stack` schema, declared once as data.
//!
//! Every attribute lives in one table with its type, mode, default, whether a change replaces
//! the stack, and its description. The Terraform schema, the plan's defaults, the
//! RequiresReplace paths and (later) the generated docs are all read from this table, so they
//! cannot disagree.

use stack_model::spec::defaults as d;

/// The value type of an attribute (the subset of Terraform's types this resource uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    StringList,
    StringMap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    /// Optional, null when not set.
    Optional,
    /// Optional; when not set the provider plans a default or a value only apply knows.
    OptionalComputed,
    Computed,
}

/// A default planned when the configuration leaves the attribute out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    Str(&'static str),
    Int(i64),
    Float(f64),
    Bool(bool),
    EmptyList,
}

#[derive(Debug, Clone)]
pub struct AttrDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub mode: Mode,
    pub default: Option<Default>,
    pub sensitive: bool,
    /// Changing it replaces the whole stack.
    pub replaces: bool,
    /// Known from the configuration only (AWS never tells it back): a refresh keeps the prior
    /// state's value, an import leaves it null.
    pub config_only: bool,
    /// Sent in configuration only, null in every plan and state (Terraform 1.11+).
    pub write_only: bool,
    /// What a state written before this attribute existed stands for, when that differs from
    /// `default` (a new default that existing stacks must not pick up by themselves).
    pub legacy: Option<Default>,
    /// The default applies at create only: an update that leaves the attribute out keeps the
    /// prior value (a new default must not upgrade existing stacks by itself).
    pub default_on_create: bool,
    pub description: &'static str,
}

/// How a block nests. `Group` blocks are always present (an absent block is an object of
/// defaults), so their defaults are visible in plan and state; `Single` blocks may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Group,
    Single,
}

#[derive(Debug, Clone)]
pub struct BlockDef {
    pub name: &'static str,
    pub nesting: Nesting,
    pub description: &'static str,
    pub attributes: Vec<AttrDef>,
}

/// The computed attribute listing a plan's sub-resource actions for reviewers.
pub const PLANNED_CHANGES: &str = "planned_changes";

/// The resource type name.
pub const TYPE_NAME: &str = "wordpress_ha_stack";
/// Bumped when the state's shape changes; UpgradeResourceState migrates older versions
/// (`stack::upgrade` lists them).
pub const SCHEMA_VERSION: i64 = 1;

pub struct ResourceDef {
    pub description: &'static str,
    pub attributes: Vec<AttrDef>,
    pub blocks: Vec<BlockDef>,
}

impl ResourceDef {
    pub fn block(&self, name: &str) -> Option<&BlockDef> {
        self.blocks.iter().find(|b| b.name == name)
    }
}

const fn attr(name: &'static str, ty: AttrType, mode: Mode, description: &'static str) -> AttrDef {
    AttrDef {
        name,
        ty,
        mode,
        default: None,
        sensitive: false,
        replaces: false,
        config_only: false,
        write_only: false,
        legacy: None,
        default_on_create: false,
        description,
    }
}

impl AttrDef {
    fn default(mut self, value: Default) -> Self {
        self.default = Some(value);
        self
    }
    fn replaces(mut self) -> Self {
        self.replaces = true;
        self
    }
    fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    fn config_only(mut self) -> Self {
        self.config_only = true;
        self
    }
    fn write_only(mut self) -> Self {
        self.write_only = true;
        self.config_only = true;
        self
    }
    fn legacy(mut self, value: Default) -> Self {
        self.legacy = Some(value);
        self
    }
    fn default_on_create(mut self) -> Self {
        self.default_on_create = true;
        self
    }
}

fn defaulted(
    name: &'static str,
    ty: AttrType,
    value: Default,
    description: &'static str,
) -> AttrDef {
    attr(name, ty, Mode::OptionalComputed, description).default(value)
}

fn computed(name: &'static str, ty: AttrType, description: &'static str) -> AttrDef {
    attr(name, ty, Mode::Computed, description)
}

use services::{database, dns, load_balancer, logs, storage, waf};
use AttrType::{Bool, Number, String as Str, StringList, StringMap};
use Mode::{Optional, OptionalComputed, Required};

/// The alarms block.
mod alarms;
/// The blocks of the services the stack runs (database, storage, load balancer, DNS, WAF, logs).
mod services;

/// The whole resource.
pub fn resource() -> ResourceDef {
    ResourceDef {
        description: "A scalable, highly available WordPress on AWS: VPC over several Availability \
Zones with NAT, a bastion, least-privilege security groups, EFS shared storage, RDS MySQL, an \
Application Load Balancer, an Auto Scaling group running WordPress in Docker, and a Route 53 record.",
        attributes: top_attributes(),
        blocks: vec![
            network(),
            bastion(),
            wordpress(),
            site(),
            autoscaling(),
            database(),
            storage(),
            load_balancer(),
            dns(),
            waf(),
            alarms::alarms(),
            logs(),
            timeouts(),
        ],
    }
}

fn top_attributes() -> Vec<AttrDef> {
    vec![
        computed("id", Str, "The stack's name."),
        attr(
            "name",
            Str,
            Required,
            "Short name of the stack, 1-20 characters of `[a-z0-9-]`, starting with a letter and \
not ending in a hyphen. Prefixes every AWS object's name. Changing it replaces the stack.",
        )
        .replaces(),
        attr(
            "tags",
            StringMap,
            Optional,
            "Tags for every AWS object of the stack, over the provider's `default_tags`. Keys \
starting with `wordpress-ha:` or `aws:`, and `Name` (the provider names every object), are \
reserved.",
        ),
        computed("url", Str, "The site's URL: `http(s)://<dns.record_name>` when `dns` is set, else the load balancer's DNS name."),
        computed("alb_dns_name", Str, "DNS name of the Application Load Balancer."),
        computed("alb_zone_id", Str, "Route 53 hosted zone id of the load balancer (for alias records)."),
        computed("vpc_id", Str, "Id of the stack's VPC."),
        computed("public_subnet_ids", StringList, "Public subnets, one per Availability Zone, in zone order."),
        computed("private_subnet_ids", StringList, "Private subnets, one per Availability Zone, in zone order."),
        computed("nat_gateway_ids", StringList, "NAT Gateways (one per zone, or one)."),
        computed("bastion_public_ip", Str, "Public IP of the bastion host; null when the bastion is disabled."),
        computed("efs_id", Str, "Id of the EFS file system holding `wp-content`."),
        computed("db_endpoint", Str, "RDS endpoint, `address:port`."),
        computed("db_address", Str, "RDS host name."),
        computed("asg_name", Str, "Name of the Auto Scaling group of WordPress instances."),
        computed("launch_template_id", Str, "Id of the instances' launch template."),
        computed("launch_template_version", Number, "Launch template version the Auto Scaling group uses."),
        computed("security_group_ids", StringMap, "Security group id by tier: `alb`, `bastion`, `app`, `efs`, `db`."),
        computed(
            PLANNED_CHANGES,
            StringList,
            "What the latest plan does to the AWS objects behind this resource, one line per \
object: `<create|update|replace|delete> <object>: <detail>`, then `[data-loss, downtime, cost]` \
as far as the action risks them (see Plan review and risk labels). Shown in `terraform plan` \
and `terraform show -json` for review; unchanged when a plan changes nothing.",
        ),
        computed(
            "resources",
            StringMap,
            "Every AWS object the stack owns: logical name -> AWS id. Shows a plan reviewer and an \
operator what stands behind this one resource.",
        ),
    ]
}

fn network() -> BlockDef {
    BlockDef {
        name: "network",
        nesting: Nesting::Group,
        description: "The VPC and its subnets.",
        attributes: vec![
            defaulted(
                "vpc_cidr",
                Str,
                Default::Str(d::VPC_CIDR),
                "IPv4 range of the VPC (/16 to /24). Each zone gets a public and a private subnet \
carved from it. Changing it replaces the stack.",
            )
            .replaces(),
            attr(
                "availability_zones",
                StringList,
                OptionalComputed,
                "At least two distinct Availability Zones of the provider's region. Default: the \
region's first two. Changing them replaces the stack.",
            )
            .replaces(),
            defaulted(
                "nat_gateways",
                Str,
                Default::Str(d::NAT_GATEWAYS),
                "`one_per_az` (a NAT Gateway in every zone, AZ-redundant) or `single` (one for all \
zones: cheaper, not AZ-redundant).",
            ),
        ],
    }
}

fn bastion() -> BlockDef {
    BlockDef {
        name: "bastion",
        nesting: Nesting::Group,
        description: "The bastion host: the only SSH path to the private instances.",
        attributes: vec![
            defaulted("enabled", Bool, Default::Bool(d::BASTION_ENABLED), "Whether to run the bastion host."),
            defaulted("instance_type", Str, Default::Str(d::BASTION_INSTANCE_TYPE), "EC2 instance type of the bastion."),
            defaulted(
                "allowed_ssh_cidrs",
                StringList,
                Default::EmptyList,
                "CIDRs allowed to reach the bastion on port 22. Empty means no SSH ingress; \
`0.0.0.0/0` and `::/0` are refused.",
            ),
            attr("key_name", Str, Optional, "EC2 key pair for the bastion."),
            attr(
                "ami_id",
                Str,
                OptionalComputed,
                "AMI of the bastion. Default: the current Amazon Linux 2023 for the architecture of \
`instance_type` (x86_64 or arm64, as EC2 reports it), named by AWS's public SSM parameter \
`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>`, resolved at create and \
kept; a change of `instance_type` to another architecture resolves it again and replaces the \
bastion. A pinned AMI of another architecture than `instance_type` is refused at plan.",
            ),
        ],
    }
}

fn wordpress() -> BlockDef {
    BlockDef {
        name: "wordpress",
        nesting: Nesting::Group,
        description: "The WordPress instances (Docker on Amazon Linux 2023). A change of image, \
instance type, AMI, key pair or configuration rolls out as a new launch template version and an \
instance refresh that launches replacements before terminating (at least 90% of the capacity \
stays healthy, up to 200% runs meanwhile), skips instances already on the new version and rolls \
back automatically if it fails. Apply waits for the refresh to end, logging its progress, and \
fails with AWS's reason when it ends Failed, Cancelled, RollbackSuccessful or RollbackFailed (the \
group then still runs the previous version; apply again to retry). A refresh someone else started \
is awaited first.",
        attributes: vec![
            defaulted(
                "image",
                Str,
                Default::Str(d::WORDPRESS_IMAGE),
                "Docker image of WordPress. The default is the official image through its public \
ECR mirror: Docker Hub limits anonymous pulls per address, and every instance pulls through the \
same NAT address. Each instance retries its pull with a growing pause (5 s doubling to 2 min, 8 \
tries).",
            ),
            defaulted("instance_type", Str, Default::Str(d::WORDPRESS_INSTANCE_TYPE), "EC2 instance type of the WordPress instances."),
            attr(
                "ami_id",
                Str,
                OptionalComputed,
                "AMI of the instances. Default: the current Amazon Linux 2023 for the architecture of \
`instance_type` (x86_64 for `t3`, `m7i`…; arm64 for Graviton `t4g`, `m7g`…, as EC2 reports it), \
named by AWS's public SSM parameter \
`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>`, resolved at create and \
kept; a change of `instance_type` to another architecture resolves it again and rolls the fleet. \
A pinned AMI of another architecture than `instance_type` is refused at plan. The root volume is \
20 GiB, or the image's root snapshot size when that is larger.",
            ),
            attr("key_name", Str, Optional, "EC2 key pair of the instances (reachable through the bastion)."),
            attr(
                "config_extra",
                Str,
                Optional,
                "Extra PHP for `wp-config.php` (`WORDPRESS_CONFIG_EXTRA`). The provider adds \
`WP_HOME` and `WP_SITEURL` set to the stack's `url` (https when `load_balancer.certificate_arn` \
is set; the `dns` record name when set, else the load balancer's name) unless this PHP defines \
them; a change of that URL rolls out a new launch template version. At most 4096 bytes: it \
travels in the instances' gzipped user data, which EC2 caps at 16 KiB.",
            ),
        ],
    }
}

fn site() -> BlockDef {
    BlockDef {
        name: "site",
        nesting: Nesting::Group,
        description: "The WordPress site, installed at first boot so that no one else can reach \
its installation wizard: once the database is available the first instance to take a lock on EFS \
runs WP-CLI's `wp core install` (the `cli` tag of `wordpress.image`'s repository when that \
repository is named `wordpress`, else `public.ecr.aws/docker/library/wordpress:cli`) with the \
stack's `url`, these values and a generated administrator password; the others find WordPress \
installed. The password is generated into the stack's Secrets Manager secret under \
`wp_admin_password`, never into the state, a plan, the user data or a log: read it with \
`aws secretsmanager get-secret-value --secret-id <name>/wordpress`. A database that already has \
WordPress (an existing site) is left as it is. After the install WordPress owns the title, the \
users and their passwords (change them in WordPress): a later change here only updates the \
launch template for instances launched later, which find the site installed, without an \
instance refresh.",
        attributes: vec![
            defaulted(
                "title",
                Str,
                Default::Str(d::SITE_TITLE),
                "The site's title at install, 1-200 characters on one line.",
            )
            .config_only(),
            defaulted(
                "admin_user",
                Str,
                Default::Str(d::SITE_ADMIN_USER),
                "Login of the first administrator: 1-60 letters, digits, spaces and `_ . - @` \
(what WordPress keeps in a login), no leading, trailing or double space. The default avoids \
`admin`, the first name password guessers try.",
            )
            .config_only(),
            attr(
                "admin_email",
                Str,
                Optional,
                "E-mail address of the first administrator (6-100 characters, an address \
WordPress accepts), where WordPress sends password resets and notices. Default: \
`wordpress@<the host of url>`, which rarely receives mail: set it.",
            )
            .config_only(),
        ],
    }
}

fn autoscaling() -> BlockDef {
    BlockDef {
        name: "autoscaling",
        nesting: Nesting::Group,
        description: "Size and scaling of the Auto Scaling group. Create and every update end only \
once `min_size` instances are InService and healthy in the load balancer's target group; while \
waiting the provider reads the group's scaling activities, and when launches keep failing (no \
capacity, a bad AMI, a bad profile) the apply fails with AWS's own status message.",
        attributes: vec![
            defaulted("min_size", Number, Default::Int(d::MIN_SIZE), "Minimum number of instances."),
            defaulted("max_size", Number, Default::Int(d::MAX_SIZE), "Maximum number of instances."),
            attr(
                "desired_capacity",
                Number,
                OptionalComputed,
                "Desired number of instances. When not set, the group and its scaling policy own it.",
            ),
            defaulted(
                "target_cpu_utilization",
                Number,
                Default::Float(d::TARGET_CPU_UTILIZATION),
                "Average CPU utilization (1-100 %) the target-tracking policy keeps.",
            ),
            defaulted(
                "health_check_grace_period",
                Number,
                Default::Int(d::HEALTH_CHECK_GRACE_PERIOD),
                "Seconds after launch before load balancer health checks count.",
            ),
        ],
    }
}

fn timeouts() -> BlockDef {
    BlockDef {
        name: "timeouts",
        nesting: Nesting::Single,
        description: "Bounds on each operation, as durations like `45m` or `1h30m`.",
        attributes: vec![
            attr("create", Str, Optional, "Default 60m."),
            attr("update", Str, Optional, "Default 60m."),
            attr("delete", Str, Optional, "Default 45m."),
        ],
    }
}

/// Paths (block, attribute) of every attribute whose change replaces the stack.
pub fn replacing_paths(def: &ResourceDef) -> Vec<(Option<&'static str>, &'static str)> {
    let top = def
        .attributes
        .iter()
        .filter(|a| a.replaces)
        .map(|a| (None, a.name));
    let nested = def.blocks.iter().flat_map(|b| {
        b.attributes
            .iter()
            .filter(|a| a.replaces)
            .map(move |a| (Some(b.name), a.name))
    });
    top.chain(nested).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_attributes_match_the_core_plan() {
        let def = resource();
        let mut from_schema: Vec<Vec<&str>> = replacing_paths(&def)
            .into_iter()
            .map(|(block, name)| block.into_iter().chain([name]).collect())
            .collect();
        let mut from_core: Vec<Vec<&str>> = stack_model::plan::REPLACING_FIELDS
            .iter()
            .map(|p| p.to_vec())
            .collect();
        from_schema.sort();
        from_core.sort();
        assert_eq!(from_schema, from_core);
    }

    #[test]
    fn every_attribute_is_described_and_defaults_only_on_optional_computed() {
        let def = resource();
        let all = def
            .attributes
            .iter()
            .chain(def.blocks.iter().flat_map(|b| b.attributes.iter()));
        for a in all {
            assert!(!a.description.is_empty(), "{} has no description", a.name);
            if a.default.is_some() {
                assert_eq!(a.mode, Mode::OptionalComputed, "{}", a.name);
            }
        }
    }
}
