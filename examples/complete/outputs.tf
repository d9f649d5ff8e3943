output "url" {
  description = "https://<record_name>."
  value       = wordpress_ha_stack.site.url
}

output "bastion_public_ip" {
  value = wordpress_ha_stack.site.bastion_public_ip
}

output "nat_gateway_ids" {
  value = wordpress_ha_stack.site.nat_gateway_ids
}

output "db_endpoint" {
  value = wordpress_ha_stack.site.db_endpoint
}

output "launch_template_version" {
  value = wordpress_ha_stack.site.launch_template_version
}

output "security_group_ids" {
  value = wordpress_ha_stack.site.security_group_ids
}

output "resources" {
  description = "Every AWS object the stack owns: logical name => AWS id."
  value       = wordpress_ha_stack.site.resources
}
