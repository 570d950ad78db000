#!/usr/bin/env bash
# Extension overhead, side by side in one run: the same stand-in function under two
# `cargo lambda watch --only-lambda-apis` emulators, one with the release extension beside it.
# Invocations alternate between the two so both see the same machine load. After each
# invocation a Telemetry batch like Lambda's (start, figures log, runtimeDone, report) is POSTed
# to the extension, since the emulator delivers none. Prints latency percentiles for both,
# the extension's peak RSS (VmHWM) and the layer zip's size.
#
# Caveat, stated in the output: the emulator answers an invoke as soon as the function responds;
# it does not model Lambda freezing the environment until every extension has asked for its
# next event. The extension asks at once on INVOKE (it does no work there), which is why its
# real overhead is expected to be nil, but this emulator cannot show that part.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "extension-bench: FAIL: $*" >&2; exit 1; }
for tool in cargo cargo-lambda curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed (cargo-lambda: pip install cargo-lambda)"
done

invocations=${BENCH_INVOCATIONS:-200}
plain_port=${BENCH_PLAIN_PORT:-9421}
with_port=${BENCH_WITH_PORT:-9422}
telemetry_port=${BENCH_TELEMETRY_PORT:-9427}
target_dir=${CARGO_TARGET_DIR:-target}
lambda_dir=${BENCH_LAMBDA_DIR:-$target_dir/lambda-extension}
work=$(mktemp -d)

cargo lambda build --release --extension --bin imagepipe-extension --output-format zip \
  --lambda-dir "$lambda_dir"
zip=$lambda_dir/extensions/imagepipe-extension.zip
[ -f "$zip" ] || die "no zip at $zip"
binary=$(find "$target_dir" -path '*release/imagepipe-extension' -type f -newer Cargo.toml | sed -n 1p)
[ -x "$binary" ] || die "no release extension binary under $target_dir"

pids=()
groups=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for group in "${groups[@]}"; do kill -- "-$group" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start_watch() {
  setsid cargo lambda watch --only-lambda-apis -P "$1" >"$work/watch-$1.log" 2>&1 &
  groups+=($!)
  for _ in $(seq 100); do
    grep -q "starting Runtime server" "$work/watch-$1.log" && return 0
    sleep 0.2
  done
  die "cargo lambda watch on port $1 did not start"
}
start_function() {
  AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$1/.rt" python3 dev/e2e/runtime-api-function.py \
    >"$work/function-$1.log" 2>&1 &
  pids+=($!)
}

start_watch "$plain_port"
start_watch "$with_port"
AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$with_port/.rt" AWS_LAMBDA_FUNCTION_NAME=bench \
  IMAGEPIPE_TELEMETRY_PORT="$telemetry_port" "$binary" >"$work/emf.jsonl" 2>"$work/extension.err" &
extension_pid=$!
pids+=("$extension_pid")
sleep 0.5
kill -0 "$extension_pid" 2>/dev/null || { cat "$work/extension.err"; die "extension exited at start"; }
start_function "$plain_port"
start_function "$with_port"

invoke() {
  curl -sS -o /dev/null -w '%{time_total}\n' -X POST -d '{}' \
    "http://127.0.0.1:$1/2015-03-31/functions/_/invocations"
}
batch() {
  local id=bench-$1
  printf '[{"time":"2026-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"%s"}},' "$id"
  printf '{"time":"2026-01-01T00:00:00.001Z","type":"function","record":"{\\"requestId\\":\\"%s\\",\\"imagepipe_metrics\\":{\\"bytes_in\\":1000000,\\"bytes_out\\":50000,\\"renditions\\":2}}"},' "$id"
  printf '{"time":"2026-01-01T00:00:00.002Z","type":"platform.runtimeDone","record":{"requestId":"%s","status":"success","metrics":{"durationMs":2.0}}},' "$id"
  printf '{"time":"2026-01-01T00:00:00.003Z","type":"platform.report","record":{"requestId":"%s","status":"success","metrics":{"durationMs":2.0,"billedDurationMs":3,"memorySizeMB":1024,"maxMemoryUsedMB":40}}}]' "$id"
}

invoke "$plain_port" >/dev/null; invoke "$with_port" >/dev/null  # warm both paths
for i in $(seq "$invocations"); do
  invoke "$plain_port" >>"$work/plain.txt"
  invoke "$with_port" >>"$work/with.txt"
  curl -sS -o /dev/null -X POST --data-binary "$(batch "$i")" "http://127.0.0.1:$telemetry_port/"
done
sleep 0.3
lines=$(grep -c '"reported":true' "$work/emf.jsonl" || true)
[ "$lines" = "$invocations" ] || die "expected $invocations EMF lines, got $lines"

python3 - "$work/plain.txt" "$work/with.txt" <<'PY'
import statistics, sys
def stats(path):
    ms = sorted(float(line) * 1000 for line in open(path))
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return statistics.median(ms), pick(0.95), pick(0.99)
plain, with_ext = stats(sys.argv[1]), stats(sys.argv[2])
print(f"invoke latency, ms     {'p50':>7} {'p95':>7} {'p99':>7}")
print(f"without extension      {plain[0]:7.2f} {plain[1]:7.2f} {plain[2]:7.2f}")
print(f"with extension         {with_ext[0]:7.2f} {with_ext[1]:7.2f} {with_ext[2]:7.2f}")
print(f"difference (p50)       {with_ext[0] - plain[0]:+7.2f}")
PY
echo "invocations: $invocations each; EMF lines emitted: $lines"
echo "extension peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$extension_pid/status")"
echo "layer zip: $(stat -c %s "$zip") bytes ($zip); binary: $(stat -c %s "$binary") bytes"
echo "caveat: the emulator does not freeze the function until extensions call next; see header"
