#!/usr/bin/env python3
"""Assembles docs/BENCHMARKS.md from the two benchmark results: a headline table of ratios (what
README quotes), then the encoder section (encoders.md) and the Lambda section (lambda.md) as
the scripts wrote them, then the hand-written core figures (docs/bench/placeholder.md, from
dev/bench/bench-core.sh), which no script regenerates.

Usage: report.py --in DIR --out FILE   (DIR holds encoders.json/.md and lambda[-smoke].json/.md)
"""

import argparse
import json
import sys
from pathlib import Path

# The default encoder setting the encoder benchmark measures at every size (encoders.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoders import DEFAULT_DEPTH, DEFAULT_SPEED  # noqa: E402

# Kept in the repository, not in --in (a smoke run's directory has only the scripts' results).
HAND_WRITTEN = Path(__file__).resolve().parents[2] / "docs" / "bench" / "placeholder.md"


def load(directory, *stems):
    for stem in stems:
        path = directory / f"{stem}.json"
        if path.is_file():
            return json.loads(path.read_text()), (directory / f"{stem}.md").read_text()
    sys.exit(f"report: none of {', '.join(s + '.json' for s in stems)} in {directory}")


def encoder_rows(encoders):
    """(photo, default ravif row, sharp row) at the largest thread count, per photo size."""
    threads = max(encoders["threads"])
    rows = [r for r in encoders["rows"] if r["threads"] == threads]
    for photo in sorted({r["photo_mp"] for r in rows}):
        at = [r for r in rows if r["photo_mp"] == photo]
        sharp = next((r for r in at if r["encoder"] == "sharp"), None)
        ravif = next((r for r in at if r["encoder"] == "ravif" and r["speed"] == DEFAULT_SPEED
                      and r["depth"] == DEFAULT_DEPTH), None)
        if sharp and ravif:
            yield photo, ravif, sharp, threads


def headline(encoders, lam):
    lines = ["| what | imagepipe (Rust) | peer | ratio |", "| --- | ---: | ---: | ---: |"]
    for photo, ravif, sharp, threads in encoder_rows(encoders):
        lines.append(
            f"| AVIF encode at matched SSIMULACRA2, {photo} MP photo, {threads} threads: s/MP "
            f"(ravif speed {DEFAULT_SPEED} {DEFAULT_DEPTH}-bit vs sharp defaults) | "
            f"{ravif['encode_s_per_mp']:.2f} | {sharp['encode_s_per_mp']:.2f} | x{ravif['time_vs_sharp']:.2f} |")
        lines.append(
            f"| ... output bytes | {ravif['bytes']:,} | {sharp['bytes']:,} | x{ravif['bytes_vs_sharp']:.2f} |")
    cold = lam.get("cold_start", {})
    if "hello" in cold and "function" in cold:
        lines.append(f"| cold start, spawn to first Runtime API poll: function vs hello-world "
                     f"`lambda_runtime` floor (ms) | {cold['function']['median_ms']} | "
                     f"{cold['hello']['median_ms']} | x{cold['function']['median_ms'] / cold['hello']['median_ms']:.2f} |")
    if "node-sharp" in cold:
        lines.append(f"| cold start vs Node.js + sharp (ms) | {cold['function']['median_ms']} | "
                     f"{cold['node-sharp']['median_ms']} | x{cold['function']['median_ms'] / cold['node-sharp']['median_ms']:.2f} |")
    warm = lam.get("warm", {})
    for size, figures in warm.get("function", {}).items():
        peer = warm.get("node-sharp", {}).get(size)
        peer_p50 = f"{peer['p50_ms']}" if peer else "-"
        peer_rss = f"{peer['peak_rss_mib']}" if peer else "-"
        ratio = f"x{figures['p50_ms'] / peer['p50_ms']:.2f}" if peer else ""
        rss_ratio = f"x{figures['peak_rss_mib'] / peer['peak_rss_mib']:.2f}" if peer else ""
        lines.append(f"| warm end to end, {size} photo: p50 ms (vs Node.js + sharp) | {figures['p50_ms']} | {peer_p50} | {ratio} |")
        lines.append(f"| ... peak RSS MiB | {figures['peak_rss_mib']} | {peer_rss} | {rss_ratio} |")
    cost = lam.get("cost", {}).get("rows", {})
    if "function" in cost:
        rust = cost["function"]
        peer = cost.get("node-sharp")
        lines.append(
            f"| USD per million {rust['size']} images ({rust['architecture']}; {rust['memory_mb']} MB vs "
            f"{peer['memory_mb'] if peer else '-'} MB) | {rust['usd_per_million']} | "
            f"{peer['usd_per_million'] if peer else '-'} | "
            f"{'x%.2f' % (rust['usd_per_million'] / peer['usd_per_million']) if peer else ''} |")
    for name, zip_figures in lam.get("artifacts", {}).get("zips", {}).items():
        lines.append(f"| `{name}.zip` bytes | {zip_figures['zip_bytes']:,} | | |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in", dest="directory", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    encoders, encoders_md = load(args.directory, "encoders")
    lam, lambda_md = load(args.directory, "lambda", "lambda-smoke")
    targets = [f"- {t['target']}: {t['measured']} ({'met' if t['met'] else '**not met**'})"
               for t in lam.get("targets", [])]
    text = "\n".join([
        "# Benchmarks",
        "",
        "Regenerated by `dev/bench/bench.sh` (the encoder and Lambda benchmarks run side by side on one "
        "machine; ratios matter, absolute times on shared cores are noisy). Sections below: the AVIF "
        "encoder against sharp and avifenc at matched SSIMULACRA2, then the Lambda function (cold "
        "start, warm end to end, memory, artifacts, cost against a Node.js + sharp function), then "
        "what the record's placeholder costs next to the encode (by hand, from `dev/bench/bench-core.sh`).",
        "",
        "## Headline",
        "",
        *headline(encoders, lam),
        "",
        "Targets:",
        "",
        *targets,
        "",
        encoders_md.replace("](encoders-frontier.svg)", "](bench/encoders-frontier.svg)").rstrip(),
        "",
        lambda_md.rstrip(),
        "",
        HAND_WRITTEN.read_text().rstrip(),
        "",
    ])
    args.out.write_text(text)
    print("\n".join(headline(encoders, lam)))


if __name__ == "__main__":
    main()
