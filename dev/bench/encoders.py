#!/usr/bin/env python3
"""AVIF encoder benchmark: the whole speed/size frontier of imagepipe's encoder (ravif) and of the
peers users would pick, on real camera photographs at matched quality.

  ravif    imagepipe-core's EncoderSettings through `imagepipe-bench encode`: speeds 1-10 at 8
           and 10 bit (backend rav1e; a second backend would be one more family here).
  sharp    npm `sharp` (libvips + libheif + libaom), what the AWS serverless image handler uses
           on Node.js Lambda: efforts 0-9 (default 4).
  Pillow   PyPI `Pillow` (its wheels bundle libavif + aom), what a Python function would use:
           speeds 0-10 (default 6), Pillow's default 4:2:0.
  avifenc  Debian `libavif-bin` with libaom (`-c aom`), constant-quality mode, a few speeds.

Photographs: Debian mate-backgrounds' nature camera photographs resized to fit the function's
display rendition, 1600 x 1600 (photos.py), as the encoder sees them in the pipeline.

The reference is imagepipe's default (ravif speed 9, 8-bit, quality 70). On each photo its
SSIMULACRA2 score is the target; every other setting's quality knob is searched (a step towards
the target until it is bracketed, then bisection by interpolation) until its score is within
TOLERANCE of it. Then all matched settings of a photo are encoded in interleaved rounds (A, B, C,
A, B, C) so a burst of load from other processes hits every encoder alike, and the median CPU
time is kept. CPU is the encode alone where the tool lets us take it in-process (ravif: the
process CPU clock around the encode; sharp: process.cpuUsage(); Pillow: time.process_time(), each
covering every thread), the whole process for avifenc (which includes its PNG read). Every AVIF
is decoded by avifdec and scored by the same code (`imagepipe-bench score`, the `ssimulacra2`
crate). Every encoder is told THREADS threads and pinned to that many cores.

Settings slower than SLOW_CPU_S_PER_MP on the first photo (except each family's default) are
measured on the first photo only, with one timing run; the report says which. Results are written
after every photo, so an interrupted run leaves the photos it finished.

Usage: encoders.py [--out DIR] [--smoke] [--photos N] [--repeats N] [--render JSON]
  --out DIR    where encoders.json, encoders.md and encoders-frontier.svg go (default docs/bench)
  --smoke      one small photo, a few settings, one round; asserts the harness works (exit 1 if any
               encoder fails or a score is not matched), not speeds. Writes nothing unless --out.
  --photos N   how many of the rendition photographs (default 3)
  --repeats N  timing rounds per photo (default 2; 1 with --smoke)
  --render J   only rewrite encoders.md and the SVG in --out from a results JSON
Installs sharp (pinned) with npm into ~/.cache/imagepipe-bench/node and Pillow (pinned) with pip
into ~/.cache/imagepipe-bench/pillow-VERSION, builds imagepipe-bench with cargo (release profile,
as shipped); installs avifenc/avifdec with apt-get (libavif-bin) when root, else fails.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARP_VERSION = "0.35.5"
PILLOW_VERSION = "13.0.0"
THREADS = 2  # a Lambda function at the default memory has 2 vCPUs; the encoder's default uses all
TOLERANCE = 1.0
# imagepipe-core's EncoderSettings::default(): the reference every other setting is matched to.
DEFAULT_QUALITY = 70
DEFAULT_SPEED = 9
DEFAULT_DEPTH = 8
SHARP_DEFAULT_EFFORT = 4
PILLOW_DEFAULT_SPEED = 6
AVIFENC_DEFAULT_SPEED = 6
AVIFENC_SPEEDS = [4, 6, 8, 10]
# Settings slower than this on the first photo (CPU s/MP) are measured there only, one timing
# run each, and their search stops at TOLERANCE instead of half of it; every family's default
# preset is measured on every photo whatever its speed.
SLOW_CPU_S_PER_MP = 4.0
MAX_PROBES = 7
SMOKE_PHOTO_SOURCE = "1 photograph (scikit-image's astronaut, the smoke run's), at its own size"
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "imagepipe-bench"
FAMILIES = ["ravif", "sharp", "pillow", "avifenc"]
# The AV1 encoder inside each family; imagepipe's is the Cargo-selected backend of core.
BACKEND = {"ravif": "rav1e", "sharp": "libaom", "pillow": "libaom", "avifenc": "libaom"}
FAMILY_LABEL = {"ravif": "imagepipe (ravif)", "sharp": "sharp", "pillow": "Pillow", "avifenc": "avifenc"}

sys.path.insert(0, str(HERE))
import photos as photo_set  # noqa: E402


def die(message):
    sys.exit(f"encoders: {message}")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Tools


def require_avif_tools():
    missing = [tool for tool in ("avifenc", "avifdec") if shutil.which(tool) is None]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing libavif-bin with apt-get")
        subprocess.run(["apt-get", "install", "-y", "-q", "libavif-bin"], check=True)
        missing = [tool for tool in ("avifenc", "avifdec") if shutil.which(tool) is None]
    if missing:
        die(f"{', '.join(missing)} not found: install Debian's libavif-bin (apt-get install libavif-bin)")
    version = subprocess.run(["avifenc", "--version"], capture_output=True, text=True).stdout
    line = version.splitlines()[0].strip() if version else "unknown"
    aom = next((part.split(":", 1)[1].split(",")[0].strip(" v)") for part in line.split("aom ")[1:]
                if "[enc" in part), "unknown") if "aom " in line else "unknown"
    return line, aom


def install_sharp():
    node_dir = CACHE / "node"
    if shutil.which("node") is None or shutil.which("npm") is None:
        die("node and npm are needed for sharp (apt-get install nodejs npm)")
    package = node_dir / "node_modules" / "sharp" / "package.json"
    if not package.exists() or json.loads(package.read_text())["version"] != SHARP_VERSION:
        log(f"installing sharp@{SHARP_VERSION} into {node_dir}")
        node_dir.mkdir(parents=True, exist_ok=True)
        (node_dir / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--no-save", f"sharp@{SHARP_VERSION}"],
            cwd=node_dir, check=True,
        )
    versions = subprocess.run(
        ["node", "-e", "console.log(JSON.stringify(require('sharp').versions))"],
        env={**os.environ, "NODE_PATH": str(node_dir / "node_modules")},
        capture_output=True, text=True, check=True,
    ).stdout
    return node_dir / "node_modules", json.loads(versions)


PILLOW_PROBE = """
import json, PIL
from PIL import features, _avif
print(json.dumps({"version": PIL.__version__, "avif": features.check("avif"),
                  "libavif": _avif.libavif_version, "codecs": _avif.codec_versions(),
                  "aom": _avif.encoder_codec_available("aom")}))
"""


def install_pillow():
    """Pillow at the pinned version in a directory of its own (whatever Pillow the machine has),
    its wheel's libavif and aom inside; the encode script runs with it on PYTHONPATH."""
    target = CACHE / f"pillow-{PILLOW_VERSION}"
    env = {**os.environ, "PYTHONPATH": str(target)}

    def probe():
        result = subprocess.run([sys.executable, "-c", PILLOW_PROBE], env=env, capture_output=True, text=True)
        return json.loads(result.stdout) if result.returncode == 0 else None

    found = probe() if (target / "PIL").is_dir() else None
    if not found or found["version"] != PILLOW_VERSION:
        log(f"installing Pillow=={PILLOW_VERSION} into {target}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade",
                        "--only-binary=:all:", "--target", str(target), f"Pillow=={PILLOW_VERSION}"], check=True)
        found = probe()
    if not found or found["version"] != PILLOW_VERSION:
        die(f"Pillow {PILLOW_VERSION} did not install into {target}")
    if not found["avif"] or not found["aom"]:
        die(f"Pillow {PILLOW_VERSION}'s wheel has no AVIF encoder with aom on this platform: {found}")
    aom = next((c.split(":", 1)[1].strip() for c in found["codecs"].split(", ") if c.startswith("aom")), "unknown")
    return env, {"pillow": found["version"], "libavif": found["libavif"], "aom": aom}


def build_bench():
    if shutil.which("cargo") is None:
        die("cargo not found (install Rust with rustup)")
    log("building imagepipe-bench (release profile)")
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", "imagepipe-bench"], cwd=ROOT, check=True
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "release" / "imagepipe-bench"
    if not binary.exists():
        die(f"{binary} was not built")
    return binary, rav1e_asm_cfg(target), rav1e_version()


def rav1e_asm_cfg(target):
    """rav1e's build script prints `cargo:rustc-cfg=nasm_x86_64` (or `asm_neon`) when the
    assembly is built in; without it the encoder silently runs its Rust fallbacks."""
    found = set()
    for output in (target / "release" / "build").glob("rav1e-*/output"):
        for line in output.read_text(errors="replace").splitlines():
            for cfg in ("nasm_x86_64", "asm_neon"):
                if f"rustc-cfg={cfg}" in line:
                    found.add(cfg)
    return sorted(found)


def rav1e_version():
    lock = (ROOT / "Cargo.lock").read_text().split("[[package]]")
    versions = {}
    for block in lock:
        fields = dict(line.split(" = ", 1) for line in block.strip().splitlines() if " = " in line)
        versions[fields.get("name", "").strip('"')] = fields.get("version", "").strip('"')
    return versions.get("ravif", "?"), versions.get("rav1e", "?")


def png_megapixels(path):
    with open(path, "rb") as png:
        header = png.read(24)
    return int.from_bytes(header[16:20], "big") * int.from_bytes(header[20:24], "big") / 1e6


# ---------------------------------------------------------------------------------------------
# Settings


def setting(family, preset, **extra):
    if family == "ravif":
        name = f"ravif speed {preset} {extra['depth']}-bit"
        knob, higher = (1, 100), True
        default = (preset, extra["depth"]) == (DEFAULT_SPEED, DEFAULT_DEPTH)
    elif family == "sharp":
        name, knob, higher, default = f"sharp effort {preset}", (1, 100), True, preset == SHARP_DEFAULT_EFFORT
    elif family == "pillow":
        name, knob, higher, default = f"Pillow speed {preset}", (0, 100), True, preset == PILLOW_DEFAULT_SPEED
    elif family == "avifenc":
        name, knob, higher, default = f"avifenc speed {preset}", (0, 63), False, preset == AVIFENC_DEFAULT_SPEED
    else:
        raise ValueError(family)
    return {"name": name, "family": family, "preset": preset, "depth": extra.get("depth", 8),
            "knob": knob, "higher_is_better": higher, "default": default}


def reference_setting():
    return setting("ravif", DEFAULT_SPEED, depth=DEFAULT_DEPTH)


def settings_grid(smoke):
    """Every setting but the reference, each family from its fastest preset to its slowest, so
    each search starts from the quality its faster neighbour matched at."""
    if smoke:
        return [setting("ravif", 10, depth=8), setting("sharp", SHARP_DEFAULT_EFFORT),
                setting("pillow", PILLOW_DEFAULT_SPEED), setting("avifenc", AVIFENC_DEFAULT_SPEED)]
    grid = []
    for depth in (8, 10):
        grid += [setting("ravif", speed, depth=depth) for speed in range(10, 0, -1)
                 if (speed, depth) != (DEFAULT_SPEED, DEFAULT_DEPTH)]
    grid += [setting("sharp", effort) for effort in range(0, 10)]
    grid += [setting("pillow", speed) for speed in range(10, -1, -1)]
    grid += [setting("avifenc", speed) for speed in sorted(AVIFENC_SPEEDS, reverse=True)]
    return grid


# ---------------------------------------------------------------------------------------------
# Running one encode


class Runner:
    def __init__(self, bench, node_modules, pillow_env, work):
        self.bench = bench
        self.node_modules = node_modules
        self.pillow_env = pillow_env
        self.work = work
        self.counter = 0
        self.cores = sorted(os.sched_getaffinity(0))[:THREADS]

    def run(self, command):
        process = subprocess.run(command, capture_output=True)
        if process.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({process.returncode}): {process.stderr.decode(errors='replace')[-800:]}")
        return process.stdout.decode()

    def run_measured(self, command, env=None):
        """One child pinned to THREADS cores; its whole-process CPU and peak RSS from wait4."""
        cores = self.cores
        pid = os.fork()
        if pid == 0:
            try:
                os.sched_setaffinity(0, cores)
                out = os.open(self.work / "child.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                err = os.open(self.work / "child.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(out, 1)
                os.dup2(err, 2)
                os.execvpe(command[0], command, env or os.environ)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        stdout = (self.work / "child.out").read_text()
        if os.waitstatus_to_exitcode(status) != 0:
            stderr = (self.work / "child.err").read_text(errors="replace")
            raise RuntimeError(f"{command[0]} failed ({status}): {stderr[-800:]}")
        return stdout, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024

    def encode(self, entry, quality, photo):
        """Encodes `photo`; returns {cpu_s, cpu_basis, bytes, peak_rss_mb} and the AVIF's path."""
        self.counter += 1
        output = self.work / f"out-{self.counter}.avif"
        family = entry["family"]
        env = None
        if family == "ravif":
            command = [str(self.bench), "encode", "--input", str(photo), "--output", str(output),
                       "--quality", str(quality), "--speed", str(entry["preset"]),
                       "--depth", str(entry["depth"]), "--threads", str(THREADS)]
        elif family == "sharp":
            command = ["node", str(HERE / "sharp-encode.js"), str(photo), str(output), str(quality),
                       str(entry["preset"]), str(THREADS)]
            env = {**os.environ, "NODE_PATH": str(self.node_modules)}
        elif family == "pillow":
            command = [sys.executable, str(HERE / "pillow-encode.py"), str(photo), str(output),
                       str(quality), str(entry["preset"]), str(THREADS)]
            env = self.pillow_env
        elif family == "avifenc":
            command = ["avifenc", "-c", "aom", "-s", str(entry["preset"]), "-j", str(THREADS),
                       "--min", "0", "--max", "63", "-a", "end-usage=q", "-a", f"cq-level={quality}",
                       str(photo), str(output)]
        else:
            raise ValueError(family)
        stdout, process_cpu_s, peak_rss_mb = self.run_measured(command, env)
        if family == "avifenc":
            cpu_s, basis = process_cpu_s, "process"
        else:
            cpu_s, basis = json.loads(stdout.strip().splitlines()[-1])["encode_cpu_s"], "encode"
        return {"cpu_s": cpu_s, "cpu_basis": basis, "bytes": output.stat().st_size,
                "peak_rss_mb": peak_rss_mb}, output

    def score(self, reference, avif):
        decoded = avif.with_suffix(".png")
        self.run(["avifdec", str(avif), str(decoded)])
        stdout = self.run([str(self.bench), "score", "--reference", str(reference), "--distorted", str(decoded)])
        decoded.unlink()
        return json.loads(stdout.strip().splitlines()[-1])["ssimulacra2"]


def find_quality(runner, entry, photo, target, guess):
    """Integer search on the encoder's quality knob for the score closest to `target`: a step of
    8 from `guess` until the target is bracketed, then interpolation inside the bracket (a
    bisection that splits where the scores say the target is). Returns the knob, its score, its
    measurement and the number of probes."""
    low, high = entry["knob"]
    span = high - low
    # u runs the way the score does: u = 0 is the worst quality, u = span the best.
    to_knob = (lambda u: low + u) if entry["higher_is_better"] else (lambda u: high - u)
    from_knob = (lambda k: k - low) if entry["higher_is_better"] else (lambda k: high - k)
    probes = {}
    below = above = None  # u values known to score below / at-or-above the target
    u = min(max(from_knob(int(round(guess))), 0), span)
    while len(probes) < MAX_PROBES:
        measured, avif = runner.encode(entry, to_knob(u), photo)
        score = runner.score(photo, avif)
        avif.unlink()
        probes[u] = (score, measured)
        slow = measured["cpu_s"] / png_megapixels(photo) > SLOW_CPU_S_PER_MP
        if abs(score - target) <= (TOLERANCE if slow else TOLERANCE / 2):
            break
        if score < target:
            below = u
        else:
            above = u
        if below is not None and above is not None:
            if above - below <= 1:
                break
            s_below, s_above = probes[below][0], probes[above][0]
            guess_u = below + (target - s_below) / max(s_above - s_below, 1e-9) * (above - below)
            u = min(max(int(round(guess_u)), below + 1), above - 1)
        elif score < target:
            u = min(u + 8, span)
        else:
            u = max(u - 8, 0)
        if u in probes:
            break
    best = min(probes, key=lambda k: abs(probes[k][0] - target))
    return to_knob(best), probes[best][0], probes[best][1], len(probes)


# ---------------------------------------------------------------------------------------------
# The benchmark


def run_photo(runner, photo, grid, repeats, slow, first, guesses):
    """Matches every setting of `grid` to the reference's score on `photo`, then times them all
    in interleaved rounds. `slow` collects (on the first photo) the settings measured only there."""
    megapixels = png_megapixels(photo)
    reference = reference_setting()
    measured, avif = runner.encode(reference, DEFAULT_QUALITY, photo)
    target = runner.score(photo, avif)
    avif.unlink()
    log(f"{photo.name}: reference {reference['name']} quality {DEFAULT_QUALITY} -> SSIMULACRA2 {target:.2f}")
    matched = [{**reference, "quality": DEFAULT_QUALITY, "ssimulacra2": target, "probes": 1,
                "search_bytes": measured["bytes"]}]
    last_in_family = {"ravif": DEFAULT_QUALITY}
    for entry in grid:
        if not first and entry["name"] in slow:
            continue
        guess = guesses.get(entry["name"], last_in_family.get(
            (entry["family"], entry["depth"]), last_in_family.get(entry["family"], 25 if entry["family"] == "avifenc" else 60)))
        knob, score, probe, probes = find_quality(runner, entry, photo, target, guess)
        guesses[entry["name"]] = knob
        last_in_family[entry["family"]] = last_in_family[(entry["family"], entry["depth"])] = knob
        if first and not entry["default"] and probe["cpu_s"] / megapixels > SLOW_CPU_S_PER_MP:
            slow.add(entry["name"])
        matched.append({**entry, "quality": knob, "ssimulacra2": score, "probes": probes,
                        "search_bytes": probe["bytes"]})
        log(f"  {entry['name']}: quality {knob} -> {score:.2f} ({probes} probes, "
            f"{probe['cpu_s'] / megapixels:.2f} CPU s/MP{', slow' if entry['name'] in slow else ''})")

    samples = {index: [] for index in range(len(matched))}
    for repeat in range(repeats):
        log(f"{photo.name}: timing round {repeat + 1}/{repeats}")
        for index, entry in enumerate(matched):
            if repeat > 0 and entry["name"] in slow:
                continue
            measured, avif = runner.encode(entry, entry["quality"], photo)
            if measured["bytes"] != entry["search_bytes"]:
                # Not the output the search scored (a non-deterministic encoder): score this one.
                entry["ssimulacra2"] = runner.score(photo, avif)
                entry["search_bytes"] = measured["bytes"]
            avif.unlink()
            samples[index].append(measured)
    rows = []
    for index, entry in enumerate(matched):
        runs = samples[index]
        rows.append({
            "photo": photo.stem.removeprefix("rendition-"), "megapixels": round(megapixels, 3),
            "name": entry["name"], "family": entry["family"], "backend": BACKEND[entry["family"]],
            "preset": entry["preset"], "depth": entry["depth"], "default": entry["default"], "quality": entry["quality"],
            "ssimulacra2": round(entry["ssimulacra2"], 2), "target": round(target, 2),
            "matched": abs(entry["ssimulacra2"] - target) <= TOLERANCE, "probes": entry["probes"],
            "bytes": runs[-1]["bytes"], "cpu_basis": runs[0]["cpu_basis"],
            "cpu_s_per_mp": statistics.median(run["cpu_s"] for run in runs) / megapixels,
            "cpu_s_per_mp_runs": [round(run["cpu_s"] / megapixels, 4) for run in runs],
            "peak_rss_mb": statistics.median(run["peak_rss_mb"] for run in runs),
            "runs": len(runs),
        })
    return rows


def with_ratios(rows):
    """Bytes and CPU against the reference (imagepipe's default) on the same photo."""
    reference = {r["photo"]: r for r in rows if r["family"] == "ravif" and r["default"]}
    for row in rows:
        base = reference[row["photo"]]
        row["bytes_vs_default"] = row["bytes"] / base["bytes"]
        row["cpu_vs_default"] = row["cpu_s_per_mp"] / base["cpu_s_per_mp"]
    return rows


def summarise(rows, photo_count):
    """One line per setting: medians over the photos it was measured on."""
    summary = []
    for name in dict.fromkeys(r["name"] for r in rows):
        mine = [r for r in rows if r["name"] == name]
        first = mine[0]
        summary.append({
            "name": name, "family": first["family"], "backend": first.get("backend", BACKEND[first["family"]]),
            "preset": first["preset"], "depth": first["depth"],
            "default": first["default"], "photos": len(mine), "all_photos": len(mine) == photo_count,
            "matched": all(r["matched"] for r in mine),
            "qualities": [r["quality"] for r in mine],
            "max_score_gap": max(abs(r["ssimulacra2"] - r["target"]) for r in mine),
            "bytes_vs_default": statistics.median(r["bytes_vs_default"] for r in mine),
            "bytes_vs_default_range": [min(r["bytes_vs_default"] for r in mine), max(r["bytes_vs_default"] for r in mine)],
            "bytes": statistics.median(r["bytes"] for r in mine),
            "cpu_s_per_mp": statistics.median(r["cpu_s_per_mp"] for r in mine),
            "cpu_vs_default": statistics.median(r["cpu_vs_default"] for r in mine),
            "cpu_vs_default_range": [min(r["cpu_vs_default"] for r in mine), max(r["cpu_vs_default"] for r in mine)],
            "cpu_basis": first["cpu_basis"],
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in mine),
        })
    pareto = pareto_set(summary)
    for entry in summary:
        entry["pareto"] = entry["name"] in pareto
        entry["dominated_by"] = [other["name"] for other in sorted(summary, key=lambda s: s["cpu_vs_default"])
                                 if other["matched"] and dominates(other, entry)]
    return summary


def dominates(a, b):
    """a is at least as small and as cheap as b, and strictly better in one (medians)."""
    return (a["bytes_vs_default"] <= b["bytes_vs_default"] and a["cpu_vs_default"] <= b["cpu_vs_default"]
            and (a["bytes_vs_default"] < b["bytes_vs_default"] or a["cpu_vs_default"] < b["cpu_vs_default"]))


def pareto_set(summary, family=None):
    pool = [s for s in summary if s["matched"] and (family is None or s["family"] == family)]
    return [s["name"] for s in sorted(pool, key=lambda s: s["cpu_vs_default"])
            if not any(dominates(other, s) for other in pool)]


def headline(summary):
    """Per peer: the preset that matches imagepipe's default bytes (median output closest to
    ours, the cheaper one on a tie) and its default preset, labelled. The ravif default is 1.00
    by construction; the figures are medians over photos."""
    lines = []
    ours = next(s for s in summary if s["family"] == "ravif" and s["default"])
    for family in FAMILIES[1:]:
        presets = [s for s in summary if s["family"] == family and s["matched"]]
        if not presets:
            continue
        match = min(presets, key=lambda s: (round(abs(math.log(s["bytes_vs_default"])), 3), s["cpu_vs_default"]))
        why = "its preset closest to our bytes"
        default = next((s for s in presets if s["default"]), None)
        for peer, label in ((match, why), (default, "its default preset")):
            if peer is None:
                continue
            lines.append({"family": family, "peer": peer["name"], "why": label, "backend": ours["backend"],
                          "ours": ours["name"], "ours_cpu_s_per_mp": ours["cpu_s_per_mp"],
                          "peer_cpu_s_per_mp": peer["cpu_s_per_mp"], "cpu_ratio": 1 / peer["cpu_vs_default"],
                          "ours_bytes": ours["bytes"], "peer_bytes": peer["bytes"],
                          "bytes_ratio": 1 / peer["bytes_vs_default"], "photos": peer["photos"]})
            if match is default:
                lines[-1]["why"] = f"{why}, also its default"
                break
    return lines


# ---------------------------------------------------------------------------------------------
# Output


def fmt_range(values, digits=2):
    low, high = values
    return f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else f"{low:.{digits}f}-{high:.{digits}f}"


def library(env, family):
    ravif, rav1e = env["ravif"]
    return {"ravif": f"rav1e {rav1e} (ravif {ravif})", "sharp": f"libaom {env['aom_in_sharp']}",
            "pillow": f"libaom {env['aom_in_pillow']}", "avifenc": f"libaom {env['aom_in_avifenc']}"}[family]


def recommendation_text(result):
    """Findings computed from the summary, so the text cannot drift from the tables."""
    summary = result["summary"]
    by_name = {s["name"]: s for s in summary}
    ours = next(s for s in summary if s["family"] == "ravif" and s["default"])
    text = []
    pareto = [by_name[n] for n in pareto_set(summary)]
    def point(s):
        photos = "" if s["all_photos"] else f", {s['photos']} photo(s)"
        return f"{s['name']} ({s['cpu_vs_default']:.2f}x the CPU, {s['bytes_vs_default']:.2f}x the bytes{photos})"

    text.append("- **Pareto set** (no other setting is both smaller and cheaper; cheapest first): "
                + "; ".join(point(s) for s in pareto) + ".")
    for index, point in enumerate(pareto):
        upper = pareto[index + 1]["cpu_vs_default"] if index + 1 < len(pareto) else None
        span = (f"from {point['cpu_vs_default']:.2f}x to {upper:.2f}x" if upper else
                f"from {point['cpu_vs_default']:.2f}x up") + " the default's CPU"
        text.append(f"  - {span}: **{point['name']}** gives the smallest output ({point['bytes_vs_default']:.2f}x).")
    if ours["dominated_by"]:
        doms = [by_name[n] for n in ours["dominated_by"]]
        text.append(f"- imagepipe's default ({ours['name']}, quality {DEFAULT_QUALITY}) is dominated by "
                    f"{len(doms)} setting(s), e.g. "
                    + "; ".join(f"{d['name']} ({d['cpu_vs_default']:.2f}x the CPU, {d['bytes_vs_default']:.2f}x the bytes)"
                                for d in doms[:4]) + ".")
    else:
        text.append(f"- imagepipe's default ({ours['name']}) is on the Pareto set.")
    own = [by_name[n] for n in pareto_set(summary, "ravif")]
    text.append("- ravif's own frontier (ravif settings no other ravif setting dominates): "
                + ", ".join(f"{s['name']} ({s['cpu_vs_default']:.2f}x, {s['bytes_vs_default']:.2f}x)" for s in own) + ".")
    pairs = []
    for speed in range(1, 11):
        eight, ten = by_name.get(f"ravif speed {speed} 8-bit"), by_name.get(f"ravif speed {speed} 10-bit")
        if eight and ten and eight["matched"] and ten["matched"]:
            pairs.append((eight["cpu_vs_default"] / ten["cpu_vs_default"], eight["bytes_vs_default"] / ten["bytes_vs_default"]))
    if pairs:
        text.append(f"- 8 vs 10 bit in ravif, same speed ({len(pairs)} speeds): 8-bit takes a median "
                    f"{statistics.median(t for t, _ in pairs):.2f}x the CPU of 10-bit for "
                    f"{statistics.median(b for _, b in pairs):.2f}x the bytes.")
    for line in result["headline"]:
        text.append(f"- {FAMILY_LABEL[line['family']]}: {line['why']} is **{line['peer']}**: imagepipe's default "
                    f"takes {line['cpu_ratio']:.2f}x its CPU for {line['bytes_ratio']:.2f}x its bytes"
                    f" ({line['photos']} photo(s)).")
    unmatched = [s["name"] for s in summary if not s["matched"]]
    if unmatched:
        text.append(f"- Not matched within {TOLERANCE} point on every photo (left out of the Pareto set): "
                    + ", ".join(unmatched) + ".")
    slow = [s for s in summary if not s["all_photos"]]
    if slow:
        text.append(f"- Measured on the first photo only (over {SLOW_CPU_S_PER_MP} CPU s/MP there, one timing "
                    "run; their ratios are that photo's): " + ", ".join(s["name"] for s in slow) + ".")
    return text


def markdown(result):
    env = result["environment"]
    photos = result["photos"]
    lines = ["## AVIF encoder frontier (matched SSIMULACRA2)", ""]
    lines += [
        f"Measured {env['date']} on {env['cpu']} ({env['cores']} cores, {env['machine']}), niced; load "
        f"average {env['load_before']} before and {env['load_after']} after; the run took "
        f"{env['duration_s'] / 60:.0f} min. Other processes shared the cores: CPU seconds (not wall) "
        f"from interleaved rounds, median of {result['repeats']} per photo, then the median over photos.",
        f"Photographs: {result.get('photo_source', 'camera photographs at 1600 px')}: "
        + ", ".join(f"{p['name']} {p['megapixels']:.2f} MP" for p in photos) + ".",
        f"Encoders: imagepipe-core (ravif {env['ravif'][0]}, rav1e {env['ravif'][1]}, assembly: "
        f"{', '.join(env['rav1e_asm']) or 'NOT BUILT IN'}); sharp {env['sharp']} (libvips {env['vips']}, libaom "
        f"{env['aom_in_sharp']}); Pillow {env['pillow']} (libavif {env['libavif_in_pillow']}, libaom "
        f"{env['aom_in_pillow']}); {env['avifenc']}.",
        "Command: `nice -n 19 python3 dev/bench/encoders.py` (full, from `dev/bench/bench.sh`), `--smoke` (CI).",
        "",
        f"Method: the reference is imagepipe's default (ravif speed {DEFAULT_SPEED}, {DEFAULT_DEPTH}-bit, quality "
        f"{DEFAULT_QUALITY}); its SSIMULACRA2 on each photo is the target, and every other setting's quality "
        f"knob was searched until its score was within {TOLERANCE} point of it (ravif, sharp and Pillow "
        "quality, avifenc cq-level). Every AVIF is decoded by avifdec and scored by the `ssimulacra2` "
        f"crate. Each encoder is told {THREADS} threads and pinned to {THREADS} cores. CPU s/MP is the "
        "encode alone for ravif, sharp and Pillow (taken in-process after the PNG decode, every thread "
        "counted), the whole process for avifenc (its PNG read included). Chroma: ravif, sharp and "
        "avifenc encode 4:4:4, Pillow its default 4:2:0. Ratios are against the reference on the same "
        "photo; \"x default\" means x imagepipe's default.",
        "",
        "### Frontier",
        "",
        "| encoder | codec (backend) | setting | photos | quality | max score gap | bytes x default | CPU s/MP | CPU x default | Pareto |",
        "|---|---|---|---:|---|---:|---|---:|---|---|",
    ]
    for family in FAMILIES:
        entries = [s for s in result["summary"] if s["family"] == family]
        entries.sort(key=lambda s: (s["depth"], s["preset"]) if family == "ravif" else (0, s["preset"]))
        for s in entries:
            label = s["name"] + (" (default)" if s["default"] else "")
            qualities = sorted(s["qualities"])
            quality = str(qualities[0]) if qualities[0] == qualities[-1] else f"{qualities[0]}-{qualities[-1]}"
            cpu = f"{s['cpu_s_per_mp']:.2f}" + (" (process)" if s["cpu_basis"] == "process" else "")
            lines.append(
                f"| {FAMILY_LABEL[family]} | {library(env, family)} | {label} | {s['photos']} | {quality} | "
                f"{s['max_score_gap']:.2f}{'' if s['matched'] else ' (not matched)'} | "
                f"{s['bytes_vs_default']:.2f} ({fmt_range(s['bytes_vs_default_range'])}) | {cpu} | "
                f"{s['cpu_vs_default']:.2f} ({fmt_range(s['cpu_vs_default_range'])}) | {'**yes**' if s['pareto'] else ''} |")
    lines += ["", "Bytes and CPU columns: median over the photos (range in brackets).", "",
              "![bytes vs CPU per megapixel, every setting, relative to imagepipe's default](encoders-frontier.svg)", "",
              "### Who dominates where", ""]
    lines += recommendation_text(result)
    lines += ["", READING, ""]
    lines += ["### Per photo", "",
              "| photo | setting | quality | SSIMULACRA2 (target) | bytes | x default | CPU s/MP (runs) | x default | peak RSS MB |",
              "|---|---|---:|---|---:|---:|---|---:|---:|"]
    for r in result["rows"]:
        runs = "/".join(f"{x:.2f}" for x in r["cpu_s_per_mp_runs"])
        lines.append(f"| {r['photo']} | {r['name']} | {r['quality']} | {r['ssimulacra2']:.2f} ({r['target']:.2f}) | "
                     f"{r['bytes']} | {r['bytes_vs_default']:.2f} | {r['cpu_s_per_mp']:.2f} ({runs}) | "
                     f"{r['cpu_vs_default']:.2f} | {r['peak_rss_mb']:.0f} |")
    lines.append("")
    return "\n".join(lines)


# The judgement on top of the computed findings; re-read it against the tables after a run.
READING = """\
How to read it: every row is one encoder preset with its quality moved until its score matched
imagepipe's default on each photo, so its bytes and CPU are what that preset costs for the same
visual quality; a preset to the left of and below another is better in both. The encode is
nearly all of the function's CPU, and so of its cost per image.

What it says (the shipped defaults are unchanged; the README has the decision): at matched
quality, libaom's fast presets (avifenc's and Pillow's high speeds, sharp's low efforts) reach
about ravif's default bytes for around half of its CPU or less, so ravif's default is dominated
or nearly so; a little above its CPU, libaom at moderate speeds (Pillow's default) gives clearly
smaller files. Within ravif, speed 9 at 8 bit is still the knee of its own frontier: speed 10
saves less CPU than it adds bytes, and slower speeds or 10 bit buy a few per cent to a tenth
fewer bytes for about three times the CPU or more. So no other ravif speed would be a better
default; the gap is the encoder, rav1e against libaom. Pillow's presets encode 4:2:0 (its
default), the others 4:4:4; avifenc's CPU includes its PNG read, which flatters none of the
others. A libaom backend in core was evaluated and is not shipped yet: its arm64 build works, but its
only safe binding cannot tag the files sRGB, and it would take the function zip past its
budget (docs/bench/avif-backends.md); a backend that ships would be one more
family here, with its own rows and headline lines (the rows carry the backend)."""


def frontier_svg(result):
    """Bytes against CPU (log scale), both relative to imagepipe's default, every setting;
    plain SVG so the benchmark needs no plotting package."""
    summary = [s for s in result["summary"] if s["matched"]]
    colours = {"ravif": "#1f77b4", "sharp": "#d62728", "pillow": "#2ca02c", "avifenc": "#9467bd"}
    width, height, margin = 760, 480, 64
    xs = [math.log10(s["cpu_vs_default"]) for s in summary]
    ys = [s["bytes_vs_default"] for s in summary]
    x_min, x_max = math.floor(min(xs) * 2) / 2, math.ceil(max(xs) * 2) / 2
    y_min, y_max = min(ys) * 0.97, max(ys) * 1.03

    def px(x):
        return margin + (math.log10(x) - x_min) / (x_max - x_min) * (width - 2 * margin)

    def py(y):
        return height - margin - (y - y_min) / (y_max - y_min) * (height - 2 * margin)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">AVIF encoders at matched SSIMULACRA2, '
           f'{len(result["photos"])} photos at 1600 px, {THREADS} threads (medians)</text>',
           f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="black"/>',
           f'<line x1="{margin}" y1="{margin}" x2="{margin}" y2="{height - margin}" stroke="black"/>',
           f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">encode CPU / imagepipe default (log scale)</text>',
           f'<text x="16" y="{height / 2}" text-anchor="middle" transform="rotate(-90 16 {height / 2})">output bytes / imagepipe default</text>']
    tick = x_min
    while tick <= x_max + 1e-9:
        for value in (10 ** tick, 2 * 10 ** tick, 5 * 10 ** tick):
            if x_min <= math.log10(value) <= x_max:
                out.append(f'<text x="{px(value):.1f}" y="{height - margin + 15}" text-anchor="middle">{value:g}</text>')
        tick += 1
    for i in range(6):
        y = y_min + (y_max - y_min) * i / 5
        out.append(f'<text x="{margin - 5}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
    out.append(f'<line x1="{margin}" y1="{py(1):.1f}" x2="{width - margin}" y2="{py(1):.1f}" stroke="#999" stroke-dasharray="4 3"/>')
    out.append(f'<line x1="{px(1):.1f}" y1="{margin}" x2="{px(1):.1f}" y2="{height - margin}" stroke="#999" stroke-dasharray="4 3"/>')
    pareto = [s for s in summary if s["pareto"]]
    points = " ".join(f"{px(s['cpu_vs_default']):.1f},{py(s['bytes_vs_default']):.1f}" for s in pareto)
    out.append(f'<polyline points="{points}" fill="none" stroke="#bbb" stroke-width="6" stroke-linejoin="round"/>')
    for index, family in enumerate(FAMILIES):
        colour = colours[family]
        for depth, dash in ((8, ""), (10, ' stroke-dasharray="5 3"')):
            line = sorted((s for s in summary if s["family"] == family and s["depth"] == depth), key=lambda s: s["preset"])
            if len(line) > 1:
                points = " ".join(f"{px(s['cpu_vs_default']):.1f},{py(s['bytes_vs_default']):.1f}" for s in line)
                out.append(f'<polyline points="{points}" fill="none" stroke="{colour}"{dash}/>')
        for s in (s for s in summary if s["family"] == family):
            x, y = px(s["cpu_vs_default"]), py(s["bytes_vs_default"])
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4 if s["default"] else 2.5}" fill="{colour}"/>')
            tag = {"ravif": "s", "sharp": "e", "pillow": "s", "avifenc": "s"}[family] + str(s["preset"])
            out.append(f'<text x="{x + 4:.1f}" y="{y - 4:.1f}" fill="{colour}" font-size="9">{tag}</text>')
        out.append(f'<text x="{width - margin - 230}" y="{margin + 14 * index}" fill="{colour}">{FAMILY_LABEL[family]}'
                   f'{" (solid 8-bit, dashed 10-bit)" if family == "ravif" else ""}</text>')
    out.append(f'<text x="{width - margin - 230}" y="{margin + 14 * len(FAMILIES)}" fill="#888">grey band: Pareto set; big dots: defaults</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_outputs(result, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "encoders.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "encoders.md").write_text(markdown(result))
    (out / "encoders-frontier.svg").write_text(frontier_svg(result))
    log(f"wrote {out}/encoders.{{json,md}} and encoders-frontier.svg")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only rewrite encoders.md and the SVG in --out from a results JSON")
    args = parser.parse_args()
    if args.render:
        # The findings are recomputed from the rows, so a change of the report code applies.
        result = json.loads(args.render.read_text())
        result.setdefault("photo_source", f"{len(result['photos'])} camera photographs (Debian "
                          "mate-backgrounds, nature) resized to fit the display rendition, 1600 x 1600")
        result["summary"] = summarise(result["rows"], len(result["photos"]))
        result["headline"] = headline(result["summary"])
        result["findings"] = recommendation_text(result)
        write_outputs(result, args.out or ROOT / "docs" / "bench")
        return
    if args.out is None and not args.smoke:
        args.out = ROOT / "docs" / "bench"
    repeats = args.repeats or (1 if args.smoke else 2)
    if len(os.sched_getaffinity(0)) < THREADS:
        die(f"needs {THREADS} cores")

    started = time.time()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    avifenc_version, avifenc_aom = require_avif_tools()
    node_modules, sharp_versions = install_sharp()
    pillow_env, pillow_versions = install_pillow()
    bench, asm, ravif_versions = build_bench()
    if platform.machine() in ("x86_64", "AMD64") and "nasm_x86_64" not in asm:
        die("rav1e was built without its x86_64 assembly (cfg nasm_x86_64): install nasm and rebuild")
    if platform.machine() in ("aarch64", "arm64") and "asm_neon" not in asm:
        die("rav1e was built without its NEON assembly (cfg asm_neon)")
    directory = Path(subprocess.run([sys.executable, str(HERE / "photos.py")], capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1])
    if args.smoke:
        paths = [directory / "photo-0.3mp.png"]
    else:
        names = photo_set.rendition_names()
        if not 1 <= args.photos <= len(names):
            die(f"--photos must be 1-{len(names)}")
        paths = [directory / name for name in names[:args.photos]]
    for path in paths:
        if not path.is_file():
            die(f"{path} missing after photos.py")

    grid = settings_grid(args.smoke)
    versions = {"sharp": sharp_versions, "pillow": pillow_versions, "avifenc": (avifenc_version, avifenc_aom),
                "ravif": ravif_versions, "asm": asm}
    rows, slow, guesses = [], set(), {}
    with tempfile.TemporaryDirectory(prefix="encoders-") as work:
        runner = Runner(bench, node_modules, pillow_env, Path(work))
        for index, path in enumerate(paths):
            try:
                rows += run_photo(runner, path, grid, repeats, slow, index == 0, guesses)
            except (RuntimeError, subprocess.CalledProcessError, ValueError, KeyError) as error:
                die(f"{path.name}: {error}")
            done = paths[:index + 1]
            expected = {(p.stem.removeprefix("rendition-"), s["name"]) for i, p in enumerate(done)
                        for s in [reference_setting()] + grid if i == 0 or s["name"] not in slow}
            got = {(r["photo"], r["name"]) for r in rows if math.isfinite(r["ssimulacra2"])}
            if expected != got:
                die(f"missing results: {sorted(expected - got)}")
            result = assemble(rows, done, slow, repeats, versions, load_before, started, args.smoke)
            if args.out:
                write_outputs(result, args.out)
    unmatched = [f"{r['photo']} {r['name']}: {r['ssimulacra2']} vs {r['target']}" for r in rows if not r["matched"]]
    if unmatched and args.smoke:
        die("scores not matched to the target:\n  " + "\n  ".join(unmatched))
    for s in result["summary"]:
        print(f"{s['name']:<24} photos {s['photos']}  bytes x{s['bytes_vs_default']:.2f}  CPU x{s['cpu_vs_default']:.2f} "
              f"({s['cpu_s_per_mp']:.3f} s/MP){'  PARETO' if s['pareto'] else ''}{'' if s['matched'] else '  NOT MATCHED'}")
    print("\n".join(result["findings"]))
    log(f"done in {time.time() - started:.0f} s")


def assemble(rows, paths, slow, repeats, versions, load_before, started, smoke):
    rows = with_ratios([dict(row) for row in rows])
    sharp_versions, pillow_versions = versions["sharp"], versions["pillow"]
    avifenc_version, avifenc_aom = versions["avifenc"]
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    summary = summarise(rows, len(paths))
    result = {
        "environment": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": len(os.sched_getaffinity(0)), "machine": platform.machine(),
            "load_before": load_before, "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "sharp": sharp_versions.get("sharp"), "vips": sharp_versions.get("vips"),
            "aom_in_sharp": sharp_versions.get("aom"), "pillow": pillow_versions["pillow"],
            "libavif_in_pillow": pillow_versions["libavif"], "aom_in_pillow": pillow_versions["aom"],
            "avifenc": avifenc_version, "aom_in_avifenc": avifenc_aom, "ravif": list(versions["ravif"]),
            "rav1e_asm": versions["asm"], "duration_s": round(time.time() - started),
        },
        "repeats": repeats, "threads": THREADS, "tolerance": TOLERANCE,
        "reference": {"name": reference_setting()["name"], "quality": DEFAULT_QUALITY},
        "photos": [{"name": p.stem.removeprefix("rendition-"), "megapixels": round(png_megapixels(p), 3)} for p in paths],
        "slow": sorted(slow), "rows": rows, "summary": summary,
        "photo_source": SMOKE_PHOTO_SOURCE if smoke else
        f"{len(paths)} camera photographs (Debian mate-backgrounds, nature) resized to fit the display rendition, 1600 x 1600",
    }
    result["headline"] = headline(summary)
    result["findings"] = recommendation_text(result)
    return result


if __name__ == "__main__":
    main()
