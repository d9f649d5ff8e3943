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
