terraform {
  required_providers {
    gateway = {
      source = "example/gateway"
    }
  }
}

# Credentials and region come from the usual AWS sources (environment, shared files, profile).
provider "gateway" {
  region = "eu-west-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}
