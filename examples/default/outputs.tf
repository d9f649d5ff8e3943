output "url" {
  description = "Where the site answers (the ALB, or the Route 53 name when `dns` is set)."
  value       = wordpress_ha_stack.blog.url
}

output "alb_dns_name" {
  value = wordpress_ha_stack.blog.alb_dns_name
}

output "vpc_id" {
  value = wordpress_ha_stack.blog.vpc_id
}

output "public_subnet_ids" {
  value = wordpress_ha_stack.blog.public_subnet_ids
}

output "private_subnet_ids" {
  value = wordpress_ha_stack.blog.private_subnet_ids
}

output "nat_gateway_ids" {
  value = wordpress_ha_stack.blog.nat_gateway_ids
}

output "bastion_public_ip" {
  value = wordpress_ha_stack.blog.bastion_public_ip
}

output "db_endpoint" {
  value = wordpress_ha_stack.blog.db_endpoint
}

output "efs_id" {
  value = wordpress_ha_stack.blog.efs_id
}

output "asg_name" {
  value = wordpress_ha_stack.blog.asg_name
}

output "security_group_ids" {
  value = wordpress_ha_stack.blog.security_group_ids
}

output "resources" {
  description = "Every AWS object the stack owns: logical name => AWS id."
  value       = wordpress_ha_stack.blog.resources
}
