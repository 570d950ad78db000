#!/usr/bin/env bash
# imagepipe-core stays pure: no AWS, Lambda, tokio or hyper crate among its normal dependencies
# (direct or transitive). Runs `cargo tree`, which resolves but compiles nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo >/dev/null || { echo "check-core-pure: cargo not found" >&2; exit 1; }

tree=$(cargo tree --locked -p imagepipe-core -e normal --prefix none)
[ -n "$tree" ] || { echo "check-core-pure: cargo tree printed nothing" >&2; exit 1; }
if grep -E '^(aws-|lambda|tokio|hyper)' <<<"$tree"; then
  echo "imagepipe-core must not depend on AWS, Lambda, tokio or hyper crates" >&2; exit 1
fi
echo "imagepipe-core: no aws-*, lambda*, tokio or hyper in its normal dependencies ($(sort -u <<<"$tree" | wc -l) crates checked)"
