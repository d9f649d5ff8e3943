output "url" {
  value = wordpress_ha_stack.site.url
}

output "planned_changes" {
  description = "What the last applied plan did to the AWS objects behind the stack."
  value       = wordpress_ha_stack.site.planned_changes
}
