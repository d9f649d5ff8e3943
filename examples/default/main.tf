# A WordPress stack as most teams would start it: two AZs with a NAT gateway each, a bastion
# reachable from one office range, Multi-AZ MySQL, 2-4 instances scaling on CPU.
# `./scripts/demo` applies this against a local moto server (no AWS account needed).
#
# The provider reads AWS_ENDPOINT_URL when `endpoint_url` is not set, which is how the demo
# points every service at moto; against real AWS, leave it unset.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    wordpress = { source = "wpstack/wordpress" }
  }
}

provider "wordpress" {
  region = var.region
  default_tags = {
    managed-by = "terraform"
  }
}

resource "wordpress_ha_stack" "blog" {
  name = var.name

  network {
    vpc_cidr           = "10.20.0.0/16"
    availability_zones = ["${var.region}a", "${var.region}b"]
    nat_gateways       = "one_per_az"
  }

  bastion {
    allowed_ssh_cidrs = var.office_cidrs
  }

  wordpress {
    image         = "public.ecr.aws/docker/library/wordpress:6-apache"
    instance_type = "t3.small"
  }

  autoscaling {
    min_size               = 2
    max_size               = 4
    target_cpu_utilization = 60
  }

  database {
    instance_class      = "db.t3.micro"
    multi_az            = true
    skip_final_snapshot = var.skip_final_snapshot
  }

  # Only when a hosted zone is given: the site then answers at record_name too.
  dynamic "dns" {
    for_each = var.zone_id == null ? [] : [var.zone_id]
    content {
      zone_id     = dns.value
      record_name = var.record_name
    }
  }

  tags = {
    env = "demo"
  }
}
