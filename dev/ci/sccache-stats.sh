#!/usr/bin/env bash
# Prints `sccache --show-stats` and the hit rate it implies, for Rust and overall:
# hits / (hits + misses) over the compile requests sccache could cache (non-cacheable ones,
# such as linked binaries, proc-macros and build scripts, count as neither). With
# $GITHUB_STEP_SUMMARY set (GitHub Actions) the same goes into the job summary.
#
# It reads the statistics of the sccache server this environment talks to (SCCACHE_DIR,
# SCCACHE_SERVER_PORT): `.ci/run` zeroes them at its start, so they cover that run only.
set -euo pipefail
command -v sccache >/dev/null || { echo "sccache-stats: sccache not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "sccache-stats: python3 not found" >&2; exit 1; }

text=$(sccache --show-stats)
json=$(sccache --show-stats --stats-format json)
rates=$(python3 -c '
import json, sys
stats = json.loads(sys.argv[1])["stats"]
hits = stats["cache_hits"]["counts"]
misses = stats["cache_misses"]["counts"]
def line(label, h, m):
    total = h + m
    rate = f"{100 * h / total:.1f}%" if total else "n/a (nothing cacheable was compiled)"
    return f"{label}: {rate} ({h} hits, {m} misses)"
print(line("Rust hit rate", hits.get("Rust", 0), misses.get("Rust", 0)))
print(line("overall hit rate", sum(hits.values()), sum(misses.values())))
requests = stats["compile_requests"]
not_cacheable = stats["requests_not_cacheable"]
errors = sum(stats["cache_errors"]["counts"].values())
read_errors, write_errors = stats["cache_read_errors"], stats["cache_write_errors"]
print(f"compile requests {requests}, not cacheable {not_cacheable}, cache errors {errors}, "
      f"read errors {read_errors}, write errors {write_errors}")
' "$json")

printf '%s\n\n%s\n' "$text" "$rates"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### sccache"
    echo
    while IFS= read -r line; do echo "- $line"; done <<<"$rates"
    echo
    echo "<details><summary>sccache --show-stats</summary>"
    echo
    echo '```text'
    echo "$text"
    echo '```'
    echo
    echo "</details>"
  } >>"$GITHUB_STEP_SUMMARY"
fi
