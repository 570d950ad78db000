#!/usr/bin/env python3
"""Regenerates the sample images under samples/ (committed; this script documents how they were
made). Needs Pillow and scikit-image (`pip install pillow scikit-image`): the photographs are
scikit-image's bundled CC0/public-domain data, the rest is drawn here.

samples/images/  inputs the local job converts successfully (README block 1)
samples/hostile/ inputs it must record as failed, never crash on
"""
import io
import os
import struct
import zlib
from pathlib import Path

import skimage.data
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent / "samples"
GOOD = ROOT / "images"
BAD = ROOT / "hostile"
DATA = Path(skimage.data.__file__).parent


def photo(name: str, out: str, **save) -> Image.Image:
    image = Image.open(DATA / name).convert("RGB")
    image.save(GOOD / out, **save)
    return image


def main() -> None:
    GOOD.mkdir(parents=True, exist_ok=True)
    BAD.mkdir(parents=True, exist_ok=True)

    # Photographs (scikit-image data): astronaut is NASA public domain, coffee and chelsea CC0.
    astronaut = photo("astronaut.png", "astronaut.jpg", quality=85, optimize=True)
    photo("coffee.png", "coffee.webp", quality=80)
    chelsea = Image.open(DATA / "chelsea.png").convert("RGB")

    # A phone photo stored sideways: pixels landscape, EXIF orientation 6 (rotate 90 CW to view).
    exif = Image.Exif()
    exif[0x0112] = 6
    chelsea.save(GOOD / "chelsea-exif-rotated.jpg", quality=85, exif=exif.tobytes())

    # A logo with real transparency (RGBA PNG).
    logo = Image.new("RGBA", (240, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((10, 10, 150, 150), fill=(220, 60, 40, 255))
    draw.rectangle((100, 40, 230, 120), fill=(40, 90, 220, 160))
    logo.save(GOOD / "logo-alpha.png", optimize=True)

    # 16-bit greyscale gradient (PNG), palette GIF, CMYK JPEG, TIFF.
    gradient = Image.new("I;16", (256, 64))
    gradient.putdata([x * 257 for _ in range(64) for x in range(256)])
    gradient.save(GOOD / "gradient-16bit.png")
    astronaut.resize((128, 128)).convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(
        GOOD / "astronaut-palette.gif"
    )
    astronaut.resize((160, 160)).convert("CMYK").save(GOOD / "astronaut-cmyk.jpg", quality=85)
    chelsea.resize((150, 100)).save(GOOD / "chelsea.tiff", compression="tiff_deflate")

    # Hostile: a truncated JPEG, and a PNG whose header declares 19000 x 19000 pixels (361 MP,
    # 1.4 GB as RGBA) with only a few bytes of data behind it: a decompression bomb's header.
    buffer = io.BytesIO()
    astronaut.save(buffer, format="JPEG", quality=85)
    (BAD / "corrupt.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    (BAD / "bomb.png").write_bytes(png_with_header(19_000, 19_000))
    (BAD / "not-an-image.jpg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>\n")

    for path in sorted(ROOT.rglob("*.*")):
        if path.suffix != ".md":
            print(f"{path.relative_to(ROOT)}: {os.path.getsize(path)} bytes")


def png_with_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    main()
