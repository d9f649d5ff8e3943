variable "region" {
  description = "AWS region of both stacks."
  type        = string
  default     = "us-east-1"
}

variable "prefix" {
  description = "Prefix of both stack names (<prefix>-blog, <prefix>-shop)."
  type        = string
  default     = "acme"
}
