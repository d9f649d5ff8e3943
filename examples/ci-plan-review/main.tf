# A stack reviewed in CI: `plan-review.sh` (next to this file) runs `terraform plan -out`,
# `terraform show -json` and prints what the plan does to the AWS objects behind the one
# resource, from its `planned_changes` attribute. Try it after an apply:
#
#   ../ci-plan-review/plan-review.sh -var image=wordpress:6.6-php8.3-apache -var max_size=6
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

resource "wordpress_ha_stack" "site" {
  name = var.name

  network {
    nat_gateways = "single"
  }

  bastion {
    enabled = false
  }

  wordpress {
    image         = var.image
    instance_type = var.instance_type
  }

  autoscaling {
    min_size = 2
    max_size = var.max_size
  }

  database {
    multi_az            = false
    skip_final_snapshot = true
  }
}
