#!/usr/bin/env bash
# End-to-end test of the extension beside a function under `cargo lambda watch`.
#
# What is real: the Extensions API (register, INVOKE per invocation, SHUTDOWN when watch stops
# the function instance it started), the Telemetry API subscription call, our HTTP listener, the
# flush on SHUTDOWN and the process exit. What is simulated: `cargo lambda watch` accepts the
# Telemetry subscription but delivers nothing, so this script POSTs the batches Lambda would
# (fixtures from modules/extension/tests/fixtures) to the extension's listener itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "extension-e2e: FAIL: $*" >&2; exit 1; }
for tool in cargo cargo-lambda curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (cargo-lambda: pip install cargo-lambda)"
done

watch_port=${E2E_WATCH_PORT:-9411}
telemetry_port=${E2E_TELEMETRY_PORT:-9417}
work=$(mktemp -d)
target_dir=${CARGO_TARGET_DIR:-target}
fixtures=modules/extension/tests/fixtures

cargo build --locked -p imagepipe-extension --bin imagepipe-extension --example e2e_function

watch_pid=
extension_pid=
cleanup() {
  [ -n "$extension_pid" ] && kill "$extension_pid" 2>/dev/null || true
  # setsid made watch a process-group leader: this reaches the cargo-lambda binary behind
  # any wrapper and the function instance it started.
  [ -n "$watch_pid" ] && kill -- "-$watch_pid" 2>/dev/null || true
  if [ "${keep_logs:-0}" = 0 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
}
trap 'keep_logs=1; cleanup' ERR
trap cleanup EXIT

setsid cargo lambda watch -p imagepipe-extension --example e2e_function -P "$watch_port" \
  >"$work/watch.log" 2>&1 &
watch_pid=$!
# wait_for_log PATTERN FILE PID OUTPUT INTERVAL WHAT: polls FILE for PATTERN (100 tries), dying
# with OUTPUT shown if PID exits first; returns 1 when the tries run out.
wait_for_log() {
  local pattern=$1 file=$2 pid=$3 output=$4 interval=$5 what=$6
  for _ in $(seq 100); do
    grep -q "$pattern" "$file" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$output"; die "$what"; }
    sleep "$interval"
  done
  return 1
}
wait_for_log "starting Runtime server" "$work/watch.log" "$watch_pid" "$work/watch.log" 0.2 \
  "cargo lambda watch exited" || true

AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$watch_port/.rt" AWS_LAMBDA_FUNCTION_NAME=imagepipe-e2e \
  IMAGEPIPE_TELEMETRY_PORT="$telemetry_port" IMAGEPIPE_ARCHITECTURE=x86_64 \
  "$target_dir/debug/imagepipe-extension" >"$work/emf.jsonl" 2>"$work/extension.err" &
extension_pid=$!
wait_for_log 'subcription is not supported\|subscription is not supported' "$work/watch.log" \
  "$extension_pid" "$work/extension.err" 0.1 "extension exited at start" || true
grep -qi 'subscription is not supported\|subcription is not supported' "$work/watch.log" \
  || die "the extension never subscribed to the Telemetry API"

for invocation in 1 2; do
  answer=$(curl -sS --max-time 300 -X POST -d '{}' "http://127.0.0.1:$watch_port/2015-03-31/functions/_/invocations")
  [ "$answer" = '"ok"' ] || { cat "$work/watch.log"; die "invocation $invocation answered $answer"; }
done
echo "2 invocations answered"

post() {
  local status
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary "$1" "http://127.0.0.1:$telemetry_port/")
  [ "$status" = 200 ] || die "telemetry POST answered $status"
}
post "@$fixtures/cold_start.json"
post "@$fixtures/malformed.json"
post "@$fixtures/back_to_back.json"
post 'this is not JSON'
post '[{"time":"2026-01-01T00:05:00.000Z","type":"platform.start","record":{"requestId":"req-late"}},{"time":"2026-01-01T00:05:00.020Z","type":"platform.runtimeDone","record":{"requestId":"req-late","status":"success","metrics":{"durationMs":20.0}}}]'
sleep 0.5
kill -0 "$extension_pid" 2>/dev/null || die "the extension died on a malformed batch"

reported() { grep -c "\"reported\":$1" "$work/emf.jsonl" || true; }
[ "$(reported true)" = 4 ] || { cat "$work/emf.jsonl"; die "expected 4 reported lines before SHUTDOWN"; }
grep -q '"requestId":"req-cold".*' "$work/emf.jsonl" || die "no line for req-cold"
grep '"requestId":"req-cold"' "$work/emf.jsonl" | grep -q '"EstimatedCost":0.0000168667,' \
  || die "req-cold cost is not 1 GB-s at x86_64 + one request"
grep '"requestId":"req-cold"' "$work/emf.jsonl" | grep -q '"CompressionRatio":20.0,' \
  || die "req-cold compression ratio is not 20"
# Back to back: each invocation keeps its own figures although req-first's line arrived after
# req-second started, and the line naming no request is dropped, added to neither.
grep '"requestId":"req-first"' "$work/emf.jsonl" | grep -q '"BytesIn":4000,' \
  || die "req-first did not get its own figures"
grep '"requestId":"req-second"' "$work/emf.jsonl" | grep -q '"BytesIn":2000,' \
  || die "req-second's figures are not its own (a line naming no request was added to it?)"
[ "$(grep -c 'dropped telemetry' "$work/extension.err")" = 7 ] \
  || { cat "$work/extension.err"; die "expected 7 dropped-telemetry diagnostics (6 records, 1 batch)"; }
grep -q 'names no `requestId`' "$work/extension.err" || die "the line naming no request was not reported as such"
echo "telemetry: 4 invocations reported (2 back to back, each with its own figures), 7 bad inputs dropped (one figures line naming no request), extension alive"

# Stopping watch stops the function instance it started, which sends SHUTDOWN to the extension.
shutdown_started=$(date +%s%N)
kill -INT -- "-$watch_pid"
for _ in $(seq 50); do kill -0 "$extension_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$extension_pid" 2>/dev/null && die "the extension did not exit within 5 s of SHUTDOWN"
status=0; wait "$extension_pid" || status=$?
extension_pid=
shutdown_ms=$(( ($(date +%s%N) - shutdown_started) / 1000000 ))
[ "$status" = 0 ] || { cat "$work/extension.err"; die "the extension exited with $status"; }
# Flushed without a report: the 2 real invocations (INVOKE seen, no telemetry) and req-late.
[ "$(reported false)" = 3 ] || { cat "$work/emf.jsonl"; die "expected 3 lines flushed on SHUTDOWN"; }
grep '"requestId":"req-late"' "$work/emf.jsonl" | grep -q '"Duration":20.0,' || die "req-late not flushed"
echo "SHUTDOWN: 3 unreported invocations flushed, exit 0 after ${shutdown_ms} ms"
echo "example line:"; grep '"requestId":"req-cold"' "$work/emf.jsonl"
echo "extension-e2e: PASS"
