#!/usr/bin/env python3
"""Peak RSS of the worst case the default limits admit, through the real pipeline.

The input: 50 MP (10000 x 5000, the IMAGEPIPE_MAX_PIXELS default), 16-bit RGBA (8 bytes a pixel,
400 MB decoded: the largest layout under the 512 MiB IMAGEPIPE_MAX_DECODE_BYTES), EXIF
orientation 6 (a 90-degree turn), an ICC profile (Display P3), and padded with an ancillary
chunk to just under the 50 MiB IMAGEPIPE_MAX_INPUT_BYTES, so the object's bytes count as well.
The local job decodes it and encodes the default renditions, as the function would; its peak
RSS comes from the kernel (getrusage of the finished child).

Prints the peak. Fails only when the peak exceeds the memory the function is deployed with by
default (infra/variables.tf function_memory_mb): that would be an out-of-memory kill.

  dev/bench/decode-peak-rss.py [--local-job PATH]
"""

import argparse
import importlib.util
import os
import re
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib

WIDTH, HEIGHT = 10_000, 5_000
MAX_INPUT_BYTES = 50 * 1024 * 1024
MAX_DECODE_BYTES = 512 * 1024 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(message):
    sys.exit(f"decode-peak-rss: {message}")


def display_p3_icc():
    spec = importlib.util.spec_from_file_location("colour_reference", f"{ROOT}/dev/ci/colour-reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.display_p3_icc()


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def exif_orientation(orientation):
    return b"MM\0\x2a\0\0\0\x08" + struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0)


def worst_case_png(path):
    # A horizontal gradient in colour and alpha (not opaque, so the encoder keeps the alpha).
    row = b"".join(
        struct.pack(">4H", x * 65535 // WIDTH, 65535 - x * 65535 // WIDTH, 40000, 20000 + x * 4)
        for x in range(WIDTH)
    )
    compressor = zlib.compressobj(6)
    idat = [compressor.compress(b"\0" + row)]
    same_as_above = b"\2" + bytes(len(row))  # PNG filter "Up": a row equal to the one above
    for _ in range(HEIGHT - 1):
        idat.append(compressor.compress(same_as_above))
    idat.append(compressor.flush())
    icc = display_p3_icc()
    parts = [
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 16, 6, 0, 0, 0)),
        chunk(b"iCCP", b"Display P3\0\0" + zlib.compress(icc)),
        chunk(b"eXIf", exif_orientation(6)),
        chunk(b"IDAT", b"".join(idat)),
    ]
    used = sum(len(p) for p in parts) + 12 + 12 + 64 * 1024
    parts.append(chunk(b"fiLl", os.urandom(MAX_INPUT_BYTES - used)))  # private, ignored by decoders
    parts.append(chunk(b"IEND", b""))
    with open(path, "wb") as f:
        for part in parts:
            f.write(part)


def function_memory_mb():
    text = open(f"{ROOT}/infra/variables.tf").read()
    block = re.search(r'variable "function_memory_mb" \{(.*?)\n\}', text, re.S)
    default = block and re.search(r"default\s*=\s*(\d+)", block.group(1))
    if not default:
        fail("cannot read function_memory_mb's default from infra/variables.tf")
    return int(default.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--local-job", default=f"{target}/release/imagepipe-local")
    args = parser.parse_args()
    if not os.access(args.local_job, os.X_OK):
        fail(f"{args.local_job} is not an executable (build it: cargo build --release -p imagepipe-application --no-default-features --bin imagepipe-local)")
    memory_mb = function_memory_mb()
    with tempfile.TemporaryDirectory(prefix="decode-peak-rss-") as work:
        os.makedirs(f"{work}/in")
        source = f"{work}/in/worst-case.png"
        worst_case_png(source)
        size = os.path.getsize(source)
        started = time.monotonic()
        run = subprocess.run([args.local_job, f"{work}/in", "--output", f"{work}/out"], capture_output=True, text=True)
        elapsed = time.monotonic() - started
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if run.returncode != 0:
            fail(f"the local job exited {run.returncode}:\n{run.stdout}{run.stderr}")
        record = open(f"{work}/out/records.jsonl").readline()
        if '"status":"complete"' not in record:
            fail(f"the worst case was not processed: {record}")
    print(
        f"decode-peak-rss: {WIDTH}x{HEIGHT} 16-bit RGBA PNG, orientation 6, Display P3 profile, "
        f"{size / 2**20:.1f} MiB object, decoded {WIDTH * HEIGHT * 8 / 2**20:.0f} MiB "
        f"(limit {MAX_DECODE_BYTES / 2**20:.0f} MiB)"
    )
    print(
        f"decode-peak-rss: peak RSS {peak_mib:.0f} MiB = {peak_mib * 2**20 / MAX_DECODE_BYTES:.2f}x "
        f"IMAGEPIPE_MAX_DECODE_BYTES; function memory {memory_mb} MB; {elapsed:.1f} s"
    )
    if peak_mib > memory_mb:  # Lambda's "MB" are MiB
        fail(f"peak RSS {peak_mib:.0f} MiB exceeds the function's {memory_mb} MB: it would be killed")


if __name__ == "__main__":
    main()
