output "zip_path" {
  description = "Path of the built zip (as given through output_dir). It comes from the build resource, so anything that reads it is ordered after the build."
  value       = terraform_data.build.output.zip_path
}

output "source_hash" {
  description = "Base64 SHA-256 over the source files, build arguments and build script; known at plan time. Use it as the function's source_code_hash."
  value       = local.source_hash
}

output "source_files" {
  description = "The files the hash covers, relative to workspace_root: what rebuilds the zip when it changes."
  value       = local.source_files
}

output "build_command" {
  description = "The cargo-lambda command the build runs (from the workspace root)."
  value       = join(" ", concat(["cargo", "lambda"], local.build_args))
}
