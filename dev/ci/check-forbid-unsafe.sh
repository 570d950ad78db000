#!/usr/bin/env bash
# Every crate root of ours (libraries, binaries, examples, fuzz targets) says
# #![forbid(unsafe_code)], on top of the workspace lint, so a file moved out of the workspace
# keeps the rule. The roots come from `cargo metadata`, so a new binary cannot be missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
roots() {
  cargo metadata --format-version 1 --no-deps --offline --manifest-path "$1" | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    for target in package["targets"]:
        if set(target["kind"]) & {"lib", "bin", "example"}:
            print(target["src_path"])'
}
missing=0
while IFS= read -r root; do
  if ! grep -q '^#!\[forbid(unsafe_code)\]' "$root"; then
    echo "forbid-unsafe: $root lacks #![forbid(unsafe_code)]" >&2
    missing=1
  fi
done < <( { roots Cargo.toml; roots fuzz/Cargo.toml; } | sort -u)
[ "$missing" = 0 ] && echo "forbid-unsafe: every crate root of ours forbids unsafe code"
exit "$missing"
