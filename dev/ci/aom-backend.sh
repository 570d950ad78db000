#!/usr/bin/env bash
# The optional libaom AVIF backend (imagepipe-core's cargo feature `aom`): its tests on this
# machine (x86_64 on CI), then the arm64 function built with it exactly as the shipped zip is
# (cargo lambda --arm64, zig), run end to end under qemu-user with IMAGEPIPE_AVIF_ENCODER=aom.
# A binary without the backend refuses that setting at init, so a passing run is the backend's.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "aom-backend: FAIL: $*" >&2; exit 1; }
command -v cmake >/dev/null || die "cmake not found (apt-get install cmake): libaom and libavif build with it"
command -v avifdec >/dev/null || die "avifdec not found (apt-get install libavif-bin): the tests decode with it"
command -v qemu-aarch64 >/dev/null || die "qemu-aarch64 not found (apt-get install qemu-user libc6-arm64-cross)"
arm64_sysroot=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}
[ -e "$arm64_sysroot/lib/ld-linux-aarch64.so.1" ] || die "no arm64 glibc at $arm64_sysroot (apt-get install libc6-arm64-cross)"

echo "aom-backend: imagepipe-core tests with the aom feature"
cargo test --locked -p imagepipe-core --features aom --test aom_backend

echo "aom-backend: the arm64 function zip with the aom feature"
dev/ci/lambda-zips.sh function-arm64-aom
target_dir=${CARGO_TARGET_DIR:-target}
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
python3 -m zipfile -e "$target_dir/dist/imagepipe-function-arm64-aom.zip" "$unpacked"
chmod +x "$unpacked/bootstrap"
python3 dev/e2e/run.py --quick --binary "$unpacked/bootstrap" \
  --runner "qemu-aarch64 -L $arm64_sysroot" --env IMAGEPIPE_AVIF_ENCODER=aom
