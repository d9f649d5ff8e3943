output "url" {
  description = "https://<record_name>: the alias record points at the load balancer."
  value       = wordpress_ha_stack.site.url
}

output "alb_dns_name" {
  value = wordpress_ha_stack.site.alb_dns_name
}

output "alb_zone_id" {
  description = "The load balancer's own zone, the target of the alias record."
  value       = wordpress_ha_stack.site.alb_zone_id
}

output "resources" {
  value = wordpress_ha_stack.site.resources
}
