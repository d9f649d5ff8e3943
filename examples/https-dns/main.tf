# WordPress served over HTTPS at your own name: an ACM certificate on the load balancer (HTTP
# redirects to HTTPS) and a Route 53 alias record pointing the name at it. The certificate and
# the hosted zone already exist (made elsewhere, often by another team's configuration): pass
# their ids as variables. Otherwise a lean stack: one NAT gateway, no bastion, single-AZ MySQL.
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

  database {
    multi_az            = false
    skip_final_snapshot = true
  }

  load_balancer {
    certificate_arn = var.certificate_arn
  }

  dns {
    zone_id     = var.zone_id
    record_name = var.record_name
  }
}
