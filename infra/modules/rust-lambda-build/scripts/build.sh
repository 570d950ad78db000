#!/usr/bin/env bash
# Run by the rust-lambda-build module's local-exec during `terraform apply`; never at plan time.
# Builds one zip with cargo-lambda and fails loudly, with what to install, when a tool is missing.
#
# Environment (set by the module):
#   RUST_LAMBDA_BUILD_WORKSPACE  Cargo workspace root
#   RUST_LAMBDA_BUILD_OUTPUT     --lambda-dir
#   RUST_LAMBDA_BUILD_ZIP        the zip's path under --lambda-dir
#   RUST_LAMBDA_BUILD_ARGS       `cargo lambda` arguments, one per line
set -euo pipefail

fail() {
  printf '\nrust-lambda-build: ERROR: %s\n\n' "$*" >&2
  exit 1
}

for name in RUST_LAMBDA_BUILD_WORKSPACE RUST_LAMBDA_BUILD_OUTPUT RUST_LAMBDA_BUILD_ZIP RUST_LAMBDA_BUILD_ARGS; do
  [ -n "${!name:-}" ] || fail "$name is not set (this script is run by the rust-lambda-build Terraform module)"
done

# Both tools are checked before anything is built, so a missing one costs nothing.
cargo --version >/dev/null 2>&1 ||
  fail "cargo is not on PATH. Install Rust with rustup (https://rustup.rs)."
cargo lambda --version >/dev/null 2>&1 ||
  fail "cargo-lambda is not installed (\`cargo lambda\` does not run). Install it with \`pip install cargo-lambda\` (which also installs zig) or see https://www.cargo-lambda.info/guide/installation.html, then run terraform apply again."

# cargo-lambda links through zig and looks for it the way cargo-zigbuild does: the Python
# package (`$CARGO_ZIGBUILD_PYTHON_PATH -m ziglang`, default python3) first, then a zig binary
# (`$CARGO_ZIGBUILD_ZIG_PATH`, default zig on PATH). Same order here.
zig_python=${CARGO_ZIGBUILD_PYTHON_PATH:-python3}
zig_binary=${CARGO_ZIGBUILD_ZIG_PATH:-zig}
if zig_version=$("$zig_python" -m ziglang version 2>/dev/null); then
  zig_found="$zig_python -m ziglang"
elif zig_version=$("$zig_binary" version 2>/dev/null); then
  zig_found=$zig_binary
else
  fail "zig is not installed: neither \`$zig_python -m ziglang version\` nor \`$zig_binary version\` runs. cargo-lambda needs zig to link Lambda binaries: \`pip install ziglang\` (pip install cargo-lambda brings it) or put zig 0.13+ on PATH, then run terraform apply again."
fi

# One argument per line (no mapfile: macOS ships bash 3.2).
build_args=()
while IFS= read -r arg; do build_args+=("$arg"); done <<<"$RUST_LAMBDA_BUILD_ARGS"

mkdir -p "$RUST_LAMBDA_BUILD_OUTPUT"
lambda_dir=$(cd "$RUST_LAMBDA_BUILD_OUTPUT" && pwd)
zip=$lambda_dir/$RUST_LAMBDA_BUILD_ZIP
# A stale zip from an earlier build must never pass for this one.
rm -f "$zip"

cd "$RUST_LAMBDA_BUILD_WORKSPACE"
echo "rust-lambda-build: $(cargo lambda --version), zig $zig_version ($zig_found)"
echo "rust-lambda-build: in $(pwd): cargo lambda ${build_args[*]} --lambda-dir $lambda_dir"
started=$(date +%s)
cargo lambda "${build_args[@]}" --lambda-dir "$lambda_dir" ||
  fail "cargo lambda ${build_args[*]} failed (its output is above)."

[ -s "$zip" ] || fail "cargo lambda finished but $zip was not written."
echo "rust-lambda-build: $zip ($(wc -c <"$zip" | tr -d " ") bytes) in $(( $(date +%s) - started ))s"
