# The function and extension zips, built by cargo-lambda during apply exactly when the Rust
# sources change (modules/rust-lambda-build). Provider-free on purpose: the contract test plans
# this file (with variables.tf and locals.tf) offline against the real workspace.
locals {
  # The Cargo workspace is the repository root, one level up from this stack.
  workspace_root = "${path.module}/.."
  # Never hashed: build output, git metadata, and infra/ itself (Terraform, and the module test's
  # fixture workspace, whose .rs files are not part of the function).
  build_excluded_prefixes = ["target/", ".git/", "infra/"]
  # One --lambda-dir per artifact and architecture: cargo-lambda writes arm64 and x86_64 builds
  # to the same path. Under target/, so `cargo clean` removes them and they are never hashed.
  lambda_dir = "${local.workspace_root}/target/lambda-terraform"
}

module "function_build" {
  source = "./modules/rust-lambda-build"

  workspace_root    = local.workspace_root
  package           = local.function_package
  binary            = local.function_binary
  architecture      = var.architecture
  output_dir        = "${local.lambda_dir}/function-${var.architecture}"
  excluded_prefixes = local.build_excluded_prefixes
}

module "extension_build" {
  source = "./modules/rust-lambda-build"

  workspace_root    = local.workspace_root
  package           = local.extension_package
  binary            = local.extension_binary
  architecture      = var.architecture
  extension         = true
  output_dir        = "${local.lambda_dir}/extension-${var.architecture}"
  excluded_prefixes = local.build_excluded_prefixes
}

# replace_triggered_by cannot name a resource inside a module: this carries the extension's
# source hash so that a change replaces the layer version (function.tf).
resource "terraform_data" "extension_source" {
  input = module.extension_build.source_hash
}
