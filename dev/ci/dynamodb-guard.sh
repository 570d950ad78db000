#!/usr/bin/env bash
# The DynamoDB record store's newest-wins condition against a real evaluator: starts moto
# server on a free loopback port and runs the ignored integration test
# modules/adapters/tests/dynamo_guard.rs against it. Fails when moto is missing; never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null || {
  echo "dynamodb-guard: moto server is not installed (pip install 'moto[server]')" >&2; exit 1
}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$log"' EXIT
endpoint="http://127.0.0.1:$port"
answers() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)' "$endpoint" 2>/dev/null; }
for _ in $(seq 1 100); do
  answers && break
  kill -0 "$moto_pid" 2>/dev/null || { echo "dynamodb-guard: moto server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.2
done
answers || { echo "dynamodb-guard: moto server did not answer on $endpoint" >&2; cat "$log" >&2; exit 1; }

IMAGEPIPE_TEST_DYNAMODB_ENDPOINT=$endpoint \
  cargo test --locked --workspace --test dynamo_guard -- --ignored
