#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz / libFuzzer) of the two places that take untrusted input:
#   transform  arbitrary bytes through Raw -> Intermediate -> Complete (decode limits, encoding)
#   s3_event   arbitrary Lambda payloads, SQS bodies and object keys (parsing, key decoding)
# Seeds come from samples/ (images, the hostile corpus, event fixtures); the working corpus grows
# under fuzz/corpus/<target> and persists between runs. A crash fails the script and leaves the
# input in fuzz/artifacts/<target>/ (reproduce: cargo fuzz run <target> <file>).
#
#   dev/ci/fuzz.sh                   every target, FUZZ_SECONDS each (default 300)
#   FUZZ_SECONDS=60 dev/ci/fuzz.sh s3_event
#
# cargo fuzz needs nightly compiler flags (-Zsanitizer); this project pins one stable toolchain,
# so the targets build without a sanitizer (-s none: libFuzzer's coverage guidance and Rust's own
# panics/overflow checks, no AddressSanitizer, which our forbid(unsafe_code) crates need least)
# and RUSTC_BOOTSTRAP=1 lets the stable compiler accept the -Z flags cargo fuzz still passes.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "fuzz: FAIL: $*" >&2; exit 1; }
seconds=${FUZZ_SECONDS:-300}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(transform s3_event)
cargo_fuzz_version=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
  echo "fuzz: installing cargo-fuzz $cargo_fuzz_version from crates.io" >&2
  cargo install --locked --quiet "cargo-fuzz@$cargo_fuzz_version"
fi
export RUSTC_BOOTSTRAP=1

seed() {
  local target=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $target in
    transform) cp -n samples/images/* samples/hostile/* "$dir"/ 2>/dev/null || true
               find samples/corpus -type f ! -name '*.json' -exec cp -n {} "$dir"/ \; ;;
    s3_event)  cp -n samples/events/*.json modules/application/tests/fixtures/*.json "$dir"/ 2>/dev/null || true ;;
  esac
}

for target in "${targets[@]}"; do
  seed "$target"
  before=$(find "fuzz/corpus/$target" -type f | wc -l)
  log=$(mktemp)
  echo "fuzz: $target for ${seconds}s (corpus: $before inputs)" >&2
  status=0
  cargo fuzz run --fuzz-dir fuzz -s none --release "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 >"$log" 2>&1 || status=$?
  after=$(find "fuzz/corpus/$target" -type f | wc -l)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  crashes=$(find "fuzz/artifacts/$target" -type f 2>/dev/null | wc -l)
  printf 'fuzz: %s: %ss, %s executions, corpus %s -> %s inputs, crash artifacts: %s\n' \
    "$target" "$seconds" "$runs" "$before" "$after" "$crashes"
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    die "$target stopped with status $status (see the input under fuzz/artifacts/$target)"
  fi
  rm -f "$log"
done
