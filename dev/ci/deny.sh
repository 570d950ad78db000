#!/usr/bin/env bash
# Supply-chain policy: `cargo deny check` (advisories, bans, licences, sources) against deny.toml.
#
# Advisories come from the live RustSec database when it can be fetched (GitHub Actions, any
# connected machine). Where GitHub is unreachable (the offline CI machines this repository is
# also checked on), the check runs against the snapshot in .ci/advisory-db.tar.gz and says how
# old it is; refresh it with `dev/ci/deny.sh --refresh-snapshot` on a connected machine.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "deny: FAIL: $*" >&2; exit 1; }
cargo_deny_version=0.20.2
snapshot=.ci/advisory-db.tar.gz
if ! cargo deny --version 2>/dev/null | grep -q "$cargo_deny_version"; then
  echo "deny: installing cargo-deny $cargo_deny_version from crates.io (a few minutes, once)" >&2
  cargo install --locked --quiet "cargo-deny@$cargo_deny_version" \
    || die "cargo install cargo-deny@$cargo_deny_version failed"
fi

# cargo-deny runs offline below (the advisory database is handled apart), and offline it reads
# every package of Cargo.lock from the registry cache, the Windows- and Android-only ones a Linux
# build never downloads included: fetch them all first, or a fresh machine or runner fails.
cargo fetch --locked --quiet || die "cargo fetch --locked failed (is crates.io reachable?)"

# Where cargo-deny keeps the database (under CARGO_HOME, named after the URL's hash).
probe=$(cargo deny --offline --log-level debug check advisories 2>&1 || true)
db_dir=$(sed -n "s/.*Opening advisory database at '\([^']*\)'.*/\1/p" <<<"$probe" | sed -n 1p)
[ -n "$db_dir" ] || die "could not find where cargo-deny keeps its advisory database"

if [ "${1:-}" = --refresh-snapshot ]; then
  cargo deny fetch db || die "the advisory database could not be fetched"
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  git -C "$db_dir" archive --format=tar HEAD crates LICENSE.txt | tar -x -C "$work"
  git -C "$db_dir" log -1 --format='commit %H%ndate %cI' > "$work/SNAPSHOT"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$snapshot" -C "$work" .
  echo "deny: $snapshot refreshed: $(tr '\n' ' ' < "$work/SNAPSHOT")"
  exit 0
fi

if timeout 90 cargo deny fetch db >/dev/null 2>&1; then
  echo "deny: advisory database: live, fetched now"
else
  [ -s "$snapshot" ] || die "the advisory database cannot be fetched and $snapshot is missing"
  rm -rf "$db_dir" && mkdir -p "$db_dir"
  tar -xzf "$snapshot" -C "$db_dir"
  # cargo-deny reads the database from a git checkout.
  git -C "$db_dir" init --quiet
  git -C "$db_dir" add --all
  snapshot_date=$(sed -n 's/^date //p' "$db_dir/SNAPSHOT")
  GIT_COMMITTER_DATE=$snapshot_date git -C "$db_dir" -c user.name=snapshot -c user.email=snapshot@localhost \
    commit --quiet --date="$snapshot_date" -m "RustSec advisory-db snapshot"
  age_days=$(( ($(date +%s) - $(date -d "$snapshot_date" +%s)) / 86400 ))
  echo "deny: WARNING: GitHub is unreachable; advisories are checked against the snapshot in $snapshot:"
  echo "deny: WARNING: $(tr '\n' ' ' < "$db_dir/SNAPSHOT")($age_days days old). Advisories published since are not seen here."
fi
cargo deny --locked --offline check --show-stats
