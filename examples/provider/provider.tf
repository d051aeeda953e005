terraform {
  required_providers {
    ecstpl = {
      source  = "ecstpl/ecstpl"
      version = "~> 0.1"
    }
  }
}

# Credentials and region come from the usual AWS environment and shared files; everything
# here is optional and named as in the AWS provider.
provider "ecstpl" {
  region  = "eu-west-1"
  profile = "platform"

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/ecstpl-deployer"
    session_name = "terraform"
    duration     = "1h"
  }

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}
