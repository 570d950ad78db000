#!/usr/bin/env bash
# The function under injected faults, end to end (see dev/e2e/fault_run.py): the release
# binary talks to moto through a fault-injecting proxy on loopback (throttling, 500/503,
# connection resets, slow answers, permanent denials) while the script plays the SQS event
# source mapping; then every object must have exactly one record or sit in the DLQ. Then one
# invocation with little time left and a stalled read (dev/e2e/deadline_run.py, its own
# Runtime API so the deadline is real): the answer must arrive before the deadline.
#
#   dev/e2e/fault-e2e.sh          one object per fault case (CI; under a minute once built)
#   dev/e2e/fault-e2e.sh --long   plus 150 objects under random faults on every operation
#                                 (--random-objects N, --fault-rate 0.1, --seed N pass through)
set -euo pipefail
cd "$(dirname "$0")/../.."

. dev/e2e/release-function.sh
python3 dev/e2e/fault_run.py --binary "$release_function" "$@"
python3 dev/e2e/deadline_run.py --binary "$release_function"
