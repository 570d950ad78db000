#!/usr/bin/env bash
# Backfill and reprocess end to end (see dev/e2e/backfill_run.py): the runbook's manifest
# scripts against moto server, the release function under cargo lambda watch invoked with the
# S3 Batch Operations events a job sends, a settings change, a racing newer upload and the
# re-drive of failed records.
set -euo pipefail
cd "$(dirname "$0")/../.."

. dev/e2e/release-function.sh
python3 dev/e2e/backfill_run.py --binary "$release_function"
