#!/usr/bin/env python3
"""Assembles docs/BENCHMARKS.md from the two benchmark results: a headline table of ratios (what
README quotes), then the encoder section (encoders.md without its per-photo table) and the Lambda section (lambda.md) as
the scripts wrote them, then the hand-written core figures (docs/bench/placeholder.md, from
dev/bench/bench-core.sh), which no script regenerates.

Usage: report.py --in DIR --out FILE   (DIR holds encoders.json/.md and lambda[-smoke].json/.md)
"""

import argparse
import json
import sys
from pathlib import Path

# Kept in the repository, not in --in (a smoke run's directory has only the scripts' results).
HAND_WRITTEN = Path(__file__).resolve().parents[2] / "docs" / "bench" / "placeholder.md"
# encoders.md's long per-photo table stays in docs/bench/encoders.md.
PER_PHOTO = "### Per photo"
# The Lambda benchmark's peers, each at its library's defaults and at the bytes-matched preset.
PEERS = {
    "node-sharp": "Node.js + sharp, its defaults",
    "node-sharp-bytes-matched": "Node.js + sharp, bytes-matched preset",
    "python-pillow": "Python + Pillow, its defaults",
    "python-pillow-bytes-matched": "Python + Pillow, bytes-matched preset",
}


def load(directory, *stems):
    for stem in stems:
        path = directory / f"{stem}.json"
        if path.is_file():
            return json.loads(path.read_text()), (directory / f"{stem}.md").read_text()
    sys.exit(f"report: none of {', '.join(s + '.json' for s in stems)} in {directory}")


def encoder_lines(encoders):
    """Like for like: imagepipe's default against each peer at the preset that matches its
    bytes, and at the peer's default preset (labelled), CPU and bytes at matched SSIMULACRA2.
    Each line names imagepipe's encoder backend, so a second backend gets lines of its own."""
    photos = len(encoders["photos"])
    for line in encoders["headline"]:
        peer = line["peer"] + (f", {line['photos']} photo(s)" if line["photos"] != photos else "")
        yield (f"| AVIF encode CPU s/MP at matched SSIMULACRA2 ({photos} photo(s)), imagepipe default "
               f"({line['ours']}, {line['backend']}) vs {peer}: {line['why']} | "
               f"{line['ours_cpu_s_per_mp']:.2f} | {line['peer_cpu_s_per_mp']:.2f} | x{line['cpu_ratio']:.2f} |")
        yield (f"| ... output bytes (median over photos) | {line['ours_bytes']:,.0f} | {line['peer_bytes']:,.0f} | "
               f"x{line['bytes_ratio']:.2f} |")


def headline(encoders, lam):
    lines = ["| what | imagepipe (Rust) | peer | ratio |", "| --- | ---: | ---: | ---: |"]
    lines += encoder_lines(encoders)
    cold = lam.get("cold_start", {})
    deployed = cold.get("function-al2023-as-deployed") or cold.get("function")
    if "hello" in cold and deployed:
        lines.append(f"| cold start, init (spawn to first Runtime API poll), provided.al2023 trust-root layout as deployed: "
                     f"function vs hello-world `lambda_runtime` floor (ms) | {deployed['median_ms']} | "
                     f"{cold['hello']['median_ms']} | x{deployed['median_ms'] / cold['hello']['median_ms']:.2f} |")
    ready = (deployed or {}).get("ready")
    if ready and "ready" in cold.get("hello", {}):
        lines.append(f"| cold start, ready (spawn to the answer to a waiting no-op event): function vs the floor (ms) | "
                     f"{ready['median_ms']} | {cold['hello']['ready']['median_ms']} | "
                     f"x{ready['median_ms'] / cold['hello']['ready']['median_ms']:.2f} |")
    for peer, title in PEERS.items():
        if peer in cold and ready and "ready" in cold[peer]:
            lines.append(f"| cold start, ready, vs {title} (ms) | {ready['median_ms']} | "
                         f"{cold[peer]['ready']['median_ms']} | "
                         f"x{ready['median_ms'] / cold[peer]['ready']['median_ms']:.2f} |")
    ahead = lam.get("first_versus_warm", {}).get("variants", {}).get("function, warm-up on, event 0.5 s after init")
    if ahead:
        lines.append(f"| first invocation vs a warm one, init ahead, over TLS (ms) | "
                     f"{ahead['first_invocation']['median_ms']} | {ahead['warm_invocation']['median_ms']} | "
                     f"x{ahead['first_invocation']['median_ms'] / ahead['warm_invocation']['median_ms']:.2f} |")
    warm = lam.get("warm", {})
    for size, figures in warm.get("function", {}).items():
        for peer, title in PEERS.items():
            other = warm.get(peer, {}).get(size)
            if not other:
                continue
            lines.append(f"| warm end to end, {size} photo: p50 ms (vs {title}) | {figures['p50_ms']} | "
                         f"{other['p50_ms']} | x{figures['p50_ms'] / other['p50_ms']:.2f} |")
            lines.append(f"| ... peak RSS MiB | {figures['peak_rss_mib']} | {other['peak_rss_mib']} | "
                         f"x{figures['peak_rss_mib'] / other['peak_rss_mib']:.2f} |")
    cost = lam.get("cost", {}).get("rows", {})
    if "function" in cost:
        rust = cost["function"]
        for peer, title in PEERS.items():
            other = cost.get(peer)
            if not other:
                continue
            lines.append(
                f"| USD per million {rust['size']} images vs {title} ({rust['architecture']}; {rust['memory_mb']} MB vs "
                f"{other['memory_mb']} MB; its display rendition x{other.get('display_bytes_vs_function')} our bytes) | "
                f"{rust['usd_per_million']} | {other['usd_per_million']} | "
                f"x{rust['usd_per_million'] / other['usd_per_million']:.2f} |")
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
        "encoder's speed/size frontier against sharp, Pillow and avifenc at matched SSIMULACRA2, then the Lambda function (cold "
        "start, warm end to end, memory, artifacts, cost against a Node.js + sharp and a Python + Pillow function), then "
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
        encoders_md.split(PER_PHOTO)[0].replace("](encoders-frontier.svg)", "](bench/encoders-frontier.svg)").rstrip(),
        "",
        "Every photo's figures: [docs/bench/encoders.md](bench/encoders.md#per-photo).",
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
