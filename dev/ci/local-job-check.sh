#!/usr/bin/env bash
# The local job in release mode over the bundled samples: every output decoded by an independent
# AVIF decoder (dev/ci/verify-avif.sh), and the hostile samples recorded as failures (exit 1,
# three `failed` records) rather than crashing the job.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo >/dev/null || { echo "local-job-check: cargo not found" >&2; exit 1; }
target_dir=${CARGO_TARGET_DIR:-target}

# What the `cargo local` alias (.cargo/config.toml) builds, with the lock file enforced; then
# README command 1 itself, which finds it built.
cargo build --release --locked -p imagepipe-application --no-default-features --bin imagepipe-local
local_job=$target_dir/release/imagepipe-local

rm -rf "$target_dir/ci-local-job" "$target_dir/ci-local-job-hostile"
cargo local samples/images --output "$target_dir/ci-local-job"
dev/ci/verify-avif.sh "$target_dir/ci-local-job"

set +e
"$local_job" samples/hostile --output "$target_dir/ci-local-job-hostile"
status=$?
set -e
[ "$status" -eq 1 ] || { echo "hostile samples must give exit 1 (recorded failures), got $status" >&2; exit 1; }
failed=$(grep -c '"status":"failed"' "$target_dir/ci-local-job-hostile/records.jsonl")
[ "$failed" -eq 3 ] || { echo "expected 3 failed records for samples/hostile, got $failed" >&2; exit 1; }
echo "samples/hostile: 3 failed records, exit 1, no crash"
