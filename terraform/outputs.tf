# Every computed attribute of the stack; no database password (a configured one stays in the
# resource's sensitive state, a generated one in the stack's Secrets Manager secret only).

output "id" {
  description = "The stack's name (the resource's id)."
  value       = wordpress_ha_stack.this.id
}

output "url" {
  description = "The site's URL: http(s)://<dns.record_name> when `dns` is set, else the load balancer's DNS name."
  value       = wordpress_ha_stack.this.url
}

output "alb_dns_name" {
  description = "DNS name of the Application Load Balancer."
  value       = wordpress_ha_stack.this.alb_dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone id of the load balancer, for alias records of your own."
  value       = wordpress_ha_stack.this.alb_zone_id
}

output "vpc_id" {
  description = "Id of the stack's VPC."
  value       = wordpress_ha_stack.this.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets, one per Availability Zone, in zone order."
  value       = wordpress_ha_stack.this.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets, one per Availability Zone, in zone order."
  value       = wordpress_ha_stack.this.private_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT Gateways (one per zone, or one)."
  value       = wordpress_ha_stack.this.nat_gateway_ids
}

output "bastion_public_ip" {
  description = "Public IP of the bastion host; null when the bastion is disabled."
  value       = wordpress_ha_stack.this.bastion_public_ip
}

output "efs_id" {
  description = "Id of the EFS file system holding wp-content."
  value       = wordpress_ha_stack.this.efs_id
}

output "db_endpoint" {
  description = "RDS endpoint, address:port."
  value       = wordpress_ha_stack.this.db_endpoint
}

output "db_address" {
  description = "RDS host name."
  value       = wordpress_ha_stack.this.db_address
}

output "asg_name" {
  description = "Name of the Auto Scaling group of WordPress instances."
  value       = wordpress_ha_stack.this.asg_name
}

output "launch_template_id" {
  description = "Id of the instances' launch template."
  value       = wordpress_ha_stack.this.launch_template_id
}

output "launch_template_version" {
  description = "Launch template version the Auto Scaling group uses."
  value       = wordpress_ha_stack.this.launch_template_version
}

output "security_group_ids" {
  description = "Security group id by tier: alb, bastion, app, efs, db (e.g. to let your own resources reach the database)."
  value       = wordpress_ha_stack.this.security_group_ids
}

output "resources" {
  description = "Every AWS object the stack owns: logical name => AWS id."
  value       = wordpress_ha_stack.this.resources
}

output "planned_changes" {
  description = "What the latest plan did to the AWS objects behind the stack, one line per object."
  value       = wordpress_ha_stack.this.planned_changes
}
