#!/usr/bin/env bash
# Builds the deployable Lambda zips with cargo lambda, checks their sizes and copies them to
# target/dist/ under names that say what they are.
#
#   dev/ci/lambda-zips.sh WHAT...
#
# WHAT is any of:
#   function-arm64    the function (`bootstrap` of imagepipe-application), cross-built for arm64
#                     -> target/lambda-arm64/bootstrap/bootstrap.zip
#   extension-arm64   the extension layer, cross-built for arm64
#                     -> target/lambda-extension-arm64/extensions/imagepipe-extension.zip
#   extension-native  the extension layer for this machine's architecture (x86_64 on CI)
#                     -> target/lambda-extension/extensions/imagepipe-extension.zip
#
# Limits checked: an extension zip over 1.5 MB fails (the extension's budget); a function zip
# over 8 MiB fails (the function's budget; Lambda itself accepts direct uploads up to 50 MB).
# Sizes are printed, and appended as a table to $GITHUB_STEP_SUMMARY when that is set.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "lambda-zips: $*" >&2; exit 1; }
[ $# -gt 0 ] || die "usage: lambda-zips.sh {function-arm64|extension-arm64|extension-native}..."
command -v cargo >/dev/null || die "cargo not found"
command -v cargo-lambda >/dev/null || die "cargo-lambda not found (pip install cargo-lambda; it brings zig)"
command -v python3 >/dev/null || die "python3 not found"

target_dir=${CARGO_TARGET_DIR:-target}
dist=$target_dir/dist
mkdir -p "$dist"
extension_budget=1572864   # 1.5 MiB
function_limit=8388608     # 8 MiB: the function's size budget (Lambda itself accepts 50 MiB zips)
rows=()
over=()

# zip_report NAME ZIP LIMIT LIMIT_REASON: size check, copy to dist/, one summary row.
zip_report() {
  local name=$1 zip=$2 limit=$3 reason=$4
  [ -f "$zip" ] || die "$name: cargo lambda finished but $zip does not exist"
  local sizes zip_bytes unpacked_bytes verdict=ok
  sizes=$(python3 -c '
import os, sys, zipfile
print(os.path.getsize(sys.argv[1]), sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()))' "$zip")
  read -r zip_bytes unpacked_bytes <<<"$sizes"
  cp "$zip" "$dist/$name.zip"
  if [ "$zip_bytes" -gt "$limit" ]; then
    verdict="OVER"
    over+=("$name: $zip_bytes bytes is over $limit ($reason)")
  fi
  echo "$name: $zip_bytes bytes zipped, $unpacked_bytes unpacked, limit $limit ($reason): $verdict -> $dist/$name.zip"
  rows+=("| \`$name.zip\` | $zip_bytes | $unpacked_bytes | $limit ($reason) | $verdict |")
}

for what in "$@"; do
  case $what in
    function-arm64 | extension-arm64 | extension-native) ;;
    *) die "unknown zip '$what' (function-arm64, extension-arm64, extension-native)" ;;
  esac
done

for what in "$@"; do
  case $what in
    function-arm64)
      cargo lambda build --release --arm64 --output-format zip \
        -p imagepipe-application --bin bootstrap --lambda-dir "$target_dir/lambda-arm64"
      zip_report imagepipe-function-arm64 "$target_dir/lambda-arm64/bootstrap/bootstrap.zip" \
        "$function_limit" "function budget"
      ;;
    extension-arm64)
      # --bin: --extension would otherwise package every binary of the target dir as a layer.
      cargo lambda build --release --extension --arm64 --output-format zip \
        -p imagepipe-extension --bin imagepipe-extension --lambda-dir "$target_dir/lambda-extension-arm64"
      zip_report imagepipe-extension-arm64 "$target_dir/lambda-extension-arm64/extensions/imagepipe-extension.zip" \
        "$extension_budget" "extension budget"
      ;;
    extension-native)
      cargo lambda build --release --extension --output-format zip \
        -p imagepipe-extension --bin imagepipe-extension --lambda-dir "$target_dir/lambda-extension"
      zip_report "imagepipe-extension-$(uname -m)" "$target_dir/lambda-extension/extensions/imagepipe-extension.zip" \
        "$extension_budget" "extension budget"
      ;;
  esac
done

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### Lambda zips"
    echo
    echo "| zip | bytes | unpacked bytes | limit | |"
    echo "| --- | ---: | ---: | --- | --- |"
    printf '%s\n' "${rows[@]}"
  } >>"$GITHUB_STEP_SUMMARY"
fi
if [ ${#over[@]} -gt 0 ]; then
  printf 'lambda-zips: %s\n' "${over[@]}" >&2
  exit 1
fi
