#!/usr/bin/env bash
# Bounded load test on loopback (see dev/e2e/load_run.py): 1,000 objects, good and bad, into
# moto's versioned input bucket, each event sent the way real S3 sends it (version id, increasing
# sequencer), drained by 3 release function processes at once (each under its own Runtime API,
# as Lambda's concurrent instances) in batches of 10 like the event source mapping (partial batch
# responses, redelivery, some messages twice, shuffled, older-version events after newer ones),
# then reconciled: 0 lost, 0 duplicated, newest kept. Prints throughput and the peak RSS.
#
#   dev/e2e/load-test.sh                    1,000 objects, 3 processes
#   dev/e2e/load-test.sh --objects 120 --processes 3 --versioned 6     the CI size (.ci/run)
#   (also --duplicates 0.05 --seed N)
set -euo pipefail
cd "$(dirname "$0")/../.."

. dev/e2e/release-function.sh
python3 dev/e2e/load_run.py --binary "$release_function" "$@"
