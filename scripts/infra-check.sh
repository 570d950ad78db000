#!/usr/bin/env bash
# Every check of infra/ that runs offline, each timed:
#   1. terraform fmt -check -recursive infra
#   2. the rust-lambda-build module test (real terraform + cargo-lambda + zig builds, ~30 s)
#   3. checkov on infra/ (zero failed checks, zero parse errors; skips are inline with a reason)
#   4. terraform validate and terraform test (infra/tests/*.tftest.hcl: the whole stack planned
#      with mock_provider "aws"), against the AWS provider's schema from
#        - the schema-only stand-in provider (infra/tests/aws-schema-provider, from PyPI) by
#          default: no registry access needed;
#        - the real hashicorp/aws provider (terraform init -backend=false) with
#          IMAGEPIPE_TERRAFORM_TEST_PROVIDER=registry, as the GitHub terraform job runs it
#   5. the contract test (infra/tests/test_contract.py: what terraform test cannot express, the
#      wiring between resources, the planned builds' paths and hash, cross-checked with the
#      Rust sources)
# Installs what it can (cargo-lambda with pip, checkov and the stand-in provider in their own
# venvs) and stops loudly on what it cannot (terraform, cargo, python3, git). Every step runs even
# when one fails; the exit status is non-zero if any failed.
# Usage: scripts/infra-check.sh        (from anywhere; CPU-heavy steps run under nice)
set -euo pipefail
cd "$(dirname "$0")/.."

# checkov pinned: a new release can add checks, and that should be a deliberate change here.
CHECKOV_VERSION=3.3.30
TERRAFORM_MIN_VERSION=1.5.0
VENV=${IMAGEPIPE_INFRA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/imagepipe-infra-venv}
STANDIN_DIR=${IMAGEPIPE_AWS_STANDIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imagepipe-aws-schema-provider}
TERRAFORM_TEST_PROVIDER=${IMAGEPIPE_TERRAFORM_TEST_PROVIDER:-stand-in}
CHECKOV_REPORT=${CARGO_TARGET_DIR:-target}/infra-check/checkov.json

export TF_IN_AUTOMATION=1 TF_INPUT=0
# A TF_CLI_CONFIG_FILE naming a missing file only makes Terraform warn on every command.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  export TF_CLI_CONFIG_FILE=/dev/null
fi

die() { printf '\ninfra-check: ERROR: %s\n' "$*" >&2; exit 1; }

started=$(date +%s)
results=()
failed=0
run_step() {
  local name=$1 step_started status
  shift
  printf '\n=== %s\n' "$name"
  step_started=$(date +%s)
  set +e
  "$@"
  status=$?
  set -e
  local took=$(( $(date +%s) - step_started ))
  if [ "$status" -eq 0 ]; then
    results+=("ok      ${took}s  $name")
  else
    results+=("FAILED  ${took}s  $name (exit $status)")
    failed=1
  fi
  printf '=== %s: %s in %ss\n' "$name" "$([ "$status" -eq 0 ] && echo ok || echo FAILED)" "$took"
}

# ---- Tools ------------------------------------------------------------------------------------
printf '=== tools\n'
command -v terraform >/dev/null ||
  die "terraform is not on PATH. Install Terraform >= $TERRAFORM_MIN_VERSION (https://developer.hashicorp.com/terraform/install; CI: hashicorp/setup-terraform). No infra check ran."
terraform_version=$(terraform version -json | python3 -c 'import json, sys; print(json.load(sys.stdin)["terraform_version"])')
python3 - "$terraform_version" "$TERRAFORM_MIN_VERSION" <<'EOF' || die "terraform $terraform_version is older than $TERRAFORM_MIN_VERSION (terraform_data, startswith/strcontains)"
import sys
have, need = (tuple(int(x) for x in v.split("-")[0].split(".")) for v in sys.argv[1:3])
sys.exit(have < need)
EOF
for tool in python3 cargo git; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH: the module test and the contract test need it."
done
if ! cargo lambda --version >/dev/null 2>&1; then
  echo "cargo-lambda is missing: pip install cargo-lambda"
  python3 -m pip install --quiet cargo-lambda
  cargo lambda --version >/dev/null 2>&1 || die "cargo-lambda did not install (python3 -m pip install cargo-lambda)"
fi
python3 -m ziglang version >/dev/null 2>&1 || command -v zig >/dev/null ||
  die "zig is missing (pip install ziglang; pip install cargo-lambda normally brings it)"
if [ ! -x "$VENV/bin/checkov" ] || [ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "installing checkov $CHECKOV_VERSION in $VENV (its own venv: it pins older libraries than the project's tools)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  nice -n 15 "$VENV/bin/pip" install --quiet --upgrade pip
  nice -n 15 "$VENV/bin/pip" install --quiet "checkov==$CHECKOV_VERSION" || die "pip install checkov==$CHECKOV_VERSION failed"
fi
"$VENV/bin/python" -c 'import hcl2' || die "checkov's HCL parser (bc-python-hcl2) is missing from $VENV"
case "$TERRAFORM_TEST_PROVIDER" in
  registry) echo "terraform test: the hashicorp/aws provider from the registry (terraform init)" ;;
  stand-in)
    standin_config=$(infra/tests/aws-schema-provider/install.sh "$STANDIN_DIR") ||
      die "the schema-only AWS stand-in provider could not be set up in $STANDIN_DIR (see above); terraform test cannot run without a provider schema"
    echo "terraform test: the schema-only AWS stand-in provider ($standin_config)"
    ;;
  *) die "IMAGEPIPE_TERRAFORM_TEST_PROVIDER must be stand-in or registry, not $TERRAFORM_TEST_PROVIDER" ;;
esac
echo "terraform $terraform_version, $(cargo lambda --version), zig $(python3 -m ziglang version 2>/dev/null || zig version), checkov $("$VENV/bin/checkov" --version)"

# ---- Checks -----------------------------------------------------------------------------------
fmt_check() {
  terraform fmt -check -recursive -diff infra
}

checkov_scan() {
  mkdir -p "$(dirname "$CHECKOV_REPORT")"
  # --skip-download: no call to Prisma Cloud (offline). Exit status judged below, from the report.
  nice -n 15 "$VENV/bin/checkov" --directory infra --framework terraform --skip-download \
    --output json >"$CHECKOV_REPORT" 2>"$CHECKOV_REPORT.log" || true
  python3 - "$CHECKOV_REPORT" <<'EOF'
import json, sys
with open(sys.argv[1]) as handle:
    text = handle.read()
if not text.strip():
    sys.exit("checkov wrote no report (see %s.log)" % sys.argv[1])
report = json.loads(text)
reports = report if isinstance(report, list) else [report]
totals = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
failed, skipped = [], []
for item in reports:
    for key in totals:
        totals[key] += item.get("summary", {}).get(key, 0)
    results = item.get("results", {})
    failed += results.get("failed_checks", [])
    skipped += results.get("skipped_checks", [])
print("checkov %s: %d resources, passed %d, failed %d, skipped %d, parse errors %d" % (
    reports[0].get("summary", {}).get("checkov_version", "?"), totals["resource_count"],
    totals["passed"], totals["failed"], totals["skipped"], totals["parsing_errors"]))
for check in skipped:
    print("  skipped %-11s %-45s %s" % (check["check_id"], check["resource"], check.get("check_result", {}).get("suppress_comment", "")))
for check in failed:
    print("  FAILED  %-11s %-45s %s:%s  %s" % (check["check_id"], check["resource"], check["file_path"],
          check["file_line_range"][0], check["check_name"]))
if totals["failed"] or totals["parsing_errors"]:
    sys.exit("checkov: failed checks or files it could not parse (fix, or skip inline with #checkov:skip=ID:reason)")
if totals["passed"] == 0:
    sys.exit("checkov passed nothing: it scanned nothing")
EOF
}

# A scratch TF_DATA_DIR: no .terraform/ left in infra/. Registry mode writes infra/.terraform.lock.hcl
# when none is committed, as a first `terraform init` does.
terraform_test() {
  local data_dir status
  data_dir=$(mktemp -d "${TMPDIR:-/tmp}/imagepipe-terraform-test.XXXXXX")
  local tf_env=(env TF_DATA_DIR="$data_dir")
  if [ "$TERRAFORM_TEST_PROVIDER" = registry ]; then
    "${tf_env[@]}" terraform -chdir=infra init -backend=false -no-color
  else
    tf_env+=(TF_CLI_CONFIG_FILE="$standin_config")
    # dev_overrides: `terraform get` installs the local modules, init would query the registry.
    "${tf_env[@]}" terraform -chdir=infra get -no-color
  fi &&
    "${tf_env[@]}" terraform -chdir=infra validate -no-color &&
    "${tf_env[@]}" nice -n 15 terraform -chdir=infra test -no-color
  status=$?
  rm -rf "$data_dir"
  return "$status"
}

contract_test() {
  nice -n 15 "$VENV/bin/python" infra/tests/test_contract.py -v
}

run_step "terraform fmt -check -recursive infra" fmt_check
run_step "rust-lambda-build module test (real terraform, real arm64 builds)" infra/modules/rust-lambda-build/tests/run.sh
run_step "checkov infra/" checkov_scan
run_step "terraform validate + terraform test (mock provider; AWS schema: $TERRAFORM_TEST_PROVIDER)" terraform_test
run_step "contract test (infra/tests/test_contract.py)" contract_test

printf '\n=== infra-check summary (%ss)\n' "$(( $(date +%s) - started ))"
printf '  %s\n' "${results[@]}"
exit "$failed"
