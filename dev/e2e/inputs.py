"""Generated inputs for the fault and load runs: distinct small PNGs (stdlib only, so no image
library is needed on a CI machine) and the bad inputs with the failure kinds the function must
record for them."""

import random
import struct
import zlib

from harness import SAMPLES

# Bad inputs: bytes, and the failure kinds a record of each may carry.
BAD = {
    "corrupt": ((SAMPLES / "hostile" / "corrupt.jpg").read_bytes(), {"corrupt"}),
    "empty": (b"", {"empty"}),
    "not-an-image": ((SAMPLES / "hostile" / "not-an-image.jpg").read_bytes(), {"unsupported_format"}),
    "bomb": ((SAMPLES / "hostile" / "bomb.png").read_bytes(), {"dimensions_too_large", "too_many_pixels"}),
}
BAD_SUFFIX = {"corrupt": ".jpg", "empty": ".png", "not-an-image": ".jpg", "bomb": ".png"}


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, seed):
    """An RGB PNG of width x height: a gradient tinted and speckled by `seed`, so every object
    has its own bytes (and its own hash) and the encoder has real content to work on."""
    rng = random.Random(seed)
    tint = [rng.randrange(256) for _ in range(3)]
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            noise = rng.randrange(32)
            rows += bytes((
                (x * 255 // max(width - 1, 1) + tint[0] + noise) & 0xFF,
                (y * 255 // max(height - 1, 1) + tint[1]) & 0xFF,
                ((x + y) * 2 + tint[2] + noise) & 0xFF,
            ))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + _chunk(b"IEND", b""))


def with_marker(png_bytes, marker):
    """The same image with a text chunk before IEND: distinct bytes for every object, made
    without generating every image from scratch."""
    return png_bytes[:-12] + _chunk(b"tEXt", b"Comment\x00" + marker.encode()) + png_bytes[-12:]
