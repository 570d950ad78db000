#!/usr/bin/env bash
# The operator's manifest scripts (ops/) against a moto server: dev/e2e/ops_scripts_run.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c 'import moto, boto3, flask' 2>/dev/null ||
  { echo "ops-scripts-e2e: FAIL: moto server and boto3 are missing (pip install 'moto[server]' boto3)" >&2; exit 1; }
exec python3 dev/e2e/ops_scripts_run.py
