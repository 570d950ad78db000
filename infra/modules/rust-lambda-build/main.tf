locals {
  # cargo-lambda's flag for each Lambda architecture.
  architecture_flags = {
    arm64  = "--arm64"
    x86_64 = "--x86-64"
  }

  # The complete `cargo lambda build` argument list. It is hashed with the sources: a flag change
  # is a new binary.
  build_args = concat(
    ["build", "--release", local.architecture_flags[var.architecture]],
    var.extension ? ["--extension"] : [],
    ["--output-format", "zip", "-p", var.package, "--bin", var.binary],
    var.extra_build_flags,
  )

  # Where cargo-lambda puts the zip under --lambda-dir.
  zip_relative_path = var.extension ? "extensions/${var.binary}.zip" : "${var.binary}/bootstrap.zip"
  zip_path          = "${var.output_dir}/${local.zip_relative_path}"

  build_script = "${path.module}/scripts/build.sh"

  # Every file that decides the binary, by its path relative to the workspace root (sorted, no
  # duplicates: patterns may overlap), minus the excluded prefixes.
  source_files = sort(distinct(flatten([
    for pattern in var.source_patterns : [
      for file in fileset(var.workspace_root, pattern) : file
      if length([for prefix in var.excluded_prefixes : prefix if startswith(file, prefix)]) == 0
    ]
  ])))

  # One hash over the content of every source file (with its path, so a rename counts), the build
  # arguments and the build script itself. Base64 SHA-256, the shape aws_lambda_function's
  # source_code_hash documents. Only file contents are read here, never the zip.
  source_hash = base64sha256(join("\n", concat(
    [for file in local.source_files : "${file}:${filesha256("${var.workspace_root}/${file}")}"],
    ["args:${jsonencode(local.build_args)}"],
    ["script:${filesha256(local.build_script)}"],
  )))
}

# Replaced, and so rebuilt, exactly when the hash changes (or the zip is to go elsewhere: a new
# output_dir has no zip yet). The build runs during apply (never at plan time) and fails the
# apply if cargo-lambda or zig is missing or the zip is not produced.
resource "terraform_data" "build" {
  triggers_replace = [local.source_hash, local.zip_path]

  input = {
    zip_path    = local.zip_path
    source_hash = local.source_hash
    command     = join(" ", concat(["cargo", "lambda"], local.build_args))
  }

  provisioner "local-exec" {
    interpreter = ["bash"]
    command     = local.build_script
    environment = {
      RUST_LAMBDA_BUILD_WORKSPACE = var.workspace_root
      RUST_LAMBDA_BUILD_OUTPUT    = var.output_dir
      RUST_LAMBDA_BUILD_ZIP       = local.zip_relative_path
      RUST_LAMBDA_BUILD_ARGS      = join("\n", local.build_args)
    }
  }
}
