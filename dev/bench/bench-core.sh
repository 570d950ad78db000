#!/usr/bin/env bash
# Decode / resize / encode throughput of the core crate on real photographs, and what the
# record's placeholder costs beside the encode, at the default settings. The photographs are
# scikit-image's bundled samples (public domain / CC0), fetched from PyPI into target/ at run
# time rather than committed.
#
#   dev/bench/bench-core.sh            # all stages
#   dev/bench/bench-core.sh encode     # extra arguments go to divan (a filter, --sample-count...)
set -euo pipefail
cd "$(dirname "$0")/../.."

images=target/bench-images
if [ ! -s "$images/.complete" ]; then
  command -v python3 >/dev/null || { echo "bench-core: python3 is required to fetch the photographs" >&2; exit 1; }
  rm -rf "$images" target/bench-wheel && mkdir -p "$images" target/bench-wheel
  echo "bench-core: fetching scikit-image's sample photographs from PyPI..." >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest target/bench-wheel 'scikit-image==0.25.2'
  python3 - "$images" target/bench-wheel/*.whl <<'PY'
import sys, zipfile
out, wheel = sys.argv[1], sys.argv[2]
# astronaut: NASA, public domain (0.26 MP PNG); hubble_deep_field: NASA (0.87 MP JPEG);
# retina: CC0 (2.0 MP JPEG); coffee: CC0 (0.24 MP PNG).
wanted = {"astronaut.png", "hubble_deep_field.jpg", "retina.jpg", "coffee.png"}
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = name.rsplit("/", 1)[-1]
        if name.startswith("skimage/data/") and base in wanted:
            open(f"{out}/{base}", "wb").write(z.read(name))
            wanted.discard(base)
if wanted:
    sys.exit(f"bench-core: missing from the wheel: {sorted(wanted)}")
PY
  date -u > "$images/.complete"
fi

echo "bench-core: $(nproc) cores; Mitem/s = megapixels per second; s/MP = 1 / that" >&2
IMAGEPIPE_BENCH_IMAGES="$PWD/$images" cargo bench -p imagepipe-core --bench stages -- "$@"
