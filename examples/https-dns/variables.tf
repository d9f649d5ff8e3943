variable "region" {
  description = "AWS region of the stack (the certificate must be in the same region)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Stack name: prefixes every AWS object's name."
  type        = string
  default     = "secure"
}

variable "certificate_arn" {
  description = "ARN of an ACM certificate covering record_name."
  type        = string
}

variable "zone_id" {
  description = "Id of the Route 53 hosted zone holding record_name (Z..., without /hostedzone/)."
  type        = string
}

variable "record_name" {
  description = "Fully qualified name of the site, e.g. blog.example.com."
  type        = string
}
