#!/usr/bin/env bash
# The local job builds without the AWS SDK: `imagepipe-application --no-default-features` (what
# the `cargo local` alias builds) has no AWS SDK crate among its normal dependencies, direct or
# transitive. Runs `cargo tree`, which resolves but compiles nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo >/dev/null || { echo "check-local-sdk-free: cargo not found" >&2; exit 1; }

alias_line=$(grep -E '^local = ' .cargo/config.toml) || { echo "check-local-sdk-free: no 'local' alias in .cargo/config.toml" >&2; exit 1; }
grep -q -- '--no-default-features' <<<"$alias_line" || { echo "check-local-sdk-free: the 'local' alias must build with --no-default-features: $alias_line" >&2; exit 1; }

tree=$(cargo tree --locked -p imagepipe-application --no-default-features -e normal --prefix none)
[ -n "$tree" ] || { echo "check-local-sdk-free: cargo tree printed nothing" >&2; exit 1; }
grep -q '^imagepipe-adapters ' <<<"$tree" || { echo "check-local-sdk-free: imagepipe-adapters missing from the tree" >&2; exit 1; }
# The SDK's own crates and the smithy runtime under them; serde_dynamo speaks the SDK's types.
if grep -E '^(aws-sdk-|aws-config|aws-smithy-|aws-runtime|aws-sigv4|aws-credential|aws-types|aws-lc|serde_dynamo)' <<<"$tree" | sort -u; then
  echo "imagepipe-application without default features must not depend on the AWS SDK" >&2; exit 1
fi
echo "imagepipe-application --no-default-features: no AWS SDK crate in its normal dependencies ($(sort -u <<<"$tree" | wc -l) crates checked)"
