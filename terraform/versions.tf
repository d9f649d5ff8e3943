terraform {
  # Terraform 1.0 is the oldest CLI the provider (plugin protocol 6) is tested with.
  required_version = ">= 1.0"

  required_providers {
    wordpress = {
      source = "wpstack/wordpress"
      # The provider's release line (Cargo.toml's version): any 0.1.x.
      version = "~> 0.1.0"
    }
  }
}
