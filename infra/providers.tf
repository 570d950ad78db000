provider "aws" {
  # null: the region of the environment (AWS_REGION, AWS_DEFAULT_REGION or the profile).
  region = var.region

  default_tags {
    tags = merge({ Application = var.name }, var.tags)
  }
}
