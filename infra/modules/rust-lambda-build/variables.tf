variable "workspace_root" {
  description = "Path of the Cargo workspace root (the directory holding Cargo.toml and Cargo.lock), relative to Terraform's working directory or absolute. Hashed file names are relative to it, so the hash does not depend on where the checkout lives."
  type        = string

  validation {
    condition     = fileexists("${var.workspace_root}/Cargo.toml")
    error_message = "workspace_root must be a directory that holds a Cargo.toml."
  }
}

variable "package" {
  description = "Cargo package to build (`cargo lambda build -p`)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.package))
    error_message = "package must be a Cargo package name (letters, digits, - and _)."
  }
}

variable "binary" {
  description = "Binary of the package to build and package (`--bin`). For a function it is normally `bootstrap`; an extension zip is named after it. Always passed: with --extension, cargo-lambda would otherwise package every binary of the target directory."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.binary))
    error_message = "binary must be a Cargo binary name (letters, digits, - and _)."
  }
}

variable "architecture" {
  description = "Lambda architecture to build for: `arm64` (Graviton) or `x86_64`."
  type        = string

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "extension" {
  description = "Build a Lambda extension (`--extension`): the zip holds extensions/<binary> and is published as a layer. False builds a function zip holding `bootstrap`."
  type        = bool
  default     = false
}

variable "output_dir" {
  description = "Directory cargo-lambda writes the zip under (`--lambda-dir`), relative to Terraform's working directory or absolute. Give every architecture and artifact its own: cargo-lambda writes x86_64 and arm64 builds to the same path."
  type        = string

  validation {
    condition     = trimspace(var.output_dir) != ""
    error_message = "output_dir must not be empty."
  }
}

variable "extra_build_flags" {
  description = "Further `cargo lambda build` arguments (for example [\"--features\", \"x\"]). They are part of the source hash: changing them rebuilds."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for flag in var.extra_build_flags : !strcontains(flag, "\n")])
    error_message = "extra_build_flags must not contain newlines (the build script receives one argument per line)."
  }
}

variable "source_patterns" {
  description = "fileset() patterns, relative to workspace_root, of the files whose content decides the binary. A change in any of them rebuilds; a change anywhere else (README, infra, samples) does not."
  type        = list(string)
  default = [
    "**/*.rs",
    "**/Cargo.toml",
    "Cargo.lock",
    "rust-toolchain.toml",
    "rust-toolchain",
    ".cargo/config.toml",
    ".cargo/config",
  ]
}

variable "excluded_prefixes" {
  description = "Path prefixes, relative to workspace_root, left out of the hash even when a source pattern matches: build output (target/ holds generated .rs files that change on every build) and anything that is not the Rust workspace."
  type        = list(string)
  default     = ["target/", ".git/"]
}
