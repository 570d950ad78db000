#!/usr/bin/env bash
# Decodes every rendition listed in a records file with libavif's `avifdec` (an AVIF decoder
# independent of the encoder we use) and checks each decoded size against its record.
#
#   dev/ci/verify-avif.sh OUTPUT_DIR [RECORDS_FILE]
set -euo pipefail
out=${1:?usage: verify-avif.sh OUTPUT_DIR [RECORDS_FILE]}
records=${2:-$out/records.jsonl}
command -v avifdec >/dev/null || { echo "verify-avif: avifdec not found (Debian/Ubuntu: apt-get install libavif-bin; macOS: brew install libavif)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "verify-avif: python3 not found" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

python3 - "$out" "$records" "$tmp" <<'PY'
import json, struct, subprocess, sys
out, records, tmp = sys.argv[1:4]
checked = 0
for line in open(records):
    record = json.loads(line)
    sizes = {r["name"]: r for r in record.get("result", {}).get("renditions", [])}
    for output in record.get("outputs", []):
        rendition = dict(output, **sizes[output["name"]])
        png = f"{tmp}/decoded.png"
        result = subprocess.run(["avifdec", f"{out}/{rendition['key']}", png], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"verify-avif: avifdec could not decode {rendition['key']}:\n{result.stdout}{result.stderr}")
        with open(png, "rb") as f:
            header = f.read(24)
        width, height = struct.unpack(">II", header[16:24])
        if (width, height) != (rendition["width"], rendition["height"]):
            sys.exit(f"verify-avif: {rendition['key']} decodes to {width}x{height}, record says {rendition['width']}x{rendition['height']}")
        checked += 1
if checked == 0:
    sys.exit(f"verify-avif: no renditions listed in {records}")
print(f"verify-avif: {checked} renditions decoded by avifdec at their recorded sizes")
PY
