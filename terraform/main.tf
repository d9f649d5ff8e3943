# One highly-available WordPress stack (`wordpress_ha_stack`), configured from the module's
# inputs. Null attributes are left unset on the resource, so the provider's defaults apply.

locals {
  # Marks objects made through this module; the caller's tags are merged over it.
  module_tags = {
    "terraform-module" = "wordpress-ha"
  }

  # A `timeouts` block only when some bound is set, as a caller would write it by hand.
  timeouts_set = var.timeouts == null ? [] : [
    for bound in values(var.timeouts) : bound if bound != null
  ]
}

resource "wordpress_ha_stack" "this" {
  name = var.name
  tags = merge(local.module_tags, var.tags)

  network {
    vpc_cidr           = var.network.vpc_cidr
    availability_zones = var.network.availability_zones
    nat_gateways       = var.network.nat_gateways
  }

  bastion {
    enabled           = var.bastion.enabled
    instance_type     = var.bastion.instance_type
    allowed_ssh_cidrs = var.bastion.allowed_ssh_cidrs
    key_name          = var.bastion.key_name
    ami_id            = var.bastion.ami_id
  }

  wordpress {
    image         = var.wordpress.image
    instance_type = var.wordpress.instance_type
    ami_id        = var.wordpress.ami_id
    key_name      = var.wordpress.key_name
    config_extra  = var.wordpress.config_extra
  }

  # Read by the first boot's install only: WordPress owns the title and its users afterwards.
  site {
    title       = var.site.title
    admin_user  = var.site.admin_user
    admin_email = var.site.admin_email
  }

  autoscaling {
    min_size                  = var.autoscaling.min_size
    max_size                  = var.autoscaling.max_size
    desired_capacity          = var.autoscaling.desired_capacity
    target_cpu_utilization    = var.autoscaling.target_cpu_utilization
    health_check_grace_period = var.autoscaling.health_check_grace_period
  }

  database {
    instance_class        = var.database.instance_class
    engine_version        = var.database.engine_version
    allocated_storage     = var.database.allocated_storage
    max_allocated_storage = var.database.max_allocated_storage
    multi_az              = var.database.multi_az
    db_name               = var.database.db_name
    username              = var.database.username
    # The provider's schema marks `password` sensitive, so plans still hide it. nonsensitive()
    # only drops the variable's own mark: Terraform 1.0.3's plan renderer crashes ("value is
    # marked, so must be unmarked first") on any change to a nested block holding a marked value.
    password              = nonsensitive(var.db_password)
    backup_retention_days = var.database.backup_retention_days
    deletion_protection   = var.database.deletion_protection
    skip_final_snapshot   = var.database.skip_final_snapshot
    snapshot_identifier   = var.db_snapshot_identifier
  }

  storage {
    throughput_mode              = var.storage.throughput_mode
    provisioned_throughput_mibps = var.storage.provisioned_throughput_mibps
    performance_mode             = var.storage.performance_mode
    backups                      = var.storage_backups
  }

  load_balancer {
    certificate_arn      = var.load_balancer.certificate_arn
    health_check_path    = var.load_balancer.health_check_path
    idle_timeout         = var.load_balancer.idle_timeout
    deregistration_delay = var.load_balancer.deregistration_delay
  }

  dynamic "dns" {
    for_each = var.dns == null ? [] : [var.dns]
    content {
      zone_id     = dns.value.zone_id
      record_name = dns.value.record_name
    }
  }

  waf {
    enabled    = var.waf.enabled
    rate_limit = var.waf.rate_limit
  }

  alarms {
    enabled              = var.alarms.enabled
    topic_arn            = var.alarms.topic_arn
    email_addresses      = var.alarms.email_addresses
    http_5xx_threshold   = var.alarms.http_5xx_threshold
    db_cpu_percent       = var.alarms.db_cpu_percent
    db_free_storage_gib  = var.alarms.db_free_storage_gib
    db_connections       = var.alarms.db_connections
    efs_io_limit_percent = var.alarms.efs_io_limit_percent
  }

  logs {
    enabled           = var.logs.enabled
    retention_in_days = var.logs.retention_in_days
    kms_key_id        = var.logs.kms_key_id
  }

  dynamic "timeouts" {
    for_each = length(local.timeouts_set) > 0 ? [var.timeouts] : []
    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = timeouts.value.delete
    }
  }
}
