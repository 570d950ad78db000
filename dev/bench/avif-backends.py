#!/usr/bin/env python3
"""The two AVIF backends of imagepipe-core side by side: ravif (rav1e) at several speeds and
libaom (the `aom` feature, through libavif) at its fast presets, on real photographs resized to the
default 1600x1600 display rendition, at SSIMULACRA2 matched to ravif's defaults.

For each photograph the target is the score of EncoderSettings::default() (ravif, quality 70,
speed 9, 8-bit). Every other setting's quality is searched until its score is within one point of
it (dev/bench/encoders.py's search), then all settings are timed REPEATS times interleaved, one
thread each, pinned to one core; CPU s/MP is the encoding process's user + system time (getrusage)
per megapixel, the median of the repeats. Bytes and CPU are given relative to ravif's defaults.

Usage: avif-backends.py [--repeats N] [--json FILE]
Builds imagepipe-bench with `--features aom` (release profile); photos from dev/bench/photos.py.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIDE = 1600
RAVIF_DEFAULT = {"name": "ravif speed 9 (default)", "encoder": "ravif", "speed": 9}
SETTINGS = [RAVIF_DEFAULT] + [
    {"name": f"ravif speed {speed}", "encoder": "ravif", "speed": speed} for speed in (6, 8, 10)
] + [{"name": f"aom cpu-used {speed}", "encoder": "aom", "speed": speed} for speed in (6, 7, 8, 9)]


def load_encoders_module():
    spec = importlib.util.spec_from_file_location("encoders", ROOT / "dev" / "bench" / "encoders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_bench():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "imagepipe-bench", "--features", "aom"],
                   cwd=ROOT, check=True)
    binary = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "imagepipe-bench"
    if not binary.exists():
        sys.exit(f"avif-backends: {binary} was not built")
    return binary


def display_renditions(work):
    from PIL import Image

    directory = Path(subprocess.run([sys.executable, str(ROOT / "dev" / "bench" / "photos.py")],
                                    capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    photos = {}
    for name in ("photo-2mp", "photo-12mp"):
        image = Image.open(directory / f"{name}.png").convert("RGB")
        image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        path = work / f"{name}-display.png"
        image.save(path)
        photos[f"{name} -> {image.width}x{image.height}"] = (path, image.width * image.height / 1e6)
    return photos


class BackendRunner:
    def __init__(self, encoders, bench, work):
        self.inner = encoders.Runner(bench, None, work)
        self.bench = bench
        self.work = work
        self.counter = 0

    def encode(self, setting, quality, photo, threads):
        self.counter += 1
        output = self.work / f"out-{self.counter}.avif"
        command = [str(self.bench), "encode", "--input", str(photo), "--output", str(output),
                   "--quality", str(quality), "--speed", str(setting["speed"]), "--depth", "8",
                   "--threads", str(threads), "--encoder", setting["encoder"]]
        measured = self.inner.run_measured(command, threads)
        inner = json.loads(measured.pop("stdout").strip().splitlines()[-1])
        measured["encode_s"] = inner["encode_s"]
        measured["bytes"] = output.stat().st_size
        return measured, output

    def score(self, reference, avif):
        return self.inner.score(reference, avif)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    encoders = load_encoders_module()
    encoders.require_avif_tools()
    bench = build_bench()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        runner = BackendRunner(encoders, bench, work)
        for label, (photo, megapixels) in display_renditions(work).items():
            _, avif = runner.encode(RAVIF_DEFAULT, 70, photo, 1)
            target = runner.score(photo, avif)
            matched = []
            for setting in SETTINGS:
                knob = {**setting, "knob": (1, 100), "higher_is_better": True}
                if setting is RAVIF_DEFAULT:
                    quality, score = 70, target
                else:
                    quality, score, _ = encoders.find_quality(runner, knob, photo, target, 1, 70)
                matched.append({**setting, "quality": quality, "ssimulacra2": score})
                print(f"{label}: {setting['name']} quality {quality} -> {score:.2f} (target {target:.2f})",
                      file=sys.stderr, flush=True)
            samples = {index: [] for index in range(len(matched))}
            for _ in range(args.repeats):
                for index, setting in enumerate(matched):
                    measured, avif = runner.encode(setting, setting["quality"], photo, 1)
                    avif.unlink()
                    samples[index].append(measured)
            base = None
            for index, setting in enumerate(matched):
                cpu = statistics.median(run["cpu_s"] for run in samples[index]) / megapixels
                row = {"photo": label, "megapixels": round(megapixels, 3), **setting,
                       "bytes": samples[index][0]["bytes"], "cpu_s_per_mp": cpu,
                       "peak_rss_mb": statistics.median(run["peak_rss_mb"] for run in samples[index])}
                base = base or row
                row["bytes_vs_default"] = row["bytes"] / base["bytes"]
                row["cpu_vs_default"] = cpu / base["cpu_s_per_mp"]
                rows.append(row)
    load_after = os.getloadavg()
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"{args.repeats} interleaved repeats, 1 thread, median CPU")
    print("| photo | setting | quality | SSIMULACRA2 | bytes | x default | CPU s/MP | x default | peak RSS MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['photo']} | {r['name']} | {r['quality']} | {r['ssimulacra2']:.2f} | {r['bytes']} | "
              f"{r['bytes_vs_default']:.2f} | {r['cpu_s_per_mp']:.3f} | {r['cpu_vs_default']:.2f} | "
              f"{r['peak_rss_mb']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"load": [load_before, load_after], "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
