variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Stack name: prefixes every AWS object's name."
  type        = string
  default     = "reviewed"
}

variable "image" {
  description = "Docker image of WordPress: a change rolls a new launch template version."
  type        = string
  default     = "wordpress:6-apache"
}

variable "instance_type" {
  description = "EC2 instance type of the WordPress instances."
  type        = string
  default     = "t3.small"
}

variable "max_size" {
  description = "Largest size of the Auto Scaling group."
  type        = number
  default     = 4
}
