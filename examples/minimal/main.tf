# The smallest stack: every tier with its safe, highly-available defaults
# (2 AZs, a NAT gateway per AZ, Multi-AZ MySQL, 2-4 WordPress instances behind an ALB,
# a bastion with no SSH ingress until you list CIDRs in `bastion.allowed_ssh_cidrs`).
#
# AWS settings come from the usual places (AWS_REGION, AWS_PROFILE, ...); to run against a local
# emulator, set AWS_ENDPOINT_URL (./scripts/demo does this for the default example).

terraform {
  required_providers {
    wordpress = { source = "wpstack/wordpress" }
  }
}

provider "wordpress" {}

resource "wordpress_ha_stack" "blog" {
  name = "blog"
}

output "url" {
  value = wordpress_ha_stack.blog.url
}
