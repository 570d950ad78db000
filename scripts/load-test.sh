#!/usr/bin/env bash
# Bounded load test on loopback (see scripts/e2e/load_run.py): 1,000 objects, good and bad, into
# moto's input bucket with S3 -> SQS notifications, drained into the release function in batches
# of 10 like the event source mapping (partial batch responses, redelivery, some messages twice,
# shuffled, older-version events after newer ones), then reconciled. Prints throughput and the
# function's peak RSS. About 5 minutes on 2 cores once built.
#
#   scripts/load-test.sh                    1,000 objects
#   scripts/load-test.sh --objects 200      smaller (also --duplicates 0.05 --versioned 10 --seed N)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/e2e/release-function.sh
python3 scripts/e2e/load_run.py --binary "$release_function" "$@"
