#!/usr/bin/env bash
# Parses flake.nix with `nix-instantiate --parse`, installing Debian's nix-bin if nix is absent.
#
# That is ALL this checks: the file is valid Nix syntax and every variable it uses is bound
# (Nix resolves names when it parses). It does not fetch the inputs, evaluate the outputs,
# build the dev shell or run the flake's checks: that needs network access to nixpkgs,
# rust-overlay and crane, which the machines running .ci/run do not have. Where they are
# reachable, run `nix flake check` (the workflow .github/workflows/nix.yml does).
set -euo pipefail
cd "$(dirname "$0")/../.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

if ! command -v nix-instantiate >/dev/null; then
  command -v apt-get >/dev/null || {
    echo "check-flake: nix-instantiate not found and no apt-get to install nix-bin: install Nix" >&2
    exit 1
  }
  echo "check-flake: installing Debian's nix-bin for nix-instantiate"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nix-bin >/dev/null
fi
command -v nix-instantiate >/dev/null || { echo "check-flake: nix-bin did not install nix-instantiate" >&2; exit 1; }

[ -f flake.nix ] || { echo "check-flake: flake.nix not found" >&2; exit 1; }
nix-instantiate --parse flake.nix >/dev/null
echo "flake.nix parses ($(nix-instantiate --version)): syntax and variable bindings only; inputs not fetched, outputs not evaluated"
