#!/usr/bin/env bash
# End-to-end suite of the Lambda function on emulators (see dev/e2e/run.py for what is
# checked): the x86_64 release binary with measurements, then the arm64 release artifact (the
# zip's `bootstrap`, cross-built with cargo-lambda/zig) under qemu-user, correctness only.
#
#   dev/e2e/e2e.sh            both
#   E2E_ARM64=0 dev/e2e/e2e.sh   x86_64 only (no qemu needed)
set -euo pipefail
cd "$(dirname "$0")/../.."

. dev/e2e/release-function.sh
python3 dev/e2e/run.py --binary "$release_function"

if [ "${E2E_ARM64:-1}" = 0 ]; then
  echo "e2e: arm64 run skipped (E2E_ARM64=0)"
  exit 0
fi
command -v qemu-aarch64 >/dev/null || die "qemu-aarch64 is not installed (apt-get install qemu-user libc6-arm64-cross), or set E2E_ARM64=0"
arm64_sysroot=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}
[ -e "$arm64_sysroot/lib/ld-linux-aarch64.so.1" ] || die "no arm64 glibc at $arm64_sysroot (apt-get install libc6-arm64-cross)"
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
  || die "the aarch64-unknown-linux-gnu target is missing: rustup target add aarch64-unknown-linux-gnu"

echo "e2e: the arm64 release zip (cargo lambda build --arm64, via dev/ci/lambda-zips.sh)"
dev/ci/lambda-zips.sh function-arm64
zip=$target_dir/dist/imagepipe-function-arm64.zip
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
python3 -m zipfile -e "$zip" "$unpacked"
chmod +x "$unpacked/bootstrap"
file_type=$(python3 -c 'import sys; h=open(sys.argv[1],"rb").read(20); print("aarch64" if h[:4]==b"\x7fELF" and h[18:20]==b"\xb7\x00" else "other")' "$unpacked/bootstrap")
[ "$file_type" = aarch64 ] || die "the zip's bootstrap is not an aarch64 ELF"
python3 dev/e2e/run.py --quick --binary "$unpacked/bootstrap" \
  --runner "qemu-aarch64 -L $arm64_sysroot"
