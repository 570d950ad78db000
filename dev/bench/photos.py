#!/usr/bin/env python3
"""Fetches the benchmark photographs at run time (none is committed: their licences are their
authors', and a package registry keeps them reproducible) and writes each as an 8-bit RGB PNG of
the size the benchmarks name, so every encoder starts from the same pixels.

  photo-0.3mp  scikit-image's astronaut.png, 512 x 512 (NASA, public domain), from PyPI
  photo-2mp    Debian mate-backgrounds nature/RainDrops.jpg, 1920 x 1200, a camera photograph
               (GPL-2+, "blackcombwhistler07")
  photo-12mp   Debian mate-backgrounds abstract/Elephants_5640x3172.jpg, a camera photograph of a
               painting on canvas (GPL-2+, Wyng Stancikaite), centre crop 4000 x 3000
  rendition-*  the encoder frontier's set (encoders.py): Debian mate-backgrounds' nature camera
               photographs (GPL-2+) RainDrops, Blinds, Storm, Wood and Dune, resized (Lanczos)
               to fit the function's default display rendition, 1600 x 1600, as the encoder sees them

Usage: photos.py [--dir DIR]    prints DIR; DIR defaults to ~/.cache/imagepipe-bench/photos
Needs Pillow, pip (PyPI) and apt-get (Debian's archive, `apt-get download` needs no root).
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SKIMAGE = "scikit-image==0.25.2"
MATE_PACKAGE = "mate-backgrounds"
# In the order the encoder benchmark takes them (it may use only the first few).
RENDITION_PHOTOS = ["RainDrops", "Blinds", "Storm", "Wood", "Dune"]
RENDITION_BOX = (1600, 1600)


def die(message):
    sys.exit(f"photos: {message}")


def skimage_file(work, name):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(work), SKIMAGE],
        check=True,
    )
    wheel = next(work.glob("scikit_image-*.whl"), None) or die("the scikit-image wheel did not download")
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"skimage/data/{name}")


def mate_files(work, names):
    if subprocess.run(["which", "apt-get"], capture_output=True).returncode != 0:
        die("apt-get is needed to fetch Debian's mate-backgrounds package")
    subprocess.run(["apt-get", "download", "-q", MATE_PACKAGE], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    deb = next(work.glob(f"{MATE_PACKAGE}_*.deb"), None) or die(f"{MATE_PACKAGE} did not download")
    unpacked = work / "deb"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    base = unpacked / "usr/share/backgrounds/mate"
    return {name: (base / name).read_bytes() for name in names}


def rendition_names():
    return [f"rendition-{name}.png" for name in RENDITION_PHOTOS]


def centre_crop(image, width, height):
    left = (image.width - width) // 2
    top = (image.height - height) // 2
    return image.crop((left, top, left + width, top + height))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path.home() / ".cache/imagepipe-bench/photos")
    out = parser.parse_args().dir
    wanted = ["photo-0.3mp.png", "photo-2mp.png", "photo-12mp.png"] + rendition_names()
    if all((out / name).is_file() for name in wanted):
        print(out)
        return
    try:
        from PIL import Image, ImageOps
    except ImportError:
        die("Pillow is needed: python3 -m pip install Pillow")
    Image.MAX_IMAGE_PIXELS = None  # the 12 MP source is 17.9 MP: trusted, and larger than Pillow's guard
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        mate = mate_files(work, ["nature/RainDrops.jpg", "abstract/Elephants_5640x3172.jpg"]
                          + [f"nature/{name}.jpg" for name in RENDITION_PHOTOS])
        sources = {
            "photo-0.3mp.png": (skimage_file(work, "astronaut.png"), None),
            "photo-2mp.png": (mate["nature/RainDrops.jpg"], None),
            "photo-12mp.png": (mate["abstract/Elephants_5640x3172.jpg"], (4000, 3000)),
        }
        for name in RENDITION_PHOTOS:
            sources[f"rendition-{name}.png"] = (mate[f"nature/{name}.jpg"], RENDITION_BOX)
        for name, (data, box) in sources.items():
            image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
            if name.startswith("rendition-"):
                image.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=None)
            elif box:
                image = centre_crop(image, *box)
            partial = out / f".{name}.partial"
            image.save(partial, format="PNG")
            os.replace(partial, out / name)
            print(f"photos: {name} {image.width}x{image.height}", file=sys.stderr)
    print(out)


if __name__ == "__main__":
    main()
