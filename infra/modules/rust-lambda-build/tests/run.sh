#!/usr/bin/env bash
# The rust-lambda-build module, tested for real and offline: the real terraform binary drives
# init/plan/apply on a scratch copy of a tiny Cargo workspace (tests/fixture) wired like the
# project's infra/build.tf, with real cargo-lambda + zig arm64 builds. It checks that
#   1. a plan on a clean checkout works before any zip exists (nothing reads the zip at plan time);
#   2. one apply builds both zips (function: bootstrap, extension: extensions/<bin>) for arm64;
#   3. the next plan is empty;
#   4. README, infra/*.tf and target/ edits change nothing;
#   5. a .rs edit replaces both builds, updates the function and replaces the layer, the apply
#      rebuilds (new zip bytes) and the plan after it is empty;
#   6. Cargo.toml, Cargo.lock, rust-toolchain.toml, the build script, build flags and the
#      architecture are hashed;
#   7. a missing cargo-lambda and a missing zig each fail the apply with the module's message;
#   8. with the tools back, the next apply recovers and the plan after it is empty.
# Usage: infra/modules/rust-lambda-build/tests/run.sh   (KEEP_SCRATCH=1 keeps the scratch copy)
set -euo pipefail

tests_dir=$(cd "$(dirname "$0")" && pwd)
module_dir=$(cd "$tests_dir/.." && pwd)
repo_root=$(cd "$module_dir/../../.." && pwd)

started=$(date +%s)
step_started=$started
step() {
  printf '\n--- [%3ss] %s\n' "$(( $(date +%s) - started ))" "$*"
  step_started=$(date +%s)
}
ok() { printf 'ok (%ss): %s\n' "$(( $(date +%s) - step_started ))" "$*"; }
die() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

export TF_IN_AUTOMATION=1 TF_INPUT=0
# A TF_CLI_CONFIG_FILE naming a missing file only makes Terraform warn on every command.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  export TF_CLI_CONFIG_FILE=/dev/null
fi

# No silent skips: every tool this test needs must be here.
for tool in terraform cargo python3; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
cargo lambda --version >/dev/null 2>&1 || die "cargo-lambda is not installed (pip install cargo-lambda)"
python3 -m ziglang version >/dev/null 2>&1 || command -v zig >/dev/null ||
  die "zig is not installed (pip install ziglang)"
terraform version | sed -n 1p   # not head: under pipefail, terraform would die of SIGPIPE

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rust-lambda-build-test.XXXXXX")
cleanup() {
  status=$?
  if [ "$status" -ne 0 ] || [ -n "${KEEP_SCRATCH:-}" ]; then
    echo "scratch copy kept: $scratch" >&2
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT

# A copy of the whole module directory, so the fixture's stack (fixture/infra/main.tf) reaches the
# module under test as "../../..". The fixture is the workspace as a clean checkout has it: no
# target/, no Terraform state, plus the project's toolchain file.
cp -R "$module_dir" "$scratch/rust-lambda-build"
workspace=$scratch/rust-lambda-build/tests/fixture
rm -rf "$workspace/target" "$workspace/infra/.terraform" "$workspace"/infra/terraform.tfstate* "$workspace/infra/.terraform.lock.hcl"
cp "$repo_root/rust-toolchain.toml" "$workspace/"
stack=$workspace/infra

# Isolated from the caller's target dir; niced (2 shared cores).
unset CARGO_TARGET_DIR
tf() { nice -n 15 terraform -chdir="$stack" "$@"; }

# Prints one "address action[,action]" line per planned change (no-ops left out), sorted.
plan_changes() {
  tf plan -no-color -out="$scratch/plan.out" "$@" >"$scratch/plan.log" 2>&1 ||
    { cat "$scratch/plan.log" >&2; die "terraform plan failed"; }
  tf show -json "$scratch/plan.out" | python3 -c '
import json, sys
plan = json.load(sys.stdin)
for change in plan.get("resource_changes", []):
    actions = change["change"]["actions"]
    if actions != ["no-op"]:
        print(change["address"], ",".join(actions))
' | sort
}

expect_no_changes() {
  local changes
  changes=$(plan_changes "$@")
  [ -z "$changes" ] || die "expected an empty plan, got:
$changes"
}

expect_changes() {
  local expected=$1 changes
  shift
  changes=$(plan_changes "$@")
  [ "$changes" = "$expected" ] || die "unexpected plan.
expected:
$expected
got:
$changes"
}

output() { tf output -raw "$1"; }
zip_sha() { python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$stack/$1"; }
# Exits non-zero unless the zip's member contains the string.
zip_member_contains() {
  python3 -c 'import sys, zipfile; sys.exit(sys.argv[3].encode() not in zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$stack/$1" "$2" "$3"
}
# In-place edit, the same with GNU and BSD userlands.
replace_in() { perl -pi -e "s/$2/$3/" "$1"; }

# The zip holds exactly the expected member, an aarch64 ELF executable.
check_zip() {
  python3 - "$stack/$1" "$2" <<'EOF'
import struct, sys, zipfile
path, member = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(path) as z:
    files = [n for n in z.namelist() if not n.endswith("/")]
    if files != [member]:
        sys.exit(f"{path}: expected only {member}, found {files}")
    data = z.read(member)
    mode = z.getinfo(member).external_attr >> 16
if data[:4] != b"\x7fELF":
    sys.exit(f"{path}: {member} is not an ELF binary")
machine = struct.unpack_from("<H", data, 18)[0]
if machine != 183:  # EM_AARCH64
    sys.exit(f"{path}: {member} is ELF machine {machine}, not aarch64 (183)")
if not mode & 0o111:
    sys.exit(f"{path}: {member} is not executable (mode {oct(mode)})")
print(f"{path.split('/')[-1]}: {member}, aarch64 ELF, {len(data)} bytes, mode {oct(mode & 0o777)}")
EOF
}

both_builds_replaced='module.extension_build.terraform_data.build delete,create
module.function_build.terraform_data.build delete,create
terraform_data.extension_source update
terraform_data.function update
terraform_data.layer delete,create'

step "terraform init (no provider to download)"
tf init -no-color >/dev/null
ok "init"

step "1. plan on a clean checkout, before any zip exists"
[ ! -e "$workspace/target" ] || die "the scratch workspace already has a target/"
expect_changes 'module.extension_build.terraform_data.build create
module.function_build.terraform_data.build create
terraform_data.extension_source create
terraform_data.function create
terraform_data.layer create'
ok "plan works with no zip on disk and creates both builds"

step "2. one apply builds both zips (arm64)"
tf apply -no-color -auto-approve >"$scratch/apply.log" 2>&1 || { cat "$scratch/apply.log" >&2; die "first apply failed"; }
grep 'rust-lambda-build:' "$scratch/apply.log" | sed 's/^.*local-exec): //' || true
function_zip=$(output function_zip)
extension_zip=$(output extension_zip)
check_zip "$function_zip" bootstrap
check_zip "$extension_zip" extensions/fixture-extension
function_zip_before=$(zip_sha "$function_zip")
hashed=$(tf output -json function_source_files | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))')
expected_hashed='Cargo.lock Cargo.toml crates/extension/Cargo.toml crates/extension/src/main.rs crates/function/Cargo.toml crates/function/src/main.rs rust-toolchain.toml'
[ "$hashed" = "$expected_hashed" ] || die "hashed files: expected '$expected_hashed', got '$hashed'"
ok "both zips built; hash covers: $hashed"

step "3. the next plan is empty"
expect_no_changes
ok "no changes"

step "4. README, infra/*.tf and target/ edits do not rebuild"
echo "An edit that does not touch the binary." >>"$workspace/README.md"
echo "# a comment in the stack" >>"$stack/main.tf"
mkdir -p "$workspace/target/release/build/x/out" "$workspace/docs"
echo "// generated by a build script" >"$workspace/target/release/build/x/out/generated.rs"
echo "# docs" >"$workspace/docs/notes.md"
expect_no_changes
ok "no changes"

step "5. a .rs edit rebuilds and redeploys"
replace_in "$workspace/crates/function/src/main.rs" 'fixture function' 'fixture function, edited'
expect_changes "$both_builds_replaced"
tf apply -no-color -auto-approve >"$scratch/apply.log" 2>&1 || { cat "$scratch/apply.log" >&2; die "apply after the .rs edit failed"; }
check_zip "$function_zip" bootstrap
[ "$(zip_sha "$function_zip")" != "$function_zip_before" ] || die "the function zip did not change after the .rs edit"
zip_member_contains "$function_zip" bootstrap 'fixture function, edited' ||
  die "the rebuilt bootstrap does not contain the edited string"
expect_no_changes
ok "replaced, rebuilt (new zip, edited string inside), then no changes"

step "6. manifests, lock file, toolchain file, build script, build flags and architecture are hashed"
for file in crates/extension/Cargo.toml Cargo.lock rust-toolchain.toml; do
  cp "$workspace/$file" "$scratch/saved"
  echo "# edited" >>"$workspace/$file"
  expect_changes "$both_builds_replaced"
  cp "$scratch/saved" "$workspace/$file"
  echo "  $file: both builds replaced"
done
build_script=$scratch/rust-lambda-build/scripts/build.sh
cp "$build_script" "$scratch/saved"
echo "# edited" >>"$build_script"
expect_changes "$both_builds_replaced"
cp "$scratch/saved" "$build_script"
echo "  scripts/build.sh: both builds replaced"
expect_changes "$both_builds_replaced" -var 'extra_build_flags=["--locked"]'
echo "  extra_build_flags: both builds replaced"
expect_changes "$both_builds_replaced" -var architecture=x86_64
echo "  architecture: both builds replaced"
expect_no_changes
ok "each one replaces both builds; reverted, no changes"

step "7a. a missing cargo-lambda fails the apply with the module's message"
replace_in "$workspace/crates/function/src/main.rs" 'edited' 'edited twice'
# cargo (rustup's proxy) stays reachable, cargo-lambda does not.
mkdir -p "$scratch/bin"
ln -s "$(command -v cargo)" "$scratch/bin/cargo"
reduced_path="$scratch/bin:/usr/bin:/bin"
if PATH=$reduced_path cargo lambda --version >/dev/null 2>&1; then
  die "cannot simulate a missing cargo-lambda: it is reachable from $reduced_path"
fi
terraform_bin=$(command -v terraform)
if PATH=$reduced_path nice -n 15 "$terraform_bin" -chdir="$stack" apply -no-color -auto-approve >"$scratch/apply.log" 2>&1; then
  die "the apply succeeded without cargo-lambda"
fi
grep -q 'rust-lambda-build: ERROR: cargo-lambda is not installed' "$scratch/apply.log" ||
  { cat "$scratch/apply.log" >&2; die "the failed apply does not say cargo-lambda is missing"; }
grep -m 1 'ERROR: cargo-lambda' "$scratch/apply.log"
ok "apply failed, naming cargo-lambda"

step "7b. a missing zig fails the apply with the module's message"
# cargo-lambda looks for zig as cargo-zigbuild does: these point both lookups at nothing.
if CARGO_ZIGBUILD_PYTHON_PATH=/nonexistent/python3 CARGO_ZIGBUILD_ZIG_PATH=/nonexistent/zig \
  nice -n 15 terraform -chdir="$stack" apply -no-color -auto-approve >"$scratch/apply.log" 2>&1; then
  die "the apply succeeded without zig"
fi
grep -q 'rust-lambda-build: ERROR: zig is not installed' "$scratch/apply.log" ||
  { cat "$scratch/apply.log" >&2; die "the failed apply does not say zig is missing"; }
grep -m 1 'ERROR: zig' "$scratch/apply.log"
ok "apply failed, naming zig"

step "8. with the tools back, the next apply recovers"
tf apply -no-color -auto-approve >"$scratch/apply.log" 2>&1 || { cat "$scratch/apply.log" >&2; die "recovery apply failed"; }
check_zip "$function_zip" bootstrap
zip_member_contains "$function_zip" bootstrap 'fixture function, edited twice' ||
  die "the recovered bootstrap does not contain the second edit"
expect_no_changes
ok "rebuilt with the second edit, then no changes"

printf '\nrust-lambda-build module test: all checks passed in %ss\n' "$(( $(date +%s) - started ))"
