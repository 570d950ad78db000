#!/usr/bin/env bash
# Proves the one-command rename (dev/rename.py) on a copy of this tree:
#   1. the rename's own tests (dev/ci/test_rename.py: refusals, spellings, Cargo.lock order);
#   2. copies the repository's files (tracked, with their uncommitted changes, and untracked
#      ones that are not ignored) to a scratch directory and renames the copy to another name;
#   3. greps the copy (git grep, case-insensitive, inside other words too) for the old name:
#      only what the rename printed as its allow-list may be left, in contents and in paths;
#   4. in the copy: cargo test --workspace --locked (which builds every target) and the
#      infrastructure contract test (infra/tests/test_contract.py, in dev/ci/infra-venv.sh's venv),
#      with the caller's CARGO_TARGET_DIR, so the dependencies are not compiled again: only the
#      renamed crates are.
# Stops loudly on a missing tool (python3, git, cargo, terraform). Prints the rename's run time.
# Usage: dev/ci/rename-check.sh        (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

die() { printf '\nrename-check: ERROR: %s\n' "$*" >&2; exit 1; }
for tool in python3 git cargo terraform; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH: the renamed copy is built, tested and planned with it"
done

printf '=== the rename'\''s own tests (dev/ci/test_rename.py)\n'
python3 -m unittest dev/ci/test_rename.py

venv=$(dev/ci/infra-venv.sh) || die "the contract test's venv could not be set up"
current=$(python3 dev/rename.py --current)
target=acme-flow # rename:keep (the check's own target name, whatever the project is called)
[ "$current" != "$target" ] || target=zenith-works # rename:keep
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
case $CARGO_TARGET_DIR in /*) ;; *) CARGO_TARGET_DIR=$root/$CARGO_TARGET_DIR ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/rename-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
copy=$work/tree
mkdir "$copy"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -f "$file" ] && printf '%s\0' "$file"; done |
  tar --null -T - -cf - | tar -xf - -C "$copy"
# A repository of its own: the rename moves files with git mv, the contract test lists files with git.
git -C "$copy" init -q
git -C "$copy" add -A

printf '\n=== rename the copy: %s -> %s\n' "$current" "$target"
(cd "$copy" && python3 dev/rename.py "$target") | tee "$work/rename.log"

printf '\n=== the old name is gone, apart from the allow-list\n'
pattern=${current//-/[-_]?}
sed -n 's/^  kept: //p' "$work/rename.log" | sed -E 's/^([^:]+):([0-9]+): .*/\1:\2/; s/^([^:]+): binary file.*/\1/' | sort >"$work/allowed"
{
  git -C "$copy" grep -n -I -i -E "$pattern" | cut -d: -f1,2 || true
  git -C "$copy" grep -l -i -E "$pattern" | while read -r file; do
    git -C "$copy" grep -q -I -i -E "$pattern" -- "$file" || echo "$file" # binary files
  done || true
  git -C "$copy" ls-files | grep -i -E "$pattern" | sed 's/$/ (path)/' || true
} | sort >"$work/left"
unexpected=$(comm -23 "$work/left" "$work/allowed")
if [ -n "$unexpected" ]; then
  printf '%s\n' "$unexpected" | sed 's/^/  still there: /'
  die "the renamed copy still contains $current where the rename's allow-list does not say so"
fi
echo "old name left in $(wc -l <"$work/left") places, all on the allow-list ($(wc -l <"$work/allowed") entries)"

printf '\n=== the renamed copy builds and passes its tests (CARGO_TARGET_DIR=%s)\n' "$CARGO_TARGET_DIR"
# The copy's caches carry its new name: its camera-photograph tests get the photographs this
# tree's script has (fetching them now if the tests step has not), not a second download. Only
# the copy's tests see the scratch XDG_CACHE_HOME; sccache keeps the caller's directory.
photos=$(python3 dev/fixtures/camera-photos.py)
mkdir "$work/cache"
ln -s "$(dirname "$photos")" "$work/cache/$target"
if [ "${RUSTC_WRAPPER:-}" = sccache ]; then export SCCACHE_DIR=${SCCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sccache}; fi
# `cargo test` builds every target the workspace has (binaries included) with the features the
# tests step already built: a separate `cargo build` would resolve other dependency features and
# compile the dependencies again.
(cd "$copy" && XDG_CACHE_HOME=$work/cache cargo test --workspace --locked)

printf '\n=== the renamed copy passes the infrastructure contract test\n'
(cd "$copy" && "$venv/bin/python" infra/tests/test_contract.py -v)

printf '\nrename-check: ok (%s -> %s, %s)\n' "$current" "$target" "$(grep '^rename took' "$work/rename.log")"
