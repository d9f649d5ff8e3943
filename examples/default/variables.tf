variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Stack name: prefixes every AWS object's name; changing it replaces the stack."
  type        = string
  default     = "demo"
}

variable "office_cidrs" {
  description = "CIDRs allowed to SSH to the bastion (never 0.0.0.0/0)."
  type        = list(string)
  default     = ["203.0.113.0/24"]
}

variable "skip_final_snapshot" {
  description = "Delete the database without a final snapshot on destroy (fine for a demo)."
  type        = bool
  default     = true
}

variable "zone_id" {
  description = "Route 53 hosted zone for the site's record (optional: without it the site answers at the ALB's name)."
  type        = string
  default     = null
}

variable "record_name" {
  description = "The record's name in zone_id, e.g. blog.example.com (used only with zone_id)."
  type        = string
  default     = null
}
