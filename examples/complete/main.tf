# Every block and every argument of `wordpress_ha_stack`, set explicitly: a reference for what
# can be tuned. Three zones with a NAT gateway each, a bastion for one office range with a key
# pair, pinned WordPress image and PHP settings, fixed desired capacity, Multi-AZ MySQL with a
# password of yours, provisioned EFS throughput, HTTPS with an ACM certificate, a Route 53
# record and explicit timeouts.
#
# The certificate, hosted zone, key pair and password are inputs (see variables.tf). The
# endpoint comes from AWS_ENDPOINT_URL when set (a local emulator such as moto); against real
# AWS, leave it unset.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    wordpress = {
      source  = "wpstack/wordpress"
      version = "~> 0.1.0"
    }
  }
}

provider "wordpress" {
  region      = var.region
  max_retries = 10
  default_tags = {
    managed-by = "terraform"
    example    = "complete"
  }
}

resource "wordpress_ha_stack" "site" {
  name = var.name

  network {
    vpc_cidr           = "10.30.0.0/16"
    availability_zones = [for letter in ["a", "b", "c"] : "${var.region}${letter}"]
    nat_gateways       = "one_per_az"
  }

  bastion {
    enabled           = true
    instance_type     = "t3.micro"
    allowed_ssh_cidrs = var.office_cidrs
    key_name          = var.key_name
    ami_id            = var.ami_id
  }

  wordpress {
    image         = "wordpress:6.6-php8.3-apache"
    instance_type = "t3.small"
    ami_id        = var.ami_id
    key_name      = var.key_name
    config_extra  = <<-PHP
      define('WP_MEMORY_LIMIT', '256M');
      define('DISALLOW_FILE_EDIT', true);
    PHP
  }

  # Installed at first boot; the administrator's password is generated into the stack's secret
  # (`aws secretsmanager get-secret-value --secret-id <name>/wordpress`, `wp_admin_password`).
  site {
    title       = "Example Co. blog"
    admin_user  = "editor-in-chief"
    admin_email = var.admin_email
  }

  autoscaling {
    min_size                  = 2
    max_size                  = 6
    desired_capacity          = 3
    target_cpu_utilization    = 55
    health_check_grace_period = 240
  }

  database {
    instance_class        = "db.t3.small"
    engine_version        = "8.4"
    allocated_storage     = 30
    max_allocated_storage = 200
    multi_az              = true
    db_name               = "wordpress"
    username              = "wpadmin"
    # Hidden in plans by the provider's schema; nonsensitive() avoids Terraform 1.0.3's plan
    # renderer crash on changes to a block holding a sensitive variable's value.
    password              = nonsensitive(var.db_password)
    backup_retention_days = 14
    deletion_protection   = false
    skip_final_snapshot   = var.skip_final_snapshot
    # Restore a destroyed site's posts: create this stack from its final snapshot (only at
    # create; see the guide on restoring a destroyed site).
    # snapshot_identifier = "blog-final-1767225600"
  }

  storage {
    throughput_mode              = "provisioned"
    provisioned_throughput_mibps = 64
    performance_mode             = "generalPurpose"
  }

  load_balancer {
    certificate_arn      = var.certificate_arn
    health_check_path    = "/healthz.html"
    idle_timeout         = 120
    deregistration_delay = 60
  }

  dns {
    zone_id     = var.zone_id
    record_name = var.record_name
  }

  # On by default for new stacks: about $10 a month plus $0.60 per million requests.
  waf {
    enabled    = true
    rate_limit = 1000
  }

  # CloudWatch alarms ($0.10 per alarm-month) notifying the stack's own SNS topic; each address
  # gets a confirmation e-mail and receives alarms only once it follows the link. Set
  # `topic_arn` instead to notify a topic you own (the stack then never touches it).
  alarms {
    enabled            = true
    email_addresses    = ["ops@example.com"]
    http_5xx_threshold = 10
    db_cpu_percent     = 80
    db_connections     = 60
  }

  # On by default for new stacks: the container and the boot script log to /wordpress/<name>.
  # Billed by use: about $0.50 per GB ingested and $0.03 per GB-month stored (us-east-1).
  logs {
    enabled           = true
    retention_in_days = 90
    # A symmetric KMS key whose policy lets logs.<region>.amazonaws.com use it; unset keeps
    # CloudWatch Logs' own encryption.
    kms_key_id = var.logs_kms_key_arn
  }

  timeouts {
    create = "90m"
    update = "75m"
    delete = "45m"
  }

  tags = {
    env   = "staging"
    owner = "web-team"
  }
}
