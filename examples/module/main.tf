# The module (`terraform/` of this repository) in an existing codebase: two stacks made from
# it share the organisation's tags, and one stack's output feeds the other's configuration
# (the shop's WordPress learns the blog's URL through `config_extra`). The outputs below show
# how other code reads a stack: its URL, its security groups, its subnets.
#
# The endpoint comes from AWS_ENDPOINT_URL when set (a local emulator such as moto); against
# real AWS, leave it unset.

terraform {
  required_version = ">= 1.0.3"
  required_providers {
    wordpress = { source = "wpstack/wordpress" }
  }
}

provider "wordpress" {
  region = var.region
}

locals {
  # Tags the rest of the codebase already puts on everything.
  common_tags = {
    cost-center = "marketing"
    repository  = "infra-live"
  }

  # Lean settings for both stacks: one NAT gateway, no bastion, single-AZ MySQL.
  network = {
    vpc_cidr           = "10.40.0.0/16"
    availability_zones = null
    nat_gateways       = "single"
  }
  bastion = {
    enabled           = false
    instance_type     = "t3.micro"
    allowed_ssh_cidrs = []
    key_name          = null
    ami_id            = null
  }
  database = {
    instance_class        = "db.t3.micro"
    engine_version        = "8.4"
    allocated_storage     = 20
    max_allocated_storage = 100
    multi_az              = false
    db_name               = "wordpress"
    username              = "wordpress"
    backup_retention_days = 1
    deletion_protection   = false
    skip_final_snapshot   = true
  }
}

module "blog" {
  source = "../../terraform"

  name     = "${var.prefix}-blog"
  tags     = merge(local.common_tags, { app = "blog" })
  network  = local.network
  bastion  = local.bastion
  database = local.database
}

module "shop" {
  source = "../../terraform"

  name     = "${var.prefix}-shop"
  tags     = merge(local.common_tags, { app = "shop" })
  network  = merge(local.network, { vpc_cidr = "10.41.0.0/16" })
  bastion  = local.bastion
  database = local.database

  wordpress = {
    image         = "public.ecr.aws/docker/library/wordpress:6-apache"
    instance_type = "t3.small"
    ami_id        = null
    key_name      = null
    # An output of the blog stack configures the shop.
    config_extra = "define('BLOG_URL', '${module.blog.url}');"
  }
}
