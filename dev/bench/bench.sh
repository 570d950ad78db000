#!/usr/bin/env bash
# The benchmark suite in one command: the AVIF encoder's speed/size frontier against sharp,
# Pillow and avifenc at matched SSIMULACRA2 (dev/bench/encoders.py), then the Lambda function's cold start, warm
# end-to-end latency and memory per photo size, artifact sizes and cost against a Node.js +
# sharp function (dev/bench/lambda.py); it prints the ratios as it goes and regenerates
# docs/BENCHMARKS.md (headline table + both sections) from their results.
#
#   dev/bench/bench.sh            full run (the encoder frontier alone is about an hour on 2 shared
#                               cores; installs sharp and Pillow, builds release); the encoder
#                               benchmark runs under `nice -n 19` so it yields to other work
#   dev/bench/bench.sh --smoke    the harness only (a couple of minutes once built): 0.3 MP, few
#                               settings, writes under the target dir, leaves docs/ alone
#
# Needs: cargo, python3 with pip, boto3, moto and Pillow, node + npm, avifenc/avifdec (libavif-bin),
# cargo-lambda, openssl. Each script says loudly what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" = --smoke ]; then
  out=${CARGO_TARGET_DIR:-target}/bench-smoke
  mkdir -p "$out"
  python3 dev/bench/encoders.py --smoke --out "$out"
  python3 dev/bench/lambda.py --smoke --out "$out"
  python3 dev/bench/report.py --in "$out" --out "$out/BENCHMARKS.md"
  echo "bench: smoke report in $out/BENCHMARKS.md"
  exit 0
fi
nice -n 19 python3 dev/bench/encoders.py --out docs/bench
python3 dev/bench/lambda.py --out docs/bench
python3 dev/bench/report.py --in docs/bench --out docs/BENCHMARKS.md
echo "bench: docs/BENCHMARKS.md regenerated"
