variable "region" {
  description = "AWS region of the stack; the zones are its a, b and c."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Stack name: prefixes every AWS object's name; changing it replaces the stack."
  type        = string
  default     = "complete"
}

variable "office_cidrs" {
  description = "CIDRs allowed to SSH to the bastion (never 0.0.0.0/0)."
  type        = list(string)
  default     = ["203.0.113.0/24", "2001:db8::/64"]
}

variable "key_name" {
  description = "An existing EC2 key pair for the bastion and the WordPress instances."
  type        = string
}

variable "ami_id" {
  description = "AMI of the bastion and the instances; null = the latest Amazon Linux 2023."
  type        = string
  default     = null
}

variable "db_password" {
  description = "Master password of the database (8-41 printable characters, none of / \" @ or space)."
  type        = string
  sensitive   = true
}

variable "certificate_arn" {
  description = "ACM certificate for record_name, in the stack's region."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds record_name."
  type        = string
}

variable "record_name" {
  description = "Fully qualified name of the site, e.g. www.example.com."
  type        = string
}

variable "admin_email" {
  description = "E-mail address of the site's first administrator (password resets, notices)."
  type        = string
}

variable "skip_final_snapshot" {
  description = "Delete the database without a final snapshot on destroy."
  type        = bool
  default     = false
}

variable "logs_kms_key_arn" {
  description = "ARN of a KMS key encrypting the site's log group; null keeps CloudWatch Logs' own encryption."
  type        = string
  default     = null
}
