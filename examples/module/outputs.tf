output "blog_url" {
  value = module.blog.url
}

output "shop_url" {
  value = module.shop.url
}

output "shop_database_security_group" {
  description = "What a migration job of yours would need to reach the shop's database."
  value       = module.shop.security_group_ids["db"]
}

output "blog_private_subnet_ids" {
  value = module.blog.private_subnet_ids
}

output "stacks" {
  description = "Both stacks' names and AWS object counts."
  value = {
    for stack in [module.blog, module.shop] : stack.id => length(stack.resources)
  }
}
