#!/usr/bin/env python3
"""Benchmark of the Lambda function as Lambda runs it: cold start (in this machine's and in
Amazon Linux 2023's trust-root layout), first versus warm invocation (with and without
connection warm-up, over TLS, with CPU time), warm end-to-end latency, memory, CPU and output
bytes per photo size, artifact sizes, and the cost per million images, next to a hello-world
`lambda_runtime` binary (the floor) and two peers driven the same way: Node.js + sharp and
Python + Pillow, each at its library's AVIF defaults and at a bytes-matched preset.

Real parts only: moto server for S3 and DynamoDB, `cargo lambda watch` as the Runtime API for the
warm runs, the release `bootstrap` built in this run, a TLS-terminating proxy with a throwaway CA
for the handshake measurements, a Runtime API stub that timestamps the first poll for the
cold-start ones. Loopback has no network round trip: every latency here is CPU and local I/O.

Usage:
  lambda.py [--out docs/bench] [--smoke] [--trim-comparison] [--no-zips | --zips-prebuilt] [--no-peers]
            [--jitter-comparison | --jitter-binary PATH] [--baseline PATH] [--cold-start-only]
--smoke: cold start N=3, one 0.3 MP round, no zips, no peer; for CI (< 2 min once built).
--baseline PATH --cold-start-only: a change to init measured side by side with a `bootstrap` built
from another commit (copy it out of the target dir first: this run rebuilds it), then stop.
--jitter-comparison: also build `bootstrap` with AWS-LC's CPU jitter entropy (the build default
.cargo/config.toml turns off) in a separate target dir and measure its first TLS handshake.
Fails (exit 1) when a measurement is missing.
"""

import argparse
import contextlib
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "dev" / "e2e"))
sys.path.insert(0, str(HERE))

from harness import (  # noqa: E402
    INPUT_BUCKET, OUTPUT_BUCKET, Emulator, Failure, Function, Processes, check, cpu_seconds,
    free_port, function_env, peak_rss_kib, percentile, s3_event, start_moto, start_watch,
    thread_cpu_seconds, wait_for,
)
import al2023_trust  # noqa: E402
from runtime_stub import RuntimeStub  # noqa: E402

# The stack's default renditions (imagepipe-core), for the function and the Node.js peer alike:
# the cost of the template as shipped.
RENDITIONS = "thumb=320x320,display=1600x1600"
PRICE_GB_S = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
PRICE_REQUEST = 0.20 / 1_000_000
MB_PER_VCPU = 1769
MAX_VCPU = 6
HEADROOM = 1.25
SIZES = ["0.3mp", "2mp", "12mp"]
NODE_PEER = HERE / "node-peer"
NODE_CACHE = Path.home() / ".cache" / "imagepipe-bench" / "node-peer"
PYTHON_PEER = HERE / "python-peer"
PYTHON_CACHE = Path.home() / ".cache" / "imagepipe-bench" / "python-peer"
# The bytes-matched presets: each peer's fast libaom preset (sharp effort 1 and Pillow speed 8
# both run aom at cpu-used 8) at the quality whose display rendition comes within 5% of the
# function's bytes (ravif at imagepipe-core's defaults) on the 0.3 MP and 12 MP photos (a quick
# sweep of qualities 45-75; on the smooth 2 MP photo ravif's output is much smaller and no quality
# of these matches all three). The warm table prints the bytes ratio each run, so a drift shows.
# Bytes, not SSIMULACRA2: the encoder benchmark (dev/bench/encoders.py) matches quality.
NODE_MATCHED = {"IMAGEPIPE_PEER_AVIF_EFFORT": "1", "IMAGEPIPE_PEER_AVIF_QUALITY": "59"}
PYTHON_MATCHED = {"IMAGEPIPE_PEER_AVIF_SPEED": "8", "IMAGEPIPE_PEER_AVIF_QUALITY": "59"}
# What infra/function.tf sets on Lambda (rustls-native-certs then reads only this bundle).
DEPLOYED_SSL_CERT_FILE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
TARGET_PEAK_MB_12MP = 512
TARGET_ZIP_BYTES = 8 * 1024 * 1024
TARGET_COLD_RATIO = 2.0
TARGET_FIRST_OVER_WARM = 1.2


def log(message):
    print(f"bench-lambda: {message}", flush=True)


def die(message):
    print(f"bench-lambda: FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def require(tool, hint):
    if shutil.which(tool) is None:
        die(f"{tool} not found: {hint}")


def load():
    return list(os.getloadavg())


def run(argv, **kwargs):
    log("$ " + " ".join(str(a) for a in argv))
    subprocess.run([str(a) for a in argv], check=True, **kwargs)


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def build_binaries():
    """The release function (exactly the build dev/e2e/e2e.sh makes) and the hello-world floor,
    same profile; two cargo invocations, so the floor's package cannot change the function's
    dependency features."""
    for package, binary in (("imagepipe-application", "bootstrap"), ("imagepipe-bench", "hello-floor")):
        run(["nice", "-n", "10", "cargo", "build", "--release", "--locked", "-p", package,
             "--bin", binary], cwd=REPO)
    release = target_dir() / "release"
    binaries = {"function": release / "bootstrap", "hello": release / "hello-floor"}
    for name, path in binaries.items():
        check(path.is_file(), f"{name}: {path} was not built")
    return binaries


def build_jitter_entropy_bootstrap():
    """`bootstrap` built with AWS-LC's CPU jitter entropy (aws-lc-sys's own default, which the
    workspace's .cargo/config.toml turns off): a separate target dir, so the shipped build is
    untouched. An environment variable overrides a config [env] entry."""
    target = target_dir() / "jitter-entropy"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), AWS_LC_SYS_NO_JITTER_ENTROPY="0")
    log("$ AWS_LC_SYS_NO_JITTER_ENTROPY=0 cargo build --release (jitter entropy on)")
    subprocess.run(["nice", "-n", "10", "cargo", "build", "--release", "--locked", "-p",
                    "imagepipe-application", "--bin", "bootstrap"], cwd=REPO, env=env, check=True)
    binary = target / "release" / "bootstrap"
    check(binary.is_file(), f"{binary} was not built")
    return binary


def photos_as_jpeg(work, sizes):
    """The benchmark photographs as JPEG quality 90, what users upload."""
    from PIL import Image

    directory = Path(subprocess.run([sys.executable, str(HERE / "photos.py")], check=True,
                                    capture_output=True, text=True).stdout.strip().splitlines()[-1])
    jpegs = {}
    for size in sizes:
        source = directory / f"photo-{size}.png"
        check(source.is_file(), f"photos.py did not write {source}")
        target = Path(work) / f"photo-{size}.jpg"
        with Image.open(source) as image:
            image.convert("RGB").save(target, "JPEG", quality=90)
            megapixels = image.width * image.height / 1e6
        jpegs[size] = {"path": target, "bytes": target.stat().st_size, "megapixels": megapixels}
    return jpegs


def node_peer():
    """Installs the peer's pinned dependencies (package-lock.json) in the cache; returns argv."""
    require("node", "apt-get install nodejs npm (Node.js >= 18)")
    require("npm", "apt-get install npm")
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(NODE_PEER / name, NODE_CACHE / name)
    if not (NODE_CACHE / "node_modules" / "sharp").is_dir():
        run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_CACHE)
    shutil.copy(NODE_PEER / "function.mjs", NODE_CACHE / "function.mjs")
    return ["node", str(NODE_CACHE / "function.mjs")]


def python_peer():
    """A virtual environment with the peer's pinned requirements in the cache; returns argv."""
    requirements = (PYTHON_PEER / "requirements.txt").read_text()
    venv = PYTHON_CACHE / "venv"
    stamp = venv / "requirements.txt"
    if not stamp.is_file() or stamp.read_text() != requirements:
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--only-binary=:all:", "-r",
             PYTHON_PEER / "requirements.txt"])
        stamp.write_text(requirements)
    shutil.copy(PYTHON_PEER / "function.py", PYTHON_CACHE / "function.py")
    return [str(venv / "bin" / "python"), str(PYTHON_CACHE / "function.py")]


def peer_variants(node_argv, python_argv):
    """label -> (argv, extra environment): each peer at its library's defaults and at the
    bytes-matched preset."""
    variants = {}
    if node_argv:
        variants["node-sharp"] = (node_argv, {})
        variants["node-sharp-bytes-matched"] = (node_argv, NODE_MATCHED)
    if python_argv:
        variants["python-pillow"] = (python_argv, {})
        variants["python-pillow-bytes-matched"] = (python_argv, PYTHON_MATCHED)
    return variants


def cold_start_name(label):
    """The cold-start row that stands for a warm-table label (AVIF settings do not change init)."""
    for peer in ("node-sharp", "python-pillow"):
        if label.startswith(peer):
            return peer
    return "function-al2023-as-deployed"


class Uploads:
    """Fresh keys per invocation: an object already recorded complete is skipped, not encoded."""

    def __init__(self, emulator, jpegs):
        self.emulator, self.jpegs, self.count = emulator, jpegs, 0

    def event(self, size, label):
        self.count += 1
        key = f"uploads/bench/{label}/{self.count}-photo-{size}.jpg"
        self.emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key,
                                    Body=self.jpegs[size]["path"].read_bytes())
        head = self.emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
        return key, s3_event(head, key, self.count)

    def output_bytes(self, key):
        """Bytes of each rendition the function or a peer wrote for the input `key`."""
        sizes = {}
        marker = key.removeprefix("uploads/")
        for page in self.emulator.s3.get_paginator("list_objects_v2").paginate(Bucket=OUTPUT_BUCKET):
            for entry in page.get("Contents", []):
                if marker in entry["Key"] and entry["Key"].endswith(".avif"):
                    sizes[entry["Key"].rsplit("/", 1)[1].removesuffix(".avif")] = entry["Size"]
        return sizes

    def check_complete(self, key):
        record = self.emulator.record(key)
        check(record is not None and record["status"]["S"] == "complete",
              f"{key}: not complete: {record and record.get('status')} {record and record.get('failure')}")


# ---------------------------------------------------------------------------------------------
# Cold start: spawn -> first GET .../invocation/next
# ---------------------------------------------------------------------------------------------
def spawn(argv, env, log_path):
    handle = open(log_path, "ab")
    return subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT,
                            start_new_session=True)


def end(process):
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def spawn_in_session(session, argv, env, log_path):
    """Spawns a function against `session`'s own Runtime API; returns (process, spawn instant)."""
    started = time.perf_counter()
    return spawn(argv, dict(env, AWS_LAMBDA_RUNTIME_API=session.address), log_path), started


def wait_until(done, process, argv, log_path, deadline, waiting_for, detail=lambda: ""):
    """Checks `done()` every half millisecond until it is true; fails if the process exits first
    or `deadline` (a perf_counter instant) passes, naming what was awaited and, on a timeout,
    `detail()`. The instants measured are the stub's, so this loop's pace does not enter them."""
    while not done():
        if process.poll() is not None:
            raise Failure(f"{argv[-1]} exited with {process.returncode} before {waiting_for} "
                          f"(log {log_path}): {Path(log_path).read_text(errors='replace')[-1500:]}")
        if time.perf_counter() > deadline:
            raise Failure(f"{argv[-1]} was still not {waiting_for} at the deadline{detail()} (log {log_path})")
        time.sleep(0.0005)


def start_until_first_poll(stub, argv, env, log_path, timeout=60.0):
    """Spawns a function against a fresh stub session and waits for its first poll. Returns
    (process, session, seconds from spawn to that poll); the caller ends the process."""
    session = stub.new_session()
    process, started = spawn_in_session(session, argv, env, log_path)
    try:
        wait_until(lambda: session.first_poll is not None, process, argv, log_path,
                   started + timeout, "polling")
    except BaseException:
        end(process)
        raise
    return process, session, session.first_poll - started


def precise_cpu_seconds(pid):
    """CPU time of a live process's threads from the scheduler (/proc/PID/task/*/schedstat, in
    nanoseconds), where /proc/PID/stat counts 10 ms ticks: fine enough for one TLS handshake.
    Threads that already exited are not counted; the runtimes measured here keep theirs."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


# Answered by every binary measured without any AWS call: an S3 notification with no records.
NO_OP_EVENT = {"Records": []}


def time_cold_start(stub, argv, env, log_path, timeout=60.0):
    """One on-demand cold start, the event already waiting as Lambda has it: (init, ready) in
    seconds, spawn -> first poll and spawn -> the answer to a no-op event. The gap between them
    is whatever the first invocation waits for that is not its own work (bootstrap's clients are
    built beside the first poll) plus one Runtime API round trip."""
    session = stub.new_session()
    request_id = session.queue(NO_OP_EVENT)
    process, started = spawn_in_session(session, argv, env, log_path)

    def polled():
        if session.first_poll is None:
            return " (it never polled)"
        taken = "still queued" if session.events.qsize() else "taken"
        return f" (it polled after {session.first_poll - started:.3f} s; the event is {taken})"

    try:
        wait_until(lambda: request_id in session.responses, process, argv, log_path,
                   started + timeout, "answering", polled)
    finally:
        end(process)
    answered_at, kind, body = session.answer(request_id, 0)
    check(kind == "response", f"{argv[-1]} answered the no-op event with {kind}: {body[:300]!r}")
    return session.first_poll - started, answered_at - started


def cold_start(stub, variants, runs, work):
    """Init and ready (see time_cold_start) for each variant, `runs` times, in a rotating order.
    Each variant's summary is its init's, with the ready times' beside it under "ready"."""
    inits = {name: [] for name in variants}
    readies = {name: [] for name in variants}
    names = list(variants)
    for index in range(runs):
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order:
            argv, env = variants[name]
            init, ready = time_cold_start(stub, argv, env, Path(work) / f"cold-{name}.log")
            inits[name].append(init)
            readies[name].append(ready)
    return {name: dict(summary_ms(inits[name]), ready=summary_ms(readies[name])) for name in variants}


def summary_ms(seconds):
    check(seconds, "no samples")
    return {
        "n": len(seconds),
        "median_ms": round(statistics.median(seconds) * 1000, 2),
        "p90_ms": round(percentile(seconds, 0.9) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "min_ms": round(min(seconds) * 1000, 2),
        "samples_ms": [round(s * 1000, 2) for s in seconds],
    }


# ---------------------------------------------------------------------------------------------
# First invocation versus warm, over TLS, with and without warm-up
# ---------------------------------------------------------------------------------------------
def throwaway_ca(work):
    """A CA and a loopback server certificate (IP 127.0.0.1) signed by it, made with openssl."""
    require("openssl", "apt-get install openssl")
    work = Path(work)
    ca_key, ca, key, csr, cert = (work / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=imagepipe bench CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
                   **quiet)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"], **quiet)
    extensions = work / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                          "extendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", cert, "-days", "2", "-extfile", extensions], **quiet)
    return ca, cert, key


def start_tls_proxy(processes, work, moto_endpoint):
    """Two TLS ports in front of moto: one stands for S3, one for DynamoDB (one host each)."""
    ca, cert, key = throwaway_ca(work)
    s3_port, dynamodb_port = free_port(), free_port()
    proxy, proxy_log = processes.start("tls-proxy", [
        sys.executable, str(HERE / "tls_proxy.py"), "--cert", str(cert), "--key", str(key),
        "--target", moto_endpoint.removeprefix("http://"), str(s3_port), str(dynamodb_port)])
    wait_for(lambda: "ready" in Path(proxy_log).read_text(errors="replace"), "the TLS proxy",
             process=proxy, log_path=proxy_log)
    return {
        # rustls-native-certs (the SDK's trust roots), Node and botocore read these at start-up.
        "SSL_CERT_FILE": str(ca),
        "NODE_EXTRA_CA_CERTS": str(ca),
        "AWS_CA_BUNDLE": str(ca),
        "AWS_ENDPOINT_URL_S3": f"https://127.0.0.1:{s3_port}",
        "AWS_ENDPOINT_URL_DYNAMODB": f"https://127.0.0.1:{dynamodb_port}",
    }


def first_versus_warm(stub, uploads, variants, runs, warm_invocations, work):
    """Per variant (argv, env, gap): init (spawn -> first poll), the first invocation queued
    `gap` seconds after the first poll (0: the event was waiting, an on-demand cold start; more:
    init ahead of the request, as with provisioned concurrency), then warm ones; rotating.
    CPU time (user + sys, /proc) of the process too: up to the first poll, between the first
    poll and the first event (a background warm-up's work), and per invocation."""
    kinds = ("init", "first", "warm", "init_cpu", "gap_cpu", "first_cpu", "warm_cpu")
    results = {name: {kind: [] for kind in kinds} for name in variants}
    names = list(variants)
    for index in range(runs):
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order:
            argv, env, gap = variants[name]
            events = [uploads.event("0.3mp", f"first-{name}") for _ in range(1 + warm_invocations)]
            process, session, init = start_until_first_poll(
                stub, argv, env, Path(work) / f"first-{name}.log")
            try:
                results[name]["init"].append(init)
                at_poll = precise_cpu_seconds(process.pid)
                # The runtime's own idle polling costs nothing measurable: the gap's CPU is the
                # background warm-up (and anything else init left running).
                time.sleep(max(gap, 0.25))
                before = precise_cpu_seconds(process.pid)
                results[name]["init_cpu"].append(at_poll)
                results[name]["gap_cpu"].append(before - at_poll)
                for position, (key, event) in enumerate(events):
                    elapsed, answer = session.invoke(event)
                    after = precise_cpu_seconds(process.pid)
                    check(answer == {"objects": 1}, f"{name}: {key} answered {answer}")
                    kind = "first" if position == 0 else "warm"
                    results[name][kind].append(elapsed)
                    results[name][f"{kind}_cpu"].append(after - before)
                    before = after
            finally:
                end(process)
            for key, _ in events:
                uploads.check_complete(key)
    out = {}
    for name, samples in results.items():
        init, first, warm = (summary_ms(samples[k]) for k in ("init", "first", "warm"))
        cpu = {k: round(statistics.median(samples[k]) * 1000, 1)
               for k in ("init_cpu", "gap_cpu", "first_cpu", "warm_cpu")}
        out[name] = {
            "init": init, "first_invocation": first, "warm_invocation": warm,
            "first_minus_warm_ms": round(first["median_ms"] - warm["median_ms"], 2),
            "first_over_warm": ratio(first["median_ms"], warm["median_ms"]),
            "init_plus_first_ms": round(init["median_ms"] + first["median_ms"], 2),
            "cpu_ms": cpu,
        }
    return out


# ---------------------------------------------------------------------------------------------
# Warm end-to-end per size through cargo lambda watch
# ---------------------------------------------------------------------------------------------
def warm_e2e(processes, endpoint, uploads, argv, size, rounds, label, extra_env):
    """One fresh process (so VmHWM is this size's peak): one unmeasured invocation, then
    `rounds` measured ones. CPU time from /proc/PID/stat deltas around each invocation."""
    watch_port = start_watch(processes)
    watch = processes.started[-1][1]
    env = function_env(f"http://127.0.0.1:{watch_port}/.rt", endpoint,
                       **dict(extra_env, IMAGEPIPE_RENDITIONS=RENDITIONS))
    env["RUST_LOG"] = "warn"
    env["AWS_DEFAULT_REGION"] = env["AWS_REGION"]
    process, log_path = processes.start(f"warm-{label}-{size}", argv, env=env)
    try:
        function = Function.at_watch(watch_port)
        key, event = uploads.event(size, f"warm-{label}")
        check(function.invoke(event) == {"objects": 1}, f"{label} {size}: the first invocation failed "
              f"({Path(log_path).read_text(errors='replace')[-1500:]})")
        uploads.check_complete(key)
        pid = process.pid
        latencies, cpu, spread, outputs = [], [], [], []
        for _ in range(rounds):
            key, event = uploads.event(size, f"warm-{label}")
            cpu_before, threads_before = cpu_seconds(pid), thread_cpu_seconds(pid)
            started = time.perf_counter()
            answer = function.invoke(event)
            latencies.append(time.perf_counter() - started)
            cpu.append(cpu_seconds(pid) - cpu_before)
            threads_after = thread_cpu_seconds(pid)
            deltas = [t - threads_before.get(tid, 0.0) for tid, t in threads_after.items()]
            if max(deltas, default=0) > 0:
                # How evenly the work spread over threads: the vCPUs it could keep busy at most,
                # independent of how much CPU other processes left it here.
                spread.append(sum(deltas) / max(deltas))
            check(answer == {"objects": 1}, f"{label} {size}: {key} answered {answer}")
            uploads.check_complete(key)
            outputs.append(uploads.output_bytes(key))
        peak = peak_rss_kib(pid)
        check(peak is not None, f"{label} {size}: no VmHWM for PID {pid}")
    finally:
        processes.stop(process)
        processes.stop(watch)
    result = summary_ms(latencies)
    result.update({
        "p50_ms": result["median_ms"],
        "cpu_ms_median": round(statistics.median(cpu) * 1000, 1),
        "cpu_ms_samples": [round(c * 1000, 1) for c in cpu],
        "peak_rss_mib": round(peak / 1024, 1),
        "thread_spread": round(statistics.median(spread), 2) if spread else 1.0,
        # Output bytes are deterministic per photo and setting; the first round's stand.
        "output_bytes": outputs[0] if outputs else {},
    })
    check(result["output_bytes"], f"{label} {size}: no renditions found in the output bucket")
    return result


def required_memory_mb(peak_rss_mib):
    """Peak RSS plus 25% headroom, rounded up to a 128 MB step (Lambda's floor is 128 MB)."""
    return max(128, int(math.ceil(peak_rss_mib * HEADROOM / 128.0)) * 128)


# ---------------------------------------------------------------------------------------------
# Cost model
# ---------------------------------------------------------------------------------------------
def vcpus(memory_mb):
    return min(MAX_VCPU, memory_mb / MB_PER_VCPU)


def parallelism(result):
    """vCPUs one invocation can keep busy: its CPU time over its busiest thread's (CPU over wall
    time would measure the other agents' builds sharing these 2 cores), at least 1, at most the
    cores here. An upper bound: threads that took turns would count as parallel."""
    return max(1.0, min(os.cpu_count() or 1, result["thread_spread"]))


def duration_estimate_ms(result, memory_mb):
    """Lambda gives CPU in proportion to memory, and the invocation is CPU-bound (the AVIF
    encoder): its CPU time divided by the vCPUs it can use at that memory size."""
    return result["cpu_ms_median"] / min(vcpus(memory_mb), parallelism(result))


def cost_per_million(duration_ms, memory_mb, arch):
    gb_s = duration_ms / 1000 * memory_mb / 1024
    return round((gb_s * PRICE_GB_S[arch] + PRICE_REQUEST) * 1_000_000, 2)


def recommend(warm, required, memory_steps):
    """The smallest memory that fits the largest photo and is past the knee where more vCPU
    stops shortening the 12 MP invocation (cost per image is flat below the knee, since
    duration x memory stays constant while the work is CPU-bound, and rises past it)."""
    largest = warm[list(warm)[-1]]
    knee = int(round(parallelism(largest) * MB_PER_VCPU))
    floor = max(required.values())
    chosen = max(floor, min(knee, 10240))
    table = []
    for memory in sorted(set(memory_steps + [chosen])):
        if memory < floor:
            continue
        row = {"memory_mb": memory}
        for size, result in warm.items():
            duration = duration_estimate_ms(result, memory)
            row[size] = {
                "duration_ms": round(duration, 1),
                "usd_per_million_arm64": cost_per_million(duration, memory, "arm64"),
                "usd_per_million_x86_64": cost_per_million(duration, memory, "x86_64"),
            }
        table.append(row)
    return {"memory_mb": chosen, "architecture": "arm64", "knee_mb": knee, "floor_mb": floor,
            "table": table}


# ---------------------------------------------------------------------------------------------
# Artifacts
# ---------------------------------------------------------------------------------------------
def zip_sizes(build=True):
    if build:
        run(["nice", "-n", "10", "dev/ci/lambda-zips.sh", "function-arm64", "extension-arm64"], cwd=REPO)
    dist = target_dir() / "dist"
    sizes = {}
    for name in ("imagepipe-function-arm64", "imagepipe-extension-arm64"):
        path = dist / f"{name}.zip"
        check(path.is_file(), f"{path} missing after lambda-zips.sh")
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        sizes[name] = {"zip_bytes": path.stat().st_size, "unpacked_bytes": unpacked}
    return sizes


def zipped_size(binary):
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "bootstrap.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(binary, "bootstrap")
        return target.stat().st_size


def trim_comparison(trimmed_binary):
    """What trimming features bought: the same x86_64 release `bootstrap` built in a throwaway
    copy of the workspace with the AWS SDK crates' and image's default features. The copy is
    a detached worktree of HEAD, removed afterwards; its target dir stays under the main one so
    a second run rebuilds only the workspace's own crates."""
    scratch = target_dir() / "untrimmed"
    scratch.mkdir(parents=True, exist_ok=True)
    if (scratch / "ws").exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(scratch / "ws")], cwd=REPO)
    try:
        run(["git", "worktree", "add", "--detach", scratch / "ws", "HEAD"], cwd=REPO)
        manifest = scratch / "ws" / "Cargo.toml"
        text = manifest.read_text()
        untrimmed = {
            "aws-config": '{ version = "1.8", features = ["behavior-version-latest"] }',
            "aws-sdk-s3": '"1.100"',
            "aws-sdk-dynamodb": '"1.90"',
            "image": '"0.25.10"',
        }
        for crate, spec in untrimmed.items():
            text, count = re.subn(rf"(?m)^{crate} = .*$", f"{crate} = {spec}", text)
            check(count == 1, f"{crate} not found once in the workspace manifest")
        manifest.write_text(text)
        env = dict(os.environ, CARGO_TARGET_DIR=str(scratch / "target"))
        run(["nice", "-n", "10", "cargo", "build", "--release", "-p", "imagepipe-application",
             "--bin", "bootstrap"], cwd=scratch / "ws", env=env)
        untrimmed_binary = scratch / "target" / "release" / "bootstrap"
        return {
            "trimmed": {"binary_bytes": trimmed_binary.stat().st_size,
                        "zip_bytes": zipped_size(trimmed_binary)},
            "untrimmed": {"binary_bytes": untrimmed_binary.stat().st_size,
                          "zip_bytes": zipped_size(untrimmed_binary),
                          "features": untrimmed},
        }
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(scratch / "ws")], cwd=REPO)


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def ratio(a, b):
    return round(a / b, 2) if b else None


def cold_start_table(cold):
    floor, ready_floor = cold["hello"]["median_ms"], cold["hello"]["ready"]["median_ms"]
    lines = [
        "| binary | n | init median ms | init p90 ms | init ratio to floor | ready median ms | ready p90 ms | ready ratio to floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in cold.items():
        ready = s["ready"]
        lines.append(f"| {name} | {s['n']} | {s['median_ms']} | {s['p90_ms']} | {ratio(s['median_ms'], floor)} | "
                     f"{ready['median_ms']} | {ready['p90_ms']} | {ratio(ready['median_ms'], ready_floor)} |")
    return lines


def markdown(results):
    r = results
    lines = [
        "## Lambda function: cold start, latency, memory, artifacts, cost",
        "",
        f"Generated by `python3 dev/bench/lambda.py{' --smoke' if r['smoke'] else ''}` on "
        f"{r['machine']['when']} ({r['machine']['cpu']}, {r['machine']['cores']} cores shared with other "
        f"builds; load average {r['machine']['load_before']} before, {r['machine']['load_after']} after). "
        "Everything runs on loopback: moto for S3 and DynamoDB, so no network round trip is in any "
        "figure; what remains is CPU, the TLS handshake's computation and local I/O. Compared things "
        "were run alternately and medians taken.",
        "",
        "### Cold start: init (spawn to the first `GET /runtime/invocation/next`) and ready (spawn to the answer to a no-op event already waiting)",
        "",
    ] + cold_start_table(r["cold_start"])
    layout = r.get("al2023_layout", {})
    lines += ["", "Each run is an on-demand cold start: the event (an S3 notification with no records, which "
              "every binary here answers without an AWS call) is queued before the process is spawned, as "
              "Lambda has it waiting. *Init* ends at the first poll, where Lambda's INIT phase ends; *ready* "
              "at the answer, so it adds one Runtime API round trip and whatever the first invocation has to "
              "wait for: `bootstrap` checks its configuration before the first poll but builds its AWS clients "
              "(loading the trust roots) on a thread started beside it at nice 19, so the build gives way to "
              "the poll, and the first invocation awaits it. "
              "`hello` is `modules/bench/src/hello_floor.rs` (lambda_runtime, same release "
              "profile, built in the same benchmark run); every `function` row is the release `bootstrap` with "
              "its real environment pointed at moto over plain HTTP, and differs only in where the AWS SDK's "
              "trust roots come from (rustls-native-certs loads them while the clients are built). "
              "`function-this-machine-roots`: this Debian machine's, found by openssl-probe (the "
              "bundle, then every file of /etc/ssl/certs, 140+). The `al2023` rows use provided.al2023's layout "
              "(`dev/bench/al2023_trust.py`: the PEM bundle /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem, "
              "the OpenSSL trust bundle behind /etc/pki/tls/certs/ca-bundle.trust.crt, /etc/ssl/certs a link "
              f"to /etc/pki/tls/certs; here {layout.get('certificates')} roots, {layout.get('pem_bundle_bytes')} "
              f"and {layout.get('trust_bundle_bytes')} bytes) built under a temporary root: "
              "`function-al2023-default-probe` reads exactly what rustls-native-certs reads there with no "
              "variable set (the bundle, then both directories, which hold the trust bundle); "
              "`function-al2023-as-deployed` reads only the bundle, as `SSL_CERT_FILE` in infra/function.tf makes "
              "it do on Lambda (the target's row); `-no-warm-up` adds `IMAGEPIPE_WARM_CONNECTIONS=false`; "
              "`-jitter-entropy-build` is `bootstrap` built with AWS-LC's CPU jitter entropy (when measured); "
              "`baseline-al2023-as-deployed` (with `--baseline`) a `bootstrap` built from another commit; "
              "`function-no-trust-roots-diagnostic` loads no root at all (an empty `SSL_CERT_FILE`; it could "
              "not connect to AWS): its distance to the as-deployed row is all the trust roots cost, the most "
              "that compiling them in (which still parses them: the SDK's `TrustStore` takes PEM) could save; "
              "`-no-warm-up-diagnostic` also leaves out the warm-up. The Node.js and Python peers do all their "
              "set-up before their first poll. "
              "Cold-start medians move by a millisecond or more between runs on these shared cores.", ""]
    fw = r.get("first_versus_warm")
    if fw:
        lines += [
            "### First invocation versus warm, over TLS",
            "",
            "A TLS-terminating proxy (Python `ssl`, a throwaway CA from `openssl`, trusted through "
            "`SSL_CERT_FILE`, which the SDK's rustls-native-certs reads) stands in front of moto on two "
            "ports, one for S3 and one for DynamoDB, so each service is its own host with its own "
            f"connection, as on AWS. One fresh process per run, {fw['runs']} runs per variant; the "
            f"first invocation and {fw['warm_invocations']} warm ones, each a new 0.3 MP JPEG.",
            "",
            "| variant | init ms | first invocation ms | warm ms | first / warm | init + first ms | "
            "CPU ms: init | CPU ms: after init, before the event | CPU ms: first invocation | CPU ms: warm |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, v in fw["variants"].items():
            cpu = v.get("cpu_ms", {})
            lines.append(f"| {name} | {v['init']['median_ms']} | {v['first_invocation']['median_ms']} | "
                         f"{v['warm_invocation']['median_ms']} | {v.get('first_over_warm')} | "
                         f"{v['init_plus_first_ms']} | {cpu.get('init_cpu')} | {cpu.get('gap_cpu')} | "
                         f"{cpu.get('first_cpu')} | {cpu.get('warm_cpu')} |")
        lines += ["", "CPU = user + system time of all the process's threads from the scheduler "
                  "(/proc/PID/task/*/schedstat, nanoseconds), medians. The column between init and the event "
                  "is the build thread's work after the first poll: the rest of the SDK clients' build "
                  "(the trust roots) and, when it is on, the warm-up (a DynamoDB GetItem over a new TLS "
                  "connection); with the event waiting, that work falls in the first invocation instead.", "",
                  fw["reading"], ""]
        if fw.get("jitter_reading"):
            lines += [fw["jitter_reading"], ""]
    lines += [
        "### Warm end to end per photo size (direct S3 event through `cargo lambda watch`)",
        "",
        "S3 GetObject, decode, two renditions (`" + RENDITIONS + "`), AVIF encode, two S3 PutObject, "
        "DynamoDB GetItem + PutItem. One fresh process per size and binary (so the peak RSS is that "
        "size's), one unmeasured invocation, then the measured rounds. CPU = user + sys of the "
        "process from /proc/PID/stat around each invocation.",
        "",
        "| binary | photo | JPEG bytes | rounds | p50 ms | p95 ms | CPU ms/image | CPU / busiest thread | peak RSS MiB | required memory MB | thumb bytes | display bytes | display bytes vs function |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, per_size in r["warm"].items():
        for size, w in per_size.items():
            out = w.get("output_bytes", {})
            mine = r["warm"]["function"].get(size, {}).get("output_bytes", {})
            versus = ratio(out.get("display"), mine.get("display")) if out.get("display") and mine.get("display") else ""
            lines.append(f"| {label} | {size} ({r['photos'][size]['megapixels']:.1f} MP) | "
                         f"{r['photos'][size]['bytes']} | {w['n']} | {w['p50_ms']} | {w['p95_ms']} | "
                         f"{w['cpu_ms_median']} | {w['thread_spread']} | {w['peak_rss_mib']} | {w['required_memory_mb']} | "
                         f"{out.get('thumb', '')} | {out.get('display', '')} | {versus} |")
    presets = r.get("peer_presets", {})
    preset_text = "; ".join(f"`{name}`: " + ", ".join(f"{k.removeprefix('IMAGEPIPE_PEER_AVIF_').lower()} {v}"
                                                        for k, v in env.items()) for name, env in presets.items())
    lines += ["", "Required memory = peak RSS + 25% headroom, rounded up to a 128 MB step. Peers: "
              "`node-sharp` is dev/bench/node-peer (Node.js, sharp, the AWS SDK for JavaScript v3), "
              "`python-pillow` is dev/bench/python-peer (Python, Pillow with its bundled libavif + aom, boto3; "
              "EXIF transpose, ImageCms to sRGB when a profile is embedded, Lanczos), both driving the Runtime "
              "API with their own loop as the Rust runtime does; each at its library's AVIF defaults and at "
              f"a bytes-matched preset ({preset_text}). CPU per image comes from 10 ms scheduler ticks.", ""]
    rec = r["recommendation"]
    lines += [
        "### Memory size recommendation",
        "",
        f"**{rec['memory_mb']} MB, {rec['architecture']}.** " + rec["reasoning"],
        "",
        "Estimated duration and cost per million images (compute + 0.20 USD request charge; "
        "duration = CPU time / min(vCPU share, vCPUs the invocation keeps busy), vCPU share = memory / "
        "1769 MB; network time to S3 and DynamoDB is not in it):",
        "",
        "| memory MB | " + " | ".join(f"{s} ms | {s} USD/M arm64 | {s} USD/M x86_64" for s in r["warm"]["function"]) + " |",
        "| ---: | " + " | ".join("---: | ---: | ---:" for _ in r["warm"]["function"]) + " |",
    ]
    for row in rec["table"]:
        cells = " | ".join(f"{row[s]['duration_ms']} | {row[s]['usd_per_million_arm64']} | {row[s]['usd_per_million_x86_64']}"
                           for s in r["warm"]["function"])
        lines.append(f"| {row['memory_mb']} | {cells} |")
    cost = r.get("cost")
    if cost:
        lines += ["", "### Cost per million images, Rust versus Node.js + sharp and Python + Pillow", "",
                  "| | memory MB | arch | CPU ms/image | est. duration ms | USD per million images | display bytes vs function | INIT ms | INIT USD per million cold starts |",
                  "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, c in cost["rows"].items():
            lines.append(f"| {name} ({c['size']}) | {c['memory_mb']} | {c['architecture']} | {c['cpu_ms']} | "
                         f"{c['duration_ms']} | {c['usd_per_million']} | {c.get('display_bytes_vs_function')} | "
                         f"{c['init_ms']} | {c['init_usd_per_million_cold_starts']} |")
        lines += ["", cost["reading"], ""]
    art = r.get("artifacts")
    if art:
        lines += ["### Artifacts", "", "| artifact | zip bytes | unpacked bytes |", "| --- | ---: | ---: |"]
        for name, a in art.get("zips", {}).items():
            lines.append(f"| `{name}.zip` | {a['zip_bytes']} | {a['unpacked_bytes']} |")
        trim = art.get("trim")
        if trim:
            lines += ["", "What trimming features bought (x86_64 release `bootstrap`, same profile, "
                      "deflate-zipped here):", "",
                      "| build | binary bytes | zip bytes |", "| --- | ---: | ---: |",
                      f"| trimmed (this workspace) | {trim['trimmed']['binary_bytes']} | {trim['trimmed']['zip_bytes']} |",
                      f"| default features of aws-config, aws-sdk-s3, aws-sdk-dynamodb, image | "
                      f"{trim['untrimmed']['binary_bytes']} | {trim['untrimmed']['zip_bytes']} |"]
        elif art.get("trim_note"):
            lines += ["", art["trim_note"]]
        lines.append("")
    lines += ["### Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    for t in r["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'met' if t['met'] else 'NOT MET'} |")
    lines += ["", "Caveats: this machine is x86_64 and the figures come from the native x86_64 build; the "
              "arm64 cost assumes the same CPU time per image on Graviton, which is not measured here. "
              "Loopback has no network round trip, so first-request TLS costs on AWS (several round trips "
              "to a regional endpoint) are larger than here.", ""]
    return "\n".join(lines)


def targets(results):
    out = []
    cold = results["cold_start"]
    floor = cold["hello"]["median_ms"]
    deployed = cold["function-al2023-as-deployed"]["median_ms"]
    cold_ratio = ratio(deployed, floor)
    ready, ready_floor = cold["function-al2023-as-deployed"]["ready"]["median_ms"], cold["hello"]["ready"]["median_ms"]
    out.append({"target": f"function cold start within {TARGET_COLD_RATIO}x of the hello-world floor "
                          "(provided.al2023's trust-root layout, as deployed)",
                "measured": f"init {cold_ratio}x ({deployed} ms vs {floor} ms); "
                            f"{ratio(cold['function-al2023-default-probe']['median_ms'], floor)}x without SSL_CERT_FILE, "
                            f"{ratio(cold['function-this-machine-roots']['median_ms'], floor)}x with this machine's roots; "
                            f"ready {ratio(ready, ready_floor)}x ({ready} ms vs {ready_floor} ms)",
                "met": cold_ratio <= TARGET_COLD_RATIO})
    ahead = results.get("first_versus_warm", {}).get("variants", {}).get("function, warm-up on, event 0.5 s after init")
    if ahead:
        out.append({"target": f"first invocation within {TARGET_FIRST_OVER_WARM}x of a warm one when init ran ahead",
                    "measured": f"{ahead['first_over_warm']}x ({ahead['first_invocation']['median_ms']} ms vs "
                                f"{ahead['warm_invocation']['median_ms']} ms, warm-up on)",
                    "met": ahead["first_over_warm"] <= TARGET_FIRST_OVER_WARM})
    big = results["warm"]["function"].get("12mp")
    if big:
        out.append({"target": f"peak memory for a 12 MP photo under {TARGET_PEAK_MB_12MP} MB",
                    "measured": f"{big['peak_rss_mib']} MiB",
                    "met": big["peak_rss_mib"] * 1.048576 < TARGET_PEAK_MB_12MP})
    zips = results.get("artifacts", {}).get("zips", {})
    if "imagepipe-function-arm64" in zips:
        size = zips["imagepipe-function-arm64"]["zip_bytes"]
        out.append({"target": "function zip under 8 MiB", "measured": f"{size} bytes",
                    "met": size < TARGET_ZIP_BYTES})
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO / "docs" / "bench"))
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--cold-runs", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--tls-runs", type=int, help="fresh processes per first-versus-warm variant")
    parser.add_argument("--no-zips", action="store_true")
    parser.add_argument("--zips-prebuilt", action="store_true",
                        help="report the zips dev/ci/lambda-zips.sh left in $CARGO_TARGET_DIR/dist "
                             "instead of building them (fails when they are missing)")
    parser.add_argument("--no-peers", action="store_true", help="leave out the Node.js and Python peers")
    parser.add_argument("--jitter-comparison", action="store_true",
                        help="also build bootstrap with AWS-LC's CPU jitter entropy (separate target dir) "
                             "and measure its start-up and first TLS handshake")
    parser.add_argument("--jitter-binary", metavar="PATH",
                        help="as --jitter-comparison, with a bootstrap already built that way")
    parser.add_argument("--render", metavar="JSON",
                        help="measure nothing: recompute the recommendation, cost and readings from a "
                             "results JSON written by this script and rewrite it and its markdown")
    parser.add_argument("--baseline", metavar="PATH",
                        help="a bootstrap built from another commit, copied out of the target dir: its "
                             "cold start is measured beside this tree's, in the as-deployed layout")
    parser.add_argument("--cold-start-only", action="store_true",
                        help="stop after the cold start: print its table and write nothing")
    parser.add_argument("--trim-comparison", action="store_true",
                        help="also build an untrimmed bootstrap in a throwaway worktree (~10+ min)")
    args = parser.parse_args()
    if args.render:
        render(Path(args.render))
        return
    smoke = args.smoke
    cold_runs = args.cold_runs or (3 if smoke else 15)
    rounds = args.rounds or (1 if smoke else 5)
    sizes = ["0.3mp"] if smoke else SIZES
    with_peers = not (smoke or args.no_peers)
    with_zips = not (smoke or args.no_zips)

    require("cargo", "install Rust with rustup (https://rustup.rs)")
    require("cargo-lambda", "pip install cargo-lambda (it brings zig)")
    for module in ("boto3", "moto", "PIL"):
        if importlib.util.find_spec(module) is None:
            die(f"Python module {module} missing: pip install 'moto[server]' boto3 pillow")

    results = {"smoke": smoke, "machine": {
        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
        "load_before": [round(x, 2) for x in load()]}}
    binaries = build_binaries()
    if args.jitter_binary:
        binaries["function-jitter-entropy"] = Path(args.jitter_binary)
        check(binaries["function-jitter-entropy"].is_file(), f"{args.jitter_binary} not found")
    elif args.jitter_comparison:
        binaries["function-jitter-entropy"] = build_jitter_entropy_bootstrap()
    node_argv = node_peer() if with_peers else None
    python_argv = python_peer() if with_peers else None
    peers = peer_variants(node_argv, python_argv)
    work = tempfile.mkdtemp(prefix="imagepipe-bench-lambda-")
    processes = Processes(work)
    stub = RuntimeStub()
    ok = False
    try:
        jpegs = photos_as_jpeg(work, sizes)
        results["photos"] = {s: {"bytes": j["bytes"], "megapixels": round(j["megapixels"], 2)}
                             for s, j in jpegs.items()}
        endpoint = start_moto(processes)
        emulator = Emulator(endpoint)
        emulator.create()
        uploads = Uploads(emulator, jpegs)
        photo_sizes = ", ".join(f"{s} {j['bytes']} B" for s, j in jpegs.items())
        log(f"moto on {endpoint}; photos {photo_sizes}")

        # 1. Cold start.
        # AWS_LAMBDA_RUNTIME_API is replaced per spawn by that spawn's own stub session.
        base = function_env(stub.address, endpoint, IMAGEPIPE_RENDITIONS=RENDITIONS)
        base["RUST_LOG"] = "warn"
        # Lambda sets both; boto3 reads only AWS_DEFAULT_REGION.
        base["AWS_DEFAULT_REGION"] = base["AWS_REGION"]
        hello_env = {k: base[k] for k in ("PATH", "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME",
                                          "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                          "AWS_REGION", "RUST_LOG")}
        al2023_root = Path(work) / "al2023-root"
        results["al2023_layout"] = al2023_trust.build(al2023_root)
        function_argv = [str(binaries["function"])]
        # As deployed: infra/function.tf sets SSL_CERT_FILE to the bundle, so no directory is read.
        deployed_env = dict(base, **al2023_trust.environment(al2023_root, bundle_only=True))
        variants = {
            "hello": ([str(binaries["hello"])], hello_env),
            # This machine's own trust roots, wherever openssl-probe finds them (on Debian the
            # bundle and every file of /etc/ssl/certs, 140+ of them).
            "function-this-machine-roots": (function_argv, base),
            # provided.al2023's layout, read the way rustls-native-certs reads it there with no
            # variable set: the PEM bundle, then /etc/ssl/certs and /etc/pki/tls/certs.
            "function-al2023-default-probe": (function_argv, dict(base, **al2023_trust.environment(al2023_root))),
            "function-al2023-as-deployed": (function_argv, deployed_env),
            "function-al2023-as-deployed-no-warm-up": (function_argv, dict(
                deployed_env, IMAGEPIPE_WARM_CONNECTIONS="false")),
        }
        # Diagnostic, not deployable: no trust roots at all (an empty SSL_CERT_FILE), the most any
        # other way of supplying them (compiled in, or loaded after init) could save.
        empty_bundle = Path(work) / "empty-bundle.pem"
        empty_bundle.write_text("")
        variants["function-no-trust-roots-diagnostic"] = (function_argv, dict(base, SSL_CERT_FILE=str(empty_bundle)))
        # What is left without roots and without the warm-up: configuration and the SDK clients.
        variants["function-no-trust-roots-no-warm-up-diagnostic"] = (function_argv, dict(
            base, SSL_CERT_FILE=str(empty_bundle), IMAGEPIPE_WARM_CONNECTIONS="false"))
        if args.baseline:
            check(Path(args.baseline).is_file(), f"--baseline {args.baseline} not found")
            variants["baseline-al2023-as-deployed"] = ([str(Path(args.baseline).resolve())], deployed_env)
        if "function-jitter-entropy" in binaries:
            variants["function-al2023-as-deployed-jitter-entropy-build"] = (
                [str(binaries["function-jitter-entropy"])], deployed_env)
        if node_argv:
            variants["node-sharp"] = (node_argv, base)
        if python_argv:
            variants["python-pillow"] = (python_argv, base)
        results["cold_start"] = cold_start(stub, variants, cold_runs, work)
        for name, s in results["cold_start"].items():
            log(f"cold start {name}: median {s['median_ms']} ms, p90 {s['p90_ms']} ms "
                f"(x{ratio(s['median_ms'], results['cold_start']['hello']['median_ms'])} the floor)")
        if args.cold_start_only:
            print("\n".join(cold_start_table(results["cold_start"])))
            ok = True
            return

        # 2. First invocation versus warm over TLS.
        tls = start_tls_proxy(processes, work, endpoint)
        tls_env = dict(base, **tls)
        no_warm_up = dict(tls_env, IMAGEPIPE_WARM_CONNECTIONS="false")
        fw_variants = {
            "function, warm-up on, event waiting": (function_argv, tls_env, 0.0),
            "function, warm-up off, event waiting": (function_argv, no_warm_up, 0.0),
            "function, warm-up on, event 0.5 s after init": (function_argv, tls_env, 0.5),
            "function, warm-up off, event 0.5 s after init": (function_argv, no_warm_up, 0.5),
        }
        if "function-jitter-entropy" in binaries:
            jitter_argv = [str(binaries["function-jitter-entropy"])]
            fw_variants["function (jitter entropy build), warm-up on, event 0.5 s after init"] = (
                jitter_argv, tls_env, 0.5)
            fw_variants["function (jitter entropy build), warm-up off, event 0.5 s after init"] = (
                jitter_argv, no_warm_up, 0.5)
        if node_argv:
            fw_variants["node-sharp, event waiting"] = (node_argv, tls_env, 0.0)
        if python_argv:
            fw_variants["python-pillow, event waiting"] = (python_argv, tls_env, 0.0)
        fw_runs, fw_warm = (2, 1) if smoke else (5, 3)
        fw_runs = args.tls_runs or fw_runs
        fw = first_versus_warm(stub, uploads, fw_variants, fw_runs, fw_warm, work)
        reading = warm_up_reading(fw)
        results["first_versus_warm"] = {"runs": fw_runs, "warm_invocations": fw_warm, "variants": fw,
                                        "reading": reading}
        for name, v in fw.items():
            log(f"{name}: init {v['init']['median_ms']} ms, first {v['first_invocation']['median_ms']} ms, "
                f"warm {v['warm_invocation']['median_ms']} ms")

        # 3. Warm end to end per size, alternating the binaries' order per size.
        results["warm"] = {"function": {}}
        results["warm"].update({label: {} for label in peers})
        results["peer_presets"] = {"node-sharp-bytes-matched": NODE_MATCHED,
                                   "python-pillow-bytes-matched": PYTHON_MATCHED}
        for index, size in enumerate(sizes):
            order = [("function", function_argv, {})]
            order += [(label, argv, extra) for label, (argv, extra) in peers.items()]
            if index % 2:
                order.reverse()
            for label, argv, extra in order:
                w = warm_e2e(processes, endpoint, uploads, argv, size, rounds, label, extra)
                w["required_memory_mb"] = required_memory_mb(w["peak_rss_mib"])
                results["warm"][label][size] = w
                log(f"warm {label} {size}: p50 {w['p50_ms']} ms, p95 {w['p95_ms']} ms, CPU {w['cpu_ms_median']} ms, "
                    f"peak RSS {w['peak_rss_mib']} MiB -> {w['required_memory_mb']} MB")

        # 4. Recommendation and cost.
        derive(results)
        for name, c in results["cost"]["rows"].items():
            log(f"cost {name}: {c['usd_per_million']} USD per million images at {c['memory_mb']} MB {c['architecture']}")

        # 5. Artifacts.
        artifacts = {}
        if with_zips:
            artifacts["zips"] = zip_sizes(build=not args.zips_prebuilt)
        if args.trim_comparison:
            artifacts["trim"] = trim_comparison(binaries["function"])
        if artifacts:
            results["artifacts"] = artifacts
        results["targets"] = targets(results)
        results["machine"]["load_after"] = [round(x, 2) for x in load()]
        ok = True
    except (Failure, subprocess.CalledProcessError, TimeoutError, RuntimeError) as failure:
        print(f"bench-lambda: FAIL: {failure}", file=sys.stderr)
    finally:
        stub.close()
        processes.stop_all()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"bench-lambda: logs kept in {work}", file=sys.stderr)
    if not ok:
        sys.exit(1)

    for t in results["targets"]:
        log(f"target: {t['target']}: {t['measured']} -> {'met' if t['met'] else 'NOT MET'}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "lambda-smoke" if smoke else "lambda"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{stem}.md").write_text(markdown(results))
    log(f"wrote {out / (stem + '.json')} and {out / (stem + '.md')}")


def warm_up_reading(fw):
    def first(on, gap):
        return fw[f"function, warm-up {on}, {gap}"]["first_invocation"]["median_ms"]

    def init(on, gap):
        return fw[f"function, warm-up {on}, {gap}"]["init"]["median_ms"]

    waiting, ahead = "event waiting", "event 0.5 s after init"
    warm_spread = max(v["warm_invocation"]["p90_ms"] - v["warm_invocation"]["min_ms"]
                      for k, v in fw.items() if k.startswith("function"))
    off_excess = fw[f"function, warm-up off, {ahead}"]["first_minus_warm_ms"]
    on_excess = fw[f"function, warm-up on, {ahead}"]["first_minus_warm_ms"]
    return (
        f"With init ahead of the request, warm-up takes the first invocation from {first('off', ahead)} ms to "
        f"{first('on', ahead)} ms (its excess over a warm invocation: {off_excess} ms without, {on_excess} ms "
        f"with). With the event already waiting (an on-demand cold start) it is {first('off', waiting)} ms "
        f"without and {first('on', waiting)} ms with. Init (spawn to first poll) is {init('off', waiting)} ms "
        f"without and {init('on', waiting)} ms with (the clients' build runs beside the poll on a nice-19 "
        "thread, and the warm-up it starts at normal priority). Only the DynamoDB connection is warmed (S3 is one host per bucket and the input bucket is "
        "only known from events); the first S3 request still opens its own connection, but finds the shared "
        "HTTP client's trust roots and TLS configuration loaded. On AWS each new connection also costs "
        "network round trips to the regional endpoint (TCP, then TLS 1.3), which loopback does not have, so "
        "the saving there is larger than measured here. Here, warm invocations of the same variant spread "
        f"over up to {round(warm_spread, 1)} ms (other builds share the 2 cores), so differences below that "
        "are noise: on loopback the handshake is a few milliseconds of CPU. "
        "The warm-up is on by default: on AWS it saves the DynamoDB connection's round trips on the first "
        "invocation for one GetItem per cold start; `IMAGEPIPE_WARM_CONNECTIONS=false` switches it off "
        "where init time matters more."
    )


def jitter_reading(fw):
    """What AWS-LC's CPU jitter entropy costs the first TLS handshake, from the two builds."""
    ahead = "event 0.5 s after init"
    pairs = {}
    for warm_up in ("on", "off"):
        shipped = fw.get(f"function, warm-up {warm_up}, {ahead}")
        jitter = fw.get(f"function (jitter entropy build), warm-up {warm_up}, {ahead}")
        if shipped and jitter:
            pairs[warm_up] = (shipped["cpu_ms"], jitter["cpu_ms"], shipped, jitter)
    if len(pairs) < 2:
        return ""
    on_shipped, on_jitter, _, _ = pairs["on"]
    off_shipped, off_jitter, off_s, off_j = pairs["off"]
    return (
        "Jitter entropy: AWS-LC seeds its DRBG on the first use of randomness in a process, which is the "
        "first TLS handshake. With warm-up on, that handshake runs in the background after init: it cost "
        f"{on_jitter['gap_cpu']} ms of CPU in the build with CPU jitter entropy and {on_shipped['gap_cpu']} ms "
        "in the shipped build (AWS_LC_SYS_NO_JITTER_ENTROPY=1, .cargo/config.toml). With warm-up off it "
        f"lands in the first invocation: {off_jitter['first_cpu']} ms versus {off_shipped['first_cpu']} ms of CPU "
        f"(warm invocations {off_j['cpu_ms']['warm_cpu']} and {off_s['cpu_ms']['warm_cpu']} ms), first "
        f"invocation {off_j['first_invocation']['median_ms']} ms versus {off_s['first_invocation']['median_ms']} ms "
        "of wall time. On Lambda this CPU is billed and, below 1769 MB, runs on a fraction of a vCPU, so its "
        "wall time there is longer than here."
    )


def derive(results):
    """Everything computed from the measurements rather than measured."""
    warm = results["warm"]["function"]
    required = {s: w["required_memory_mb"] for s, w in warm.items()}
    rec = recommend(warm, required, [512, 1024, 1536, 1769, 2048, 3008, 3538, 4096])
    rec["reasoning"] = recommendation_reasoning(rec, warm)
    results["recommendation"] = rec
    results["cost"] = cost_rows(results, rec)
    if "first_versus_warm" in results:
        results["first_versus_warm"]["reading"] = warm_up_reading(results["first_versus_warm"]["variants"])
        results["first_versus_warm"]["jitter_reading"] = jitter_reading(results["first_versus_warm"]["variants"])
    artifacts = results.get("artifacts")
    if artifacts is not None and "trim" not in artifacts:
        artifacts["trim_note"] = (
            "What trimming bought was not measured in this run: `--trim-comparison` builds the function "
            "again with the default features of aws-config, aws-sdk-s3, aws-sdk-dynamodb and image in a "
            "throwaway worktree, and that build (a second TLS stack and the extra codecs, cold) did not fit "
            "beside the other builds sharing these 2 cores; it was stopped."
        )
    if "targets" in results:
        results["targets"] = targets(results)


def render(path):
    results = json.loads(path.read_text())
    derive(results)
    path.write_text(json.dumps(results, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown(results))
    log(f"re-rendered {path} and {path.with_suffix('.md')}")


def cpu_model():
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def recommendation_reasoning(rec, warm):
    largest = list(warm)[-1]
    w = warm[largest]
    used = round(parallelism(w), 2)
    return (
        f"The {largest} photo needs {w['required_memory_mb']} MB (peak RSS {w['peak_rss_mib']} MiB + 25%, "
        f"rounded up), the floor for the sizes measured. The invocation is CPU-bound (decode, resize, and "
        f"above all the AVIF encoder): the {largest} one used {w['cpu_ms_median']} ms of CPU, spread so that "
        f"its total is {used}x its busiest thread's, so it can keep about {used} vCPUs busy (an upper bound; "
        "wall time here is no guide, the 2 cores were shared with other builds). Lambda gives "
        "CPU in proportion to memory (1769 MB = 1 vCPU): below the point where the share reaches what the "
        "invocation can use, more memory shortens the duration in the same proportion and the cost per image "
        "(duration x memory) stays flat; past it, memory only adds cost. That point is "
        f"{rec['knee_mb']} MB here, so the recommendation is the larger of it and the memory floor "
        f"({rec['floor_mb']} MB): the fastest size that costs no more per image. The thread spread is an "
        "upper bound on parallelism; if the encoder's threads took turns rather than overlapping, the "
        "invocation would not get faster past 1769 MB and this size would cost up to twice as much per image "
        "as 1769 MB (the table shows both). The model leaves out the "
        "time spent waiting on S3 and DynamoDB, which is billed at the full memory size: with small photos, "
        "where that wait is a larger share, a smaller size is slightly cheaper and slower. The renditions "
        f"are the stack's defaults, `{RENDITIONS}`, for both functions. arm64 is 20% cheaper per "
        "GB-second than x86_64 and the function builds, tests and runs end to end for it (rav1e has NEON "
        "assembly); Graviton's CPU time per image is not measured here, so the arm64 figures assume the "
        "x86_64 CPU time. The default limits (50 MP, 20000 px a side, 512 MiB decode budget) let a 12 MP "
        "photo through; a photo near the 50 MP limit would need about 4x the 12 MP figure's pixel memory, "
        "which a function for such photos should be sized for."
    )


def cost_rows(results, rec):
    """USD per million images at the recommended memory/arch for the largest size measured."""
    rows = {}
    size = list(results["warm"]["function"])[-1]
    cold = results["cold_start"]
    for label, per_size in results["warm"].items():
        w = per_size.get(size)
        if w is None:
            continue
        # Each at its own recommendation by the same rule: its memory floor or its CPU knee.
        memory = max(w["required_memory_mb"], int(round(parallelism(w) * MB_PER_VCPU)))
        duration = duration_estimate_ms(w, memory)
        init_ms = cold[cold_start_name(label)]["median_ms"]
        init_cost = round(init_ms / 1000 * memory / 1024 * PRICE_GB_S["arm64"] * 1_000_000, 2)
        display = w.get("output_bytes", {}).get("display")
        function_display = results["warm"]["function"][size].get("output_bytes", {}).get("display")
        rows[label] = {"size": size, "memory_mb": memory, "architecture": "arm64",
                       "cpu_ms": w["cpu_ms_median"], "duration_ms": round(duration, 1),
                       "display_bytes": display,
                       "display_bytes_vs_function": ratio(display, function_display) if display else None,
                       "usd_per_million": cost_per_million(duration, memory, "arm64"),
                       "init_ms": init_ms, "init_usd_per_million_cold_starts": init_cost}
    rust = rows["function"]
    parts = []
    for label, row in rows.items():
        if label != "function":
            parts.append(f"{label} {row['usd_per_million']} (x{ratio(rust['usd_per_million'], row['usd_per_million'])}, "
                         f"CPU {row['cpu_ms']} ms, display rendition x{row['display_bytes_vs_function']} the function's bytes)")
    reading = ""
    if parts:
        reading = (
            f"Per {size} image the Rust function costs {rust['usd_per_million']} USD per million (CPU "
            f"{rust['cpu_ms']} ms); " + "; ".join(parts) + ". The function runs ravif at imagepipe-core's "
            "defaults; `node-sharp` and `python-pillow` run their libraries' AVIF defaults (sharp quality 50, "
            "effort 4, 4:4:4; Pillow quality 75, speed 6, 4:2:0), so those rows compare the functions as shipped; "
            "the `-bytes-matched` rows run each library's fast libaom preset at a quality whose bytes come near "
            "the function's (the ratio column says how near), which compares like with like by size "
            "(quality at equal size is the encoder benchmark's subject). INIT (billed on provided.al2023, and on "
            "managed runtimes too since August 2025) is paid per cold start, not per image."
        )
    return {"rows": rows, "reading": reading}


if __name__ == "__main__":
    main()
