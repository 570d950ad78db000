#!/usr/bin/env bash
# The venv the infrastructure checks run in: checkov (pinned) and its HCL parser (bc-python-hcl2),
# which infra/tests/test_contract.py imports. Its own venv: checkov pins older libraries than the
# project's other Python tools. Created or replaced when missing or at another checkov version;
# prints its path (everything else goes to stderr).
# Used by dev/ci/infra-check.sh and dev/ci/rename-check.sh.
# Usage: venv=$(dev/ci/infra-venv.sh)
set -euo pipefail

# checkov pinned: a new release can add checks, and that should be a deliberate change here.
CHECKOV_VERSION=3.3.30
VENV=${IMAGEPIPE_INFRA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/imagepipe-infra-venv}

die() { printf 'infra-venv: ERROR: %s\n' "$*" >&2; exit 1; }

if [ ! -x "$VENV/bin/checkov" ] || [ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "installing checkov $CHECKOV_VERSION in $VENV (its own venv: it pins older libraries than the project's tools)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  nice -n 15 "$VENV/bin/pip" install --quiet --upgrade pip >&2
  nice -n 15 "$VENV/bin/pip" install --quiet "checkov==$CHECKOV_VERSION" >&2 || die "pip install checkov==$CHECKOV_VERSION failed"
fi
"$VENV/bin/python" -c 'import hcl2' || die "checkov's HCL parser (bc-python-hcl2) is missing from $VENV"
echo "$VENV"
