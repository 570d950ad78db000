#!/usr/bin/env bash
# The Lambda extension stands alone: no other crate of this workspace among its normal
# dependencies. Runs `cargo tree`, which resolves but compiles nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo >/dev/null || { echo "check-extension-standalone: cargo not found" >&2; exit 1; }

tree=$(cargo tree --locked -p imagepipe-extension -e normal --prefix none)
[ -n "$tree" ] || { echo "check-extension-standalone: cargo tree printed nothing" >&2; exit 1; }
if grep -E '^imagepipe-(core|adapters|application) ' <<<"$tree"; then
  echo "imagepipe-extension must not depend on another crate of the workspace" >&2; exit 1
fi
echo "imagepipe-extension: no other workspace crate in its normal dependencies"
