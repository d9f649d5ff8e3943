//! The blocks of the services the stack runs on: database, storage, load balancer, DNS and WAF,
//! declared with the same table helpers as the rest of `schema`.

use super::*;

pub(super) fn database() -> BlockDef {
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
            attr(
                "snapshot_identifier",
                Str,
                Optional,
                "Create the database from this RDS DB snapshot (its identifier, such as the `<name>-final-<unix seconds>` final snapshot a destroyed stack kept, or its ARN) instead of empty: RestoreDBInstanceFromDBSnapshot into the stack's subnet group, security group and TLS parameter group, then brought to this block's settings (class, Multi-AZ, storage, backups, deletion protection, tags) and given the stack's own master password (a restored instance keeps the snapshot's) before WordPress is pointed at it. The snapshot must be `available`, of the `mysql` engine, and not newer than `engine_version`; `db_name` and `username` must be the snapshot's. Used only when the stack is created: changing it on an existing stack is refused at plan (restore into a new stack instead). The snapshot holds the posts, not `wp-content`: the README's section \"Restoring a destroyed site\" shows the whole restore, with the file system's recovery point."),
        ],
    }
}

pub(super) fn storage() -> BlockDef {
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

pub(super) fn load_balancer() -> BlockDef {
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

pub(super) fn dns() -> BlockDef {
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

pub(super) fn waf() -> BlockDef {
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

pub(super) fn logs() -> BlockDef {
    BlockDef {
        name: "logs",
        nesting: Nesting::Group,
        description: "A CloudWatch Logs group, `/wordpress/<name>`, that the WordPress container \
(Docker's `awslogs` driver, stream `wordpress/<instance id>`) and the instances' boot script \
(stream `boot/<instance id>`, shipped when the boot ends, failed or not) write to, besides the \
instance journal. The instance role may create streams in and write events to that group only. \
The driver never creates a group, so a group deleted outside Terraform stays deleted until the \
next apply makes it again; a refresh shows it, and a retention or KMS key changed outside \
Terraform, in the plan. Destroy deletes the group and its events. Cost (CloudWatch Logs list \
prices, by use, not in the plan review's monthly estimate): about $0.50 per GB ingested and \
$0.03 per GB-month stored in us-east-1.",
        attributes: vec![
            defaulted(
                "enabled",
                Bool,
                Default::Bool(d::LOGS_ENABLED),
                "Whether the instances ship their logs to the group. On for new stacks; a stack \
created before this attribute existed keeps logging to the journal only until the configuration \
sets `enabled = true`. Changing it rolls the instances (their user data names the group) and \
`false` deletes the group with its events.",
            )
            .legacy(Default::Bool(false))
            .default_on_create(),
            defaulted(
                "retention_in_days",
                Number,
                Default::Int(d::LOGS_RETENTION_IN_DAYS),
                "Days CloudWatch Logs keeps an event: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, \
180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 to keep events forever. \
Changed in place; a shorter retention deletes the older events.",
            ),
            attr(
                "kms_key_id",
                Str,
                Optional,
                "ARN of a symmetric KMS key in the stack's region that encrypts the group's events; \
its key policy must let the `logs.<region>.amazonaws.com` service principal use it. Unset: \
CloudWatch Logs' own encryption (AES-256 with keys CloudWatch Logs manages, always on). Changed \
in place (AssociateKmsKey / DisassociateKmsKey): events already written keep the key they were \
written with.",
            ),
        ],
    }
}
