#!/usr/bin/env python3
"""Regenerates samples/corpus/: hostile and odd inputs, each with the outcome the function must
produce, listed in samples/corpus/cases.json. The files are committed (small; this script
documents how they were made; it needs Pillow). The test
modules/application/tests/hostile_corpus.rs sends every case through the Lambda handler.

A case: {"key": S3 key, "file": name under samples/corpus or null (object absent: deleted
before the function reads it), "declared_size": size in the event if not the file's,
"status": "complete"|"failed", "kinds": accepted failure kinds, "size": [w, h] of the largest
rendition when the image must come out at a known size}.
"""
import io
import json
import os
import random
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent / "samples"
OUT = ROOT / "corpus"
# The test's renditions: the largest one decides the expected size.
RENDITION_BOX = 64


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with one tiny compressed row: a bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_huge_header(source: bytes, width: int, height: int) -> bytes:
    """A real JPEG with its SOF0 frame size rewritten to width x height."""
    data = bytearray(source)
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        i += 2 + length
    raise ValueError("no SOF marker")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A drawn test picture with distinct corners, so orientation mistakes change pixels."""
    image = Image.new("RGB", (width, height), (230, 230, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height // 3), fill=(220, 30, 30))
    draw.ellipse((width // 3, height // 3, width - 1, height - 1), fill=(30, 60, 200))
    return image.convert(mode)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    cases = []

    def add(name, data, status, kinds=(), size=None, key=None, declared_size=None):
        if data is not None:
            (OUT / name).write_bytes(data)
        case = {"key": key or f"corpus/{name}", "file": name if data is not None else None,
                "status": status, "kinds": list(kinds)}
        if size:
            case["size"] = list(size)
        if declared_size is not None:
            case["declared_size"] = declared_size
        cases.append(case)

    base = picture(96, 64)
    jpeg = encode(base, "JPEG", quality=90)
    png = encode(base, "PNG")
    webp = encode(base, "WEBP", quality=80)
    rng = random.Random(20261123)

    # Empty, random, truncated.
    add("empty.jpg", b"", "failed", ["empty"])
    add("random.bin", bytes(rng.getrandbits(8) for _ in range(4096)), "failed", ["unsupported_format"])
    add("random-with-jpeg-magic.jpg", b"\xff\xd8\xff\xe0" + bytes(rng.getrandbits(8) for _ in range(4096)),
        "failed", ["corrupt"])
    add("truncated.jpg", jpeg[: len(jpeg) // 2], "failed", ["corrupt"])
    add("truncated.png", png[: len(png) // 2], "failed", ["corrupt"])
    add("truncated.webp", webp[: len(webp) // 2], "failed", ["corrupt"])
    add("header-only.png", png[:33], "failed", ["corrupt"])
    # Wrong extension: the format comes from the bytes.
    add("png-named.jpg", png, "complete", size=(64, 43))
    add("jpeg-named.png", jpeg, "complete", size=(64, 43))
    # Decompression bombs: huge declared dimensions, tiny files.
    add("bomb-100k.png", png_header_only(100_000, 100_000), "failed", ["dimensions_too_large", "too_many_pixels"])
    add("bomb-pixels.png", png_header_only(15_000, 15_000), "failed", ["too_many_pixels", "decode_memory"])
    add("bomb.jpg", jpeg_huge_header(jpeg, 60_000, 60_000), "failed", ["dimensions_too_large", "too_many_pixels"])
    # Over the byte limit, told by the event's size: refused before any read (the object is
    # absent, so a read would say source_unreadable instead).
    add("over-limit.jpg", None, "failed", ["too_many_bytes"], declared_size=200 * 1024 * 1024)
    # Extreme aspect ratios.
    add("line-1x20000.png", encode(Image.new("RGB", (1, 20_000), (10, 200, 10)), "PNG"), "complete", size=(1, 64))
    add("line-20000x1.png", encode(Image.new("RGB", (20_000, 1), (10, 200, 10)), "PNG"), "complete", size=(64, 1))
    # Colour types.
    sixteen = Image.new("I;16", (96, 64))
    sixteen.putdata([(x * 683) % 65536 for _ in range(64) for x in range(96)])
    add("grey-16bit.png", encode(sixteen, "PNG"), "complete", size=(64, 43))
    add("rgb-48bit.png", encode_rgb48(96, 64), "complete", size=(64, 43))
    add("cmyk.jpg", encode(base.convert("CMYK"), "JPEG", quality=90), "complete", size=(64, 43))
    add("grey.jpg", encode(base.convert("L"), "JPEG", quality=90), "complete", size=(64, 43))
    add("grey-alpha.png", encode(base.convert("LA"), "PNG"), "complete", size=(64, 43))
    palette = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    add("palette-transparent.png", encode(palette, "PNG", transparency=0), "complete", size=(64, 43))
    add("rgba.webp", encode(base.convert("RGBA"), "WEBP", lossless=True), "complete", size=(64, 43))
    frames = [picture(96, 64), picture(96, 64).transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    add("animated.gif", encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "complete", size=(64, 43))
    add("image.tiff", encode(base, "TIFF", compression="tiff_deflate"), "complete", size=(64, 43))
    # All eight EXIF orientations of a 96x64 picture: 5-8 turn it to 64x96.
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        size = (64, 43) if orientation <= 4 else (43, 64)
        add(f"orientation-{orientation}.jpg", encode(base, "JPEG", quality=90, exif=exif.tobytes()),
            "complete", size=size)
    # Huge metadata blocks.
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription: a 60 KB APP1 segment
    add("huge-exif.jpg", encode(base, "JPEG", quality=90, exif=exif.tobytes()), "complete", size=(64, 43))
    add("huge-icc.png", encode(base, "PNG", icc_profile=bytes(rng.getrandbits(8) for _ in range(200_000))),
        "complete", size=(64, 43))
    # Not images, named as one.
    add("drawing.svg.jpg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
        "failed", ["unsupported_format"])
    add("page.html.jpg", b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
        "failed", ["unsupported_format"])
    add("script.sh.png", b"#!/bin/sh\nrm -rf /\n", "failed", ["unsupported_format"])
    # Keys that need decoding, and a very long one (S3 allows 1024 bytes).
    add("spaces.jpg", jpeg, "complete", size=(64, 43), key="corpus/with spaces/a b.jpg")
    add("plus.jpg", jpeg, "complete", size=(64, 43), key="corpus/a+b=c.jpg")
    add("percent.jpg", jpeg, "complete", size=(64, 43), key="corpus/100% real %41.jpg")
    add("unicode.jpg", jpeg, "complete", size=(64, 43), key="corpus/фото/照片 🎉.jpg")
    add("long-key.jpg", jpeg, "complete", size=(64, 43), key="corpus/" + "long-segment/" * 77 + "x.jpg")
    # Deleted before the function reads it.
    add("deleted.jpg", None, "failed", ["source_unreadable"], key="corpus/deleted-before-read.jpg")

    (OUT / "cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases, {sum(1 for c in cases if c['file'])} files in {OUT}")


def encode_rgb48(width: int, height: int) -> bytes:
    """An RGB PNG with 16 bits per channel (Pillow cannot write one), built by hand."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack(">HHH", x * 680, y * 1000, 30000) for x in range(width))
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(rows))
            + png_chunk(b"IEND", b""))


if __name__ == "__main__":
    main()
