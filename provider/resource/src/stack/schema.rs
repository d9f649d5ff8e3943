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

use AttrType::{Bool, Number, String as Str, StringList, StringMap};
use Mode::{Optional, OptionalComputed, Required};

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
            autoscaling(),
            database(),
            storage(),
            load_balancer(),
            dns(),
            waf(),
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
them; a change of that URL rolls out a new launch template version.",
            ),
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

fn database() -> BlockDef {
    BlockDef {
        name: "database",
        nesting: Nesting::Group,
        description: "The RDS MySQL instance (encrypted, private). It requires TLS from every \
client: the stack owns a DB parameter group `<name>-mysql<major><minor>` (family `mysql8.0` or \
`mysql8.4`, from `engine_version`) setting `require_secure_transport = ON`, named at create, and \
WordPress connects with `MYSQL_CLIENT_FLAGS = MYSQLI_CLIENT_SSL` (encrypted; the server's \
certificate is not checked against the RDS CA bundle). A stack whose instance runs without the \
group (made by an earlier provider version, or changed outside Terraform) gets it at the next \
apply, and a change of major version moves to a group of the new family in the same \
modification; RDS applies a newly associated group only at the instance's next reboot (its \
parameter status reads `pending-reboot`, and the apply warns), which the provider never makes \
on its own: reboot in a maintenance window. The group is deleted after the instance on destroy. The WordPress instances do not wait \
for the database: on create they boot and pass the load balancer's health checks while RDS is \
still being created (WordPress reports that it cannot reach its database meanwhile), and connect \
as soon as the database's host and password reach the stack's secret, within a minute of RDS \
making the instance available. The apply ends when the slowest of the database, the healthy \
fleet and the DNS record is done.",
        attributes: vec![
            defaulted(
                "instance_class",
                Str,
                Default::Str(d::DB_INSTANCE_CLASS),
                "RDS instance class.",
            ),
            defaulted(
                "engine_version",
                Str,
                Default::Str(d::DB_ENGINE_VERSION),
                "MySQL engine version: a major.minor such as `8.4` or `8.0` keeps RDS's automatic minor upgrades on; a full version such as `8.4.5` pins it and turns them off. The default, `8.4`, is the current long-term release and applies to new stacks only: a stack created with the earlier default `8.0` keeps it until the configuration says otherwise. `8.0` is accepted with a plan warning: its RDS standard support ended on 31 July 2026 and every 8.0 instance now runs on paid RDS Extended Support. A change of major version is applied in place by RDS (a short outage). A newer version already running (an upgrade made outside Terraform) is kept, never downgraded: the plan shows no change and a warning names it.",
            )
            .default_on_create(),
            defaulted(
                "allocated_storage",
                Number,
                Default::Int(d::DB_ALLOCATED_STORAGE),
                "Storage in GiB (at least 20; can only grow).",
            ),
            defaulted(
                "max_allocated_storage",
                Number,
                Default::Int(d::DB_MAX_ALLOCATED_STORAGE),
                "Upper bound in GiB for storage autoscaling.",
            ),
            defaulted(
                "multi_az",
                Bool,
                Default::Bool(d::DB_MULTI_AZ),
                "Keep a synchronous standby in another zone.",
            ),
            defaulted(
                "db_name",
                Str,
                Default::Str(d::DB_NAME),
                "Name of the WordPress database. Changing it replaces the stack.",
            )
            .replaces(),
            defaulted(
                "username",
                Str,
                Default::Str(d::DB_USERNAME),
                "Master user name. Changing it replaces the stack.",
            )
            .replaces(),
            attr(
                "password",
                Str,
                Optional,
                "Master password (8-41 printable characters, none of `/`, `\"`, `@` or space). \
Terraform stores a configured value in its state, as it does every configured value; leave it \
unset to have the stack generate one at create, kept only in the stack's Secrets Manager secret \
(the state records the secret's ARN and version, never the value), or, with Terraform or \
OpenTofu 1.11 and later, set `password_wo` instead. A change is applied to RDS, \
then stored as a new version of the stack's secret: running instances pick it up within about a \
minute (a timer on each instance checks the secret's current version every 30 s and restarts \
the WordPress container with it); the group then launches from a launch template version \
naming it, without replacing running instances. Removing it keeps the current password.",
            )
            .sensitive()
            .config_only(),
            attr(
                "password_wo",
                Str,
                Optional,
                "Master password, write-only: sent to the provider and never stored in a plan or \
the state (Terraform 1.11 and later, OpenTofu 1.11 and later; older versions are refused with a \
diagnostic, use `password` there). Applied at create and whenever `password_wo_version` \
changes, like a change of `password`; same rules. Conflicts with `password`.",
            )
            .sensitive()
            .write_only(),
            attr(
                "password_wo_version",
                Number,
                Optional,
                "Any number; change it to apply a new `password_wo` (a write-only value cannot be \
compared with the previous one).",
            )
            .config_only(),
            defaulted(
                "backup_retention_days",
                Number,
                Default::Int(d::DB_BACKUP_RETENTION_DAYS),
                "Days of automated backups (0-35).",
            ),
            defaulted(
                "deletion_protection",
                Bool,
                Default::Bool(d::DB_DELETION_PROTECTION),
                "Refuse to delete the database (and so the stack) while set.",
            ),
            defaulted(
                "skip_final_snapshot",
                Bool,
                Default::Bool(d::DB_SKIP_FINAL_SNAPSHOT),
                "Delete the database without taking a final snapshot. Otherwise destroy keeps one, named `<name>-final-<unix seconds>` (numbered `-2`, `-3`... if that name is taken). The snapshot holds the posts, not `wp-content`: with `storage.backups` the file system's recovery points are in AWS Backup's vault `aws/efs/automatic-backup-vault` of the same region and account, kept after the destroy until they expire (35 days); restore the file system from the latest one before the stack was destroyed. When set, the plan of a destroy warns that the database goes without one (Terraform 1.3 and later ask providers to plan destroys; earlier versions show nothing).",
            ),
        ],
    }
}

fn storage() -> BlockDef {
    BlockDef {
        name: "storage",
        nesting: Nesting::Group,
        description: "The EFS file system shared by every instance, encrypted at rest and \
mounted over TLS. Its file system policy (AWS's own \"enforce in-transit encryption for all \
clients\" policy) allows mounting, writing and root access through the mount targets and denies \
every request without TLS (`aws:SecureTransport = false`); a policy changed or removed outside \
Terraform is put back at the next apply.",
        attributes: vec![
            defaulted(
                "throughput_mode",
                Str,
                Default::Str(d::EFS_THROUGHPUT_MODE),
                "`elastic`, `bursting` or `provisioned`.",
            ),
            attr(
                "provisioned_throughput_mibps",
                Number,
                Optional,
                "Throughput in MiB/s; only with `throughput_mode = \"provisioned\"`.",
            ),
            defaulted(
                "performance_mode",
                Str,
                Default::Str(d::EFS_PERFORMANCE_MODE),
                "`generalPurpose` or `maxIO`. Changing it replaces the stack.",
            )
            .replaces(),
            defaulted(
                "backups",
                Bool,
                Default::Bool(d::EFS_BACKUPS),
                "EFS automatic backups: AWS Backup's daily backup of the file system (uploads, \
plugins, themes), kept 35 days, as recovery points in AWS Backup's vault \
`aws/efs/automatic-backup-vault` of the stack's region and account; restore them with AWS \
Backup. A database final snapshot holds the posts but not `wp-content`: restore both. Cost: \
AWS Backup bills the backup storage per GB-month (warm storage) and each restore per GB, apart \
from EFS. Stacks created before this attribute existed have no backups: their next plan turns \
them on, shown as an in-place change; set `false` to keep them off. Changed in place, and \
turned back on when someone turns them off outside Terraform; turning them off keeps the \
recovery points already taken until they expire.",
            )
            .legacy(Default::Bool(false)),
        ],
    }
}

fn load_balancer() -> BlockDef {
    BlockDef {
        name: "load_balancer",
        nesting: Nesting::Group,
        description: "The Application Load Balancer.",
        attributes: vec![
            attr(
                "certificate_arn",
                Str,
                Optional,
                "ACM certificate: adds an HTTPS listener and redirects HTTP to HTTPS.",
            ),
            defaulted(
                "health_check_path",
                Str,
                Default::Str(d::HEALTH_CHECK_PATH),
                "Path the target group checks. The default is the provider's own health file, a \
tiny PHP page every instance serves that answers 200 \"ok\" through Apache and PHP without asking \
the database, and must answer 200. It leaves the database out on purpose: during a Multi-AZ \
failover every instance would fail a check that reads it at once, and the Auto Scaling group \
would replace them all for a problem new instances cannot fix. Any other path may answer \
200-399 (WordPress answers 302 before it is installed); a path naming a static file \
(`/healthz.html`) is served as a static \"OK\" page.",
            ),
            defaulted(
                "idle_timeout",
                Number,
                Default::Int(d::IDLE_TIMEOUT),
                "Idle connection timeout in seconds (1-4000).",
            ),
            defaulted(
                "deregistration_delay",
                Number,
                Default::Int(d::DEREGISTRATION_DELAY),
                "Seconds the target group lets an instance that leaves (scale-in, refresh) finish \
its requests before it is cut off (0-3600; AWS's own default is 300). Changed in place.",
            ),
        ],
    }
}

fn dns() -> BlockDef {
    BlockDef {
        name: "dns",
        nesting: Nesting::Single,
        description: "A Route 53 alias record for the site. Without it, `url` is the load balancer's DNS name. The plan checks that the hosted zone exists, that the name lies inside it and that no record the stack did not create holds it (Terraform 1.0 to 1.2 also plan the configuration before a destroy: when that plan refuses the record of a stack whose create it stopped, destroy with `-refresh=false`).",
        attributes: vec![
            attr("zone_id", Str, Required, "Route 53 hosted zone id."),
            attr("record_name", Str, Required, "Fully qualified record name, e.g. `blog.example.com`. \
It must lie inside the hosted zone. The stack creates the alias record and deletes it on destroy; \
an A or CNAME record already at this name that the stack did not create is refused at plan and at \
apply, never overwritten, unless `allow_overwrite` is set."),
            defaulted(
                "allow_overwrite",
                Bool,
                Default::Bool(d::DNS_ALLOW_OVERWRITE),
                "Replace an A or CNAME record at `record_name` that this stack did not create (as \
`aws_route53_record`'s `allow_overwrite`). The stack then owns the record: destroy deletes it, \
and the old value is not restored.",
            ),
        ],
    }
}

fn waf() -> BlockDef {
    BlockDef {
        name: "waf",
        nesting: Nesting::Group,
        description: "An AWS WAF (WAFv2) regional web ACL, `<name>-waf`, associated with the load \
balancer: AWS's managed rule groups for WordPress (`AWSManagedRulesWordPressRuleSet`), PHP \
(`AWSManagedRulesPHPRuleSet`), common attacks (`AWSManagedRulesCommonRuleSet`) and known bad \
inputs (`AWSManagedRulesKnownBadInputsRuleSet`), each with its own actions and CloudWatch \
metrics and sampled requests on, plus a rule blocking an IP address that sends more than \
`rate_limit` requests in 5 minutes. Cost (AWS WAF list prices, every region the plan review \
prices): $5.00 per web ACL per month, $1.00 per rule per month (the four rule groups and the \
rate rule: $5.00), and $0.60 per million requests inspected; about $10 a month plus requests. \
A refresh notices an association or rules changed outside Terraform and the next apply puts \
them back.",
        attributes: vec![
            defaulted(
                "enabled",
                Bool,
                Default::Bool(d::WAF_ENABLED),
                "Whether the web ACL guards the load balancer. On for new stacks; a stack created \
before this attribute existed keeps running without one until the configuration sets `enabled = \
true`. Setting it to `false` disassociates and deletes the web ACL.",
            )
            .legacy(Default::Bool(false))
            .default_on_create(),
            defaulted(
                "rate_limit",
                Number,
                Default::Int(d::WAF_RATE_LIMIT),
                "Requests one IP address may send in any 5 minutes before the rate rule blocks it \
(until its rate falls below the limit again); 10 to 2000000000, WAF's own bounds. Changed in \
place.",
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
