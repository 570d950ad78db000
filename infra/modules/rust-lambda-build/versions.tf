terraform {
  # terraform_data (1.4) and the built-in provider only: this module needs no provider plugin, so
  # it is tested offline with the real Terraform binary (tests/run.sh).
  required_version = ">= 1.5"
}
