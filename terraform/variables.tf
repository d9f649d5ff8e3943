# Inputs of the module, one per block of `wordpress_ha_stack`.
#
# Terraform 1.0 has no optional object attributes, so each object variable lists every
# attribute of its block: callers pass the whole object (copy the default and change what they
# need). Attributes documented as "null = ..." may be null; the others carry the provider's
# default. The validation blocks mirror the provider's own checks, so a mistake is reported
# at `terraform validate` time on the module input instead of at plan time on the resource.

variable "name" {
  description = "Short name of the stack: 1-20 characters of [a-z0-9-], starting with a letter, not ending with a hyphen. Prefixes every AWS object's name; changing it replaces the stack."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name))
    error_message = "The name must be 1 to 20 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen, such as \"blog\" or \"shop-prod\"."
  }
}

variable "tags" {
  description = "Your tags for every AWS object of the stack (merged over the module's own `terraform-module` tag and under nothing: yours win). Keys starting with `wordpress-ha:` or `aws:` are reserved."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(var.tags) <= 46
    error_message = "At most 46 tags fit: AWS allows 50 per object, the provider adds 3 and the module 1."
  }

  validation {
    condition = alltrue([
      for key, value in var.tags :
      length(regexall("^(?i)(wordpress-ha:|aws:)", key)) == 0
    ])
    error_message = "Tag keys starting with \"wordpress-ha:\" (the provider's) or \"aws:\" (AWS's) are reserved: rename the key."
  }

  validation {
    condition = alltrue([
      for key, value in var.tags :
      can(regex("^[\\p{L}\\p{N} _.:/=+@-]{1,128}$", key)) && can(regex("^[\\p{L}\\p{N} _.:/=+@-]{0,256}$", value))
    ])
    error_message = "Tag keys (1-128 characters) and values (up to 256) may use letters, digits, spaces and _ . : / = + - @ only."
  }
}

variable "network" {
  description = "The VPC: `vpc_cidr` (IPv4, /16 to /24; forces a new stack), `availability_zones` (at least 2 distinct zones of the region; null = the region's first two; forces a new stack), `nat_gateways` (`one_per_az` or `single`)."
  type = object({
    vpc_cidr           = string
    availability_zones = list(string)
    nat_gateways       = string
  })
  default = {
    vpc_cidr           = "10.0.0.0/16"
    availability_zones = null
    nat_gateways       = "one_per_az"
  }

  validation {
    condition     = can(cidrhost(var.network.vpc_cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-4])$", var.network.vpc_cidr))
    error_message = "The network.vpc_cidr must be an IPv4 CIDR block from /16 to /24, such as \"10.0.0.0/16\"."
  }

  validation {
    # An unparsable block passes here: the validation above reports it.
    condition     = try(cidrsubnet(var.network.vpc_cidr, 0, 0) == var.network.vpc_cidr, true)
    error_message = "The network.vpc_cidr must be written as its network address (no host bits set), such as \"10.0.0.0/16\" rather than \"10.0.0.1/16\"."
  }

  validation {
    condition = var.network.availability_zones == null ? true : (
      length(var.network.availability_zones) >= 2 &&
      length(distinct(var.network.availability_zones)) == length(var.network.availability_zones) &&
      alltrue([for zone in var.network.availability_zones : can(regex("^[a-z]+(-[a-z0-9]+)*-[0-9]+[a-z]$", zone))])
    )
    error_message = "The network.availability_zones must list at least 2 distinct zone names such as \"us-east-1a\", or be null for the region's first two."
  }

  validation {
    condition     = contains(["one_per_az", "single"], var.network.nat_gateways)
    error_message = "The network.nat_gateways must be \"one_per_az\" (AZ-redundant) or \"single\" (cheaper)."
  }
}

variable "bastion" {
  description = "The bastion host: `enabled`, `instance_type`, `allowed_ssh_cidrs` (CIDRs allowed on port 22; never 0.0.0.0/0 or ::/0), `key_name` (null = none), `ami_id` (null = current Amazon Linux 2023 for the instance type's architecture, x86_64 or arm64)."
  type = object({
    enabled           = bool
    instance_type     = string
    allowed_ssh_cidrs = list(string)
    key_name          = string
    ami_id            = string
  })
  default = {
    enabled           = true
    instance_type     = "t3.micro"
    allowed_ssh_cidrs = []
    key_name          = null
    ami_id            = null
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9-]+$", var.bastion.instance_type))
    error_message = "The bastion.instance_type must be an EC2 instance type such as \"t3.micro\"."
  }

  validation {
    condition = var.bastion.allowed_ssh_cidrs == null ? true : alltrue([
      for cidr in var.bastion.allowed_ssh_cidrs :
      can(cidrhost(cidr, 0)) && !can(regex("/0$", cidr)) && try(cidrsubnet(cidr, 0, 0) == cidr, false)
    ])
    error_message = "Each bastion.allowed_ssh_cidrs entry must be a CIDR block written as its network address, such as \"203.0.113.0/24\"; 0.0.0.0/0 and ::/0 (the whole internet) are refused."
  }

  validation {
    condition     = var.bastion.allowed_ssh_cidrs == null ? true : length(distinct(var.bastion.allowed_ssh_cidrs)) == length(var.bastion.allowed_ssh_cidrs)
    error_message = "The bastion.allowed_ssh_cidrs must list each CIDR block once."
  }

  validation {
    condition     = var.bastion.ami_id == null ? true : can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.bastion.ami_id))
    error_message = "The bastion.ami_id must be an AMI id such as \"ami-0123456789abcdef0\", or null for the latest Amazon Linux 2023."
  }
}

variable "wordpress" {
  description = "The WordPress instances (Docker on Amazon Linux 2023): `image` (the default is the official image's public ECR mirror, free of Docker Hub's anonymous pull limit), `instance_type`, `ami_id` (null = current Amazon Linux 2023 for the instance type's architecture, x86_64 or arm64), `key_name` (null = none), `config_extra` (PHP for wp-config.php; null = none). A change rolls a new launch template version and an instance refresh."
  type = object({
    image         = string
    instance_type = string
    ami_id        = string
    key_name      = string
    config_extra  = string
  })
  default = {
    image         = "public.ecr.aws/docker/library/wordpress:6-apache"
    instance_type = "t3.small"
    ami_id        = null
    key_name      = null
    config_extra  = null
  }

  validation {
    condition     = can(regex("^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$", var.wordpress.image))
    error_message = "The wordpress.image must be a Docker image reference such as \"wordpress:6-apache\"."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9-]+$", var.wordpress.instance_type))
    error_message = "The wordpress.instance_type must be an EC2 instance type such as \"t3.small\"."
  }

  validation {
    condition     = var.wordpress.ami_id == null ? true : can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.wordpress.ami_id))
    error_message = "The wordpress.ami_id must be an AMI id such as \"ami-0123456789abcdef0\", or null for the latest Amazon Linux 2023."
  }
}

variable "site" {
  description = "The WordPress site, installed at first boot so its installation wizard is never exposed: `title` (1-200 characters), `admin_user` (the first administrator's login: 1-60 letters, digits, spaces and `_ . - @`), `admin_email` (null = `wordpress@<the site's host>`, which rarely receives mail). The administrator's password is generated into the stack's secret (`<name>/wordpress`, field `wp_admin_password`), never into the state. Read at install only: later changes reach only instances launched afterwards, without an instance refresh; change the title and users in WordPress itself."
  type = object({
    title       = string
    admin_user  = string
    admin_email = string
  })
  default = {
    title       = "WordPress"
    admin_user  = "wpadmin"
    admin_email = null
  }

  validation {
    condition     = length(var.site.title) >= 1 && length(var.site.title) <= 200 && trimspace(var.site.title) != ""
    error_message = "The site.title must be 1-200 characters and not blank."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9_.@-]([A-Za-z0-9_.@-]| [A-Za-z0-9_.@-]){0,59}$", var.site.admin_user)) && length(var.site.admin_user) <= 60
    error_message = "The site.admin_user must be 1-60 letters, digits, single inner spaces and _ . - @, as WordPress keeps in a login."
  }

  validation {
    condition     = var.site.admin_email == null ? true : (length(var.site.admin_email) >= 6 && length(var.site.admin_email) <= 100 && can(regex("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$", var.site.admin_email)))
    error_message = "The site.admin_email must be an e-mail address WordPress accepts (6-100 characters), such as admin@example.com, or null."
  }
}

variable "autoscaling" {
  description = "The Auto Scaling group: `min_size` <= `desired_capacity` (null = the group's own) <= `max_size` (1-100), `target_cpu_utilization` (1-100 %), `health_check_grace_period` (seconds)."
  type = object({
    min_size                  = number
    max_size                  = number
    desired_capacity          = number
    target_cpu_utilization    = number
    health_check_grace_period = number
  })
  default = {
    min_size                  = 2
    max_size                  = 4
    desired_capacity          = null
    target_cpu_utilization    = 60
    health_check_grace_period = 300
  }

  validation {
    condition     = var.autoscaling.min_size >= 0 && var.autoscaling.max_size >= 1 && var.autoscaling.max_size <= 100
    error_message = "The autoscaling.min_size must be 0 or more and autoscaling.max_size between 1 and 100."
  }

  validation {
    condition     = var.autoscaling.min_size <= var.autoscaling.max_size
    error_message = "The autoscaling sizes must be ordered: min_size <= max_size."
  }

  validation {
    condition = var.autoscaling.desired_capacity == null ? true : (
      var.autoscaling.desired_capacity >= var.autoscaling.min_size &&
      var.autoscaling.desired_capacity <= var.autoscaling.max_size
    )
    error_message = "The autoscaling.desired_capacity must lie between min_size and max_size, or be null to let the scaling policy decide."
  }

  validation {
    condition     = var.autoscaling.target_cpu_utilization >= 1 && var.autoscaling.target_cpu_utilization <= 100
    error_message = "The autoscaling.target_cpu_utilization is a percentage between 1 and 100."
  }

  validation {
    condition     = var.autoscaling.health_check_grace_period >= 0
    error_message = "The autoscaling.health_check_grace_period cannot be negative."
  }
}

variable "database" {
  description = "The RDS MySQL instance: `instance_class`, `engine_version` (8.4, the current long-term release, or a pinned 8.4.5; 8.0 runs on paid RDS Extended Support since 31 July 2026, and a stack created with the earlier default 8.0 upgrades in place unless it sets 8.0), `allocated_storage` (GiB, 20 or more, grow only) <= `max_allocated_storage`, `multi_az`, `db_name` and `username` (force a new stack), `backup_retention_days` (0-35), `deletion_protection`, `skip_final_snapshot`. The password is `db_password`."
  type = object({
    instance_class        = string
    engine_version        = string
    allocated_storage     = number
    max_allocated_storage = number
    multi_az              = bool
    db_name               = string
    username              = string
    backup_retention_days = number
    deletion_protection   = bool
    skip_final_snapshot   = bool
  })
  default = {
    instance_class        = "db.t3.micro"
    engine_version        = "8.4"
    allocated_storage     = 20
    max_allocated_storage = 100
    multi_az              = true
    db_name               = "wordpress"
    username              = "wordpress"
    backup_retention_days = 7
    deletion_protection   = false
    skip_final_snapshot   = false
  }

  validation {
    condition     = can(regex("^db\\.[a-z][a-z0-9-]*\\.[a-z0-9-]+$", var.database.instance_class))
    error_message = "The database.instance_class must be an RDS instance class such as \"db.t3.micro\"."
  }

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+(\\.[0-9]+)?$", var.database.engine_version))
    error_message = "The database.engine_version must be a MySQL version such as \"8.4\" or \"8.4.5\"."
  }

  validation {
    condition = (
      var.database.allocated_storage >= 20 &&
      var.database.max_allocated_storage >= var.database.allocated_storage &&
      var.database.max_allocated_storage <= 65536
    )
    error_message = "The database storage sizes must be ordered: 20 <= allocated_storage <= max_allocated_storage <= 65536 GiB."
  }

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.database.db_name)) && can(regex("^[A-Za-z][A-Za-z0-9]{0,15}$", var.database.username))
    error_message = "The database.db_name (1-64 letters, digits, underscores) and database.username (1-16 letters and digits) must start with a letter."
  }

  validation {
    condition     = var.database.backup_retention_days >= 0 && var.database.backup_retention_days <= 35
    error_message = "The database.backup_retention_days must be between 0 (no backups) and 35."
  }
}

variable "db_snapshot_identifier" {
  description = "Create the database from this RDS DB snapshot (identifier or ARN), e.g. the final snapshot of a destroyed stack; used only when the stack is created (changing it later is refused at plan). Null = an empty database."
  type        = string
  default     = null
}

variable "db_password" {
  description = "Master password of the database: 8-41 printable characters, none of /, \", @ or a space. Null = generated at create and kept in Secrets Manager."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.db_password == null ? true : can(regex("^[!#-.0-?A-~]{8,41}$", var.db_password))
    error_message = "The db_password must be 8 to 41 printable ASCII characters without /, \", @ or spaces, or null to have one generated."
  }
}

variable "storage" {
  description = "The EFS file system: `throughput_mode` (`elastic`, `bursting` or `provisioned`), `provisioned_throughput_mibps` (only with `provisioned`; else null), `performance_mode` (`generalPurpose` or `maxIO`; forces a new stack)."
  type = object({
    throughput_mode              = string
    provisioned_throughput_mibps = number
    performance_mode             = string
  })
  default = {
    throughput_mode              = "elastic"
    provisioned_throughput_mibps = null
    performance_mode             = "generalPurpose"
  }

  validation {
    condition     = contains(["elastic", "bursting", "provisioned"], var.storage.throughput_mode) && contains(["generalPurpose", "maxIO"], var.storage.performance_mode)
    error_message = "The storage.throughput_mode must be \"elastic\", \"bursting\" or \"provisioned\", and storage.performance_mode \"generalPurpose\" or \"maxIO\"."
  }

  validation {
    condition = (var.storage.throughput_mode == "provisioned") == (var.storage.provisioned_throughput_mibps != null) && (
      var.storage.provisioned_throughput_mibps == null ? true : var.storage.provisioned_throughput_mibps >= 1 && var.storage.provisioned_throughput_mibps <= 3414
    )
    error_message = "The storage.provisioned_throughput_mibps (1-3414) is required with throughput_mode \"provisioned\" and must be null otherwise."
  }

  validation {
    condition     = !(var.storage.performance_mode == "maxIO" && var.storage.throughput_mode == "elastic")
    error_message = "EFS does not offer elastic throughput with the maxIO performance mode: use generalPurpose, or bursting or provisioned throughput."
  }
}

variable "storage_backups" {
  description = "EFS automatic backups of `wp-content` (AWS Backup's daily backups, kept 35 days in the vault `aws/efs/automatic-backup-vault`). AWS Backup bills the backup storage per GB-month and restores per GB. Apart from `storage` so that configurations passing a whole `storage` object keep working (Terraform 1.0 has no optional object attributes)."
  type        = bool
  default     = true
}

variable "load_balancer" {
  description = "The Application Load Balancer: `certificate_arn` (ACM; adds HTTPS and redirects HTTP; null = HTTP only), `health_check_path` (the default is the provider's own health file, answering 200 through Apache and PHP without the database; any other path may answer 200-399), `idle_timeout` (1-4000 s), `deregistration_delay` (0-3600 s a leaving instance may finish its requests)."
  type = object({
    certificate_arn      = string
    health_check_path    = string
    idle_timeout         = number
    deregistration_delay = number
  })
  default = {
    certificate_arn      = null
    health_check_path    = "/wordpress-ha-health.php"
    idle_timeout         = 60
    deregistration_delay = 30
  }

  validation {
    condition     = var.load_balancer.certificate_arn == null ? true : can(regex("^arn:aws(-[a-z-]+)?:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.load_balancer.certificate_arn))
    error_message = "The load_balancer.certificate_arn must be an ACM certificate ARN such as \"arn:aws:acm:us-east-1:123456789012:certificate/<id>\", or null."
  }

  validation {
    condition     = can(regex("^/[!-~]*$", var.load_balancer.health_check_path)) && length(var.load_balancer.health_check_path) <= 1024
    error_message = "The load_balancer.health_check_path must be a URL path starting with \"/\", without spaces, such as \"/healthz.html\"."
  }

  validation {
    condition     = var.load_balancer.idle_timeout >= 1 && var.load_balancer.idle_timeout <= 4000
    error_message = "The load_balancer.idle_timeout must be between 1 and 4000 seconds."
  }

  validation {
    condition     = var.load_balancer.deregistration_delay >= 0 && var.load_balancer.deregistration_delay <= 3600
    error_message = "The load_balancer.deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "dns" {
  description = "A Route 53 alias record for the site: `zone_id` (hosted zone id, e.g. Z0123456789ABCDEFGHIJ) and `record_name` (e.g. blog.example.com). Null = no record; `url` is then the load balancer's name."
  type = object({
    zone_id     = string
    record_name = string
  })
  default = null

  validation {
    condition     = var.dns == null ? true : can(regex("^Z[A-Z0-9]{1,31}$", var.dns.zone_id))
    error_message = "The dns.zone_id must be a Route 53 hosted zone id such as \"Z0123456789ABCDEFGHIJ\" (without \"/hostedzone/\")."
  }

  validation {
    condition     = var.dns == null ? true : can(regex("^(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?$", var.dns.record_name)) && length(var.dns.record_name) <= 254
    error_message = "The dns.record_name must be a fully qualified DNS name such as \"blog.example.com\"."
  }
}

variable "waf" {
  description = "An AWS WAF web ACL `<name>-waf` guarding the load balancer with AWS's managed rule groups (WordPress, PHP, common, known bad inputs) and a per-IP rate rule: `enabled` (null = the provider's default: on for new stacks, off for stacks created before the web ACL existed; false removes it), `rate_limit` (requests one IP address may send in 5 minutes, 10-2000000000). Costs $5.00 per web ACL and $1.00 per rule per month ($10 for the five rules), plus $0.60 per million requests."
  type = object({
    enabled    = bool
    rate_limit = number
  })
  default = {
    enabled    = null
    rate_limit = 2000
  }

  validation {
    condition     = var.waf.rate_limit >= 10 && var.waf.rate_limit <= 2000000000 && floor(var.waf.rate_limit) == var.waf.rate_limit
    error_message = "The waf.rate_limit must be a whole number of requests per 5 minutes between 10 and 2000000000."
  }
}

variable "alarms" {
  description = "CloudWatch alarms `<name>-alarm-<key>` (ALB 5xx, unhealthy targets, database CPU, free storage and connections, file system burst credits or I/O limit, Auto Scaling group at max capacity) notifying on ALARM and OK: `enabled` (null = the provider's default: on for new stacks, off for stacks created before the alarms existed; false removes them), `topic_arn` (null = the stack's own SNS topic `<name>-alarms`; else a standard topic you own, never changed or deleted), `email_addresses` (subscribed to the stack's own topic, each pending until its owner confirms), thresholds `http_5xx_threshold` (5xx in 5 minutes), `db_cpu_percent`, `db_free_storage_gib`, `db_connections`, `efs_io_limit_percent`. Costs $0.10 per alarm per month (8 alarms: $0.80); SNS stays in its free tier."
  type = object({
    enabled              = bool
    topic_arn            = string
    email_addresses      = list(string)
    http_5xx_threshold   = number
    db_cpu_percent       = number
    db_free_storage_gib  = number
    db_connections       = number
    efs_io_limit_percent = number
  })
  default = {
    enabled              = null
    topic_arn            = null
    email_addresses      = []
    http_5xx_threshold   = 10
    db_cpu_percent       = 80
    db_free_storage_gib  = 2
    db_connections       = 60
    efs_io_limit_percent = 90
  }

  validation {
    condition     = var.alarms.topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarms.topic_arn))
    error_message = "The alarms.topic_arn must be a standard SNS topic ARN, arn:<partition>:sns:<region>:<account id>:<name>."
  }

  validation {
    condition     = alltrue([for e in var.alarms.email_addresses : can(regex("^[^@\\s]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$", e))])
    error_message = "Each of alarms.email_addresses must be an e-mail address such as name@example.com."
  }

  validation {
    condition     = var.alarms.db_cpu_percent >= 1 && var.alarms.db_cpu_percent <= 100 && var.alarms.efs_io_limit_percent >= 1 && var.alarms.efs_io_limit_percent <= 100
    error_message = "The alarms.db_cpu_percent and alarms.efs_io_limit_percent must be percents between 1 and 100."
  }
}

variable "logs" {
  description = "The CloudWatch Logs group `/wordpress/<name>` the WordPress container (awslogs driver) and the boot script write to; the instance role may write to it only: `enabled` (null = the provider's default: on for new stacks, off for stacks created before the group existed; false deletes it), `retention_in_days` (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 = never expire), `kms_key_id` (KMS key ARN; null = CloudWatch Logs' own encryption). Billed by use: about $0.50 per GB ingested and $0.03 per GB-month stored."
  type = object({
    enabled           = bool
    retention_in_days = number
    kms_key_id        = string
  })
  default = {
    enabled           = null
    retention_in_days = 30
    kms_key_id        = null
  }

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.logs.retention_in_days)
    error_message = "The logs.retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 to keep events forever."
  }
}

variable "timeouts" {
  description = "Bounds on `create`, `update` and `delete`, as durations such as \"45m\" or \"1h30m\"; null = the provider's default (60m, 60m, 45m)."
  type = object({
    create = string
    update = string
    delete = string
  })
  default = {
    create = null
    update = null
    delete = null
  }

  validation {
    condition = alltrue([
      for duration in [var.timeouts.create, var.timeouts.update, var.timeouts.delete] :
      duration == null ? true : can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", duration))
    ])
    error_message = "Each timeout must be a duration such as \"45m\", \"90s\" or \"1h30m\" (units ns, us, ms, s, m, h), or null."
  }
}
