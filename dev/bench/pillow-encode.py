#!/usr/bin/env python3
"""One Pillow AVIF encode for dev/bench/encoders.py; prints one JSON line.

Usage: pillow-encode.py INPUT.png OUTPUT.avif QUALITY SPEED THREADS
The PNG is decoded before the clocks start, so encode_s and encode_cpu_s are the AVIF encode
alone (ravif's and sharp's figures are taken the same way). Everything else is Pillow's default
(4:2:0, libavif's choice of codec, which is aom in the PyPI wheels, automatic tiling).
"""

import io
import json
import sys
import time

from PIL import Image

source, output, quality, speed, threads = sys.argv[1:]
image = Image.open(source)
image.load()
buffer = io.BytesIO()
started, cpu_started = time.perf_counter(), time.process_time()
image.save(buffer, format="AVIF", quality=int(quality), speed=int(speed), max_threads=int(threads))
encode_s, encode_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
with open(output, "wb") as out:
    out.write(buffer.getvalue())
print(json.dumps({"encode_s": encode_s, "encode_cpu_s": encode_cpu_s, "bytes": buffer.tell(),
                  "width": image.width, "height": image.height}))
