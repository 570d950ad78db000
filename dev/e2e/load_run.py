#!/usr/bin/env python3
"""Bounded load test on loopback: N objects (mostly small generated PNGs of a few sizes, some
sample photos, a share of bad inputs) land in moto's versioned input bucket, each with the S3
notification real S3 sends (version id and an increasing sequencer; moto's own notifications
carry neither) on the queue, and the queue is drained into P release function processes at
once, each under its own Runtime API, in batches of 10 the way the event source mapping does on
Lambda's concurrent instances (partial batch responses, failures redelivered). On purpose, some
messages are delivered twice (the copy in a later batch, often on another instance while the
first is still running), batches are shuffled, and for a few keys a newer version's event is
delivered before the older version's (on concurrent instances the two race). Then everything is
reconciled: one record per object (0 lost), statuses as expected, every rendition decodes with
avifdec, no object version recorded twice (0 duplicated: a concurrent duplicate is refused by
the sequencer condition of the record write), the newest version kept.

Usage: load_run.py --binary PATH [--objects 1000] [--processes 3] [--duplicates 0.05]
                   [--versioned 10] [--seed N]
"""

import argparse
import json
import random
import statistics
import time
import threading
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import (
    INPUT_BUCKET, OUTPUT_PREFIX, REPLAY_RECEIPT, SAMPLES, Stack, check, drain_concurrently, event_keys, log,
    object_id, peak_rss_kib, percentile, reconcile, s3_event, s3_sequencer, written_counts,
)
from inputs import BAD, BAD_SUFFIX, png, with_marker

harness.LOG_PREFIX = "load"
BATCH_SIZE = 10
# Outside the notification prefix (harness.UPLOAD_PREFIX): this script sends each object's event
# itself, in the shape real S3 sends, instead of moto's.
LOAD_PREFIX = "load/"
SIZES = [(64, 48), (160, 120), (320, 240), (480, 320)]
PHOTOS = ["astronaut.jpg", "coffee.webp", "astronaut-palette.gif", "logo-alpha.png"]


def make_objects(count, bad_share, rng):
    """key -> (bytes, expected outcome, failure kinds)."""
    bases = {size: [png(*size, seed=variant * 97 + size[0]) for variant in range(3)] for size in SIZES}
    photos = {name: (SAMPLES / "images" / name).read_bytes() for name in PHOTOS}
    objects = {}
    bad_kinds = sorted(BAD)
    bad = 0
    for index in range(count):
        roll = rng.random()
        if roll < bad_share:
            name = bad_kinds[bad % len(bad_kinds)]
            bad += 1
            body, kinds = BAD[name]
            objects[f"{LOAD_PREFIX}{index:05d}-{name}{BAD_SUFFIX[name]}"] = (body, "failed", kinds)
        elif roll < bad_share + 0.03:
            name = PHOTOS[index % len(PHOTOS)]
            objects[f"{LOAD_PREFIX}{index:05d}-{name}"] = (photos[name], "complete", None)
        else:
            size = SIZES[index % len(SIZES)]
            body = with_marker(rng.choice(bases[size]), f"load object {index}")
            objects[f"{LOAD_PREFIX}{index:05d}-{size[0]}x{size[1]}.png"] = (body, "complete", None)
    return objects


class Disorder:
    """The event source mapping's `plan` that misbehaves on purpose: shuffles what it hands the
    function, delivers a share of messages a second time in a later batch, and holds an older
    version's event back until the newer version's has been delivered."""

    def __init__(self, rng, duplicate_share, newer_versions):
        self.rng = rng
        self.duplicate_share = duplicate_share
        self.newer_versions = newer_versions  # key -> newest version id
        self.newer_seen = set()
        self.held = []  # older-version events waiting for their newer one
        self.carry = []  # messages (real or replays) waiting for room in a batch
        self.duplicates = 0
        self.late_older = 0

    def _versions(self, message):
        try:
            records = json.loads(message["Body"]).get("Records", [])
        except ValueError:
            return []
        return [(k, r["s3"]["object"].get("versionId")) for k, r in zip(event_keys(message["Body"]), records)]

    def __call__(self, received):
        pool = list(self.carry)
        self.carry = []
        for message in received:
            versions = self._versions(message)
            older = [k for k, v in versions if k in self.newer_versions and v != self.newer_versions[k]]
            if older and not all(k in self.newer_seen for k in older):
                if all(m["MessageId"] != message["MessageId"] for m in self.held):
                    self.held.append(message)
                continue
            if older:
                self.late_older += 1  # came late by itself
            pool.append(message)
            if self.rng.random() < self.duplicate_share:
                replay = dict(message, ReceiptHandle=f"{REPLAY_RECEIPT}{message['MessageId']}")
                self.carry.append(replay)
                self.duplicates += 1
        self.rng.shuffle(pool)
        batch, rest = pool[:BATCH_SIZE], pool[BATCH_SIZE:]
        self.carry.extend(rest)
        for message in batch:
            for key, version in self._versions(message):
                if self.newer_versions.get(key) == version:
                    self.newer_seen.add(key)
        ready = [m for m in self.held
                 if all(k in self.newer_seen for k, _ in self._versions(m) if k in self.newer_versions)]
        self.held = [m for m in self.held if m not in ready]
        self.late_older += len(ready)
        self.carry.extend(ready)
        return batch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=3,
                        help="function processes draining the queue at once")
    parser.add_argument("--bad-share", type=float, default=0.08)
    parser.add_argument("--duplicates", type=float, default=0.05, help="share delivered twice")
    parser.add_argument("--versioned", type=int, default=10, help="keys given a second version")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=int, default=1500, help="seconds for the drain")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    stack = Stack(args.binary)

    def scenario():
        # Held and carried messages stay in flight for a while: keep them invisible meanwhile.
        emulator = stack.start_moto(visibility_timeout=300)
        functions = stack.start_functions(args.processes)

        objects = make_objects(args.objects, args.bad_share, rng)
        started = time.monotonic()
        sequence = iter(range(1, 1 << 62))
        sequence_lock = threading.Lock()
        events = []

        def put(key, body):
            """Uploads one version and returns its event, sequenced after every earlier put."""
            answer = emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)
            head = {"ContentLength": len(body), "ETag": answer["ETag"],
                    "VersionId": answer.get("VersionId")}
            with sequence_lock:
                return s3_event(head, key, s3_sequencer(next(sequence)))

        with ThreadPoolExecutor(max_workers=8) as pool:
            events += pool.map(lambda item: put(item[0], item[1][0]), objects.items())
        # Keys written twice: the second version's event has the greater sequencer.
        newer = {}
        for index in range(args.versioned):
            key = f"versioned/{index:03d}.png"
            versions = []
            for version in (1, 2):
                body = with_marker(png(96, 64, seed=5000 + index), f"version {version} of {key}")
                versions.append(put(key, body))
            newer[key] = versions[1]["Records"][0]["s3"]["object"]["versionId"]
            check(versions[0]["Records"][0]["s3"]["object"]["versionId"] != newer[key],
                  f"{key}: the bucket did not version the overwrite")
            events += versions
            objects[key] = (body, "complete", None)
        for chunk in range(0, len(events), 10):
            entries = [{"Id": str(i), "MessageBody": json.dumps(event)}
                       for i, event in enumerate(events[chunk:chunk + 10])]
            answer = emulator.sqs.send_message_batch(QueueUrl=emulator.queue_url, Entries=entries)
            check(not answer.get("Failed"), f"SendMessageBatch failed: {answer.get('Failed')}")
        upload_s = time.monotonic() - started
        bad = sum(1 for _, outcome, _ in objects.values() if outcome == "failed")
        log(f"uploaded {len(objects)} objects ({bad} bad), {len(newer)} of them in two versions, "
            f"in {upload_s:.1f} s; {len(events)} S3 notifications with sequencers on the queue")

        disorder = Disorder(rng, args.duplicates, newer)
        started = time.monotonic()
        responses = drain_concurrently(emulator, functions, batch_size=BATCH_SIZE, plan=disorder,
                                       redeliver_after=1, timeout=args.timeout)
        drain_s = time.monotonic() - started
        rss = [peak_rss_kib(pid) for pid in stack.function_pids()]
        check(stack.function_alive(), "a function process died")
        output = stack.function_output()
        check("panicked" not in output, "the function log shows a panic")

        started = time.monotonic()
        expected = {k: (outcome, kinds) for k, (_, outcome, kinds) in objects.items()}
        # Two versions racing on two instances may both be written (older first): one write
        # per version, the newer one last, is right.
        summary = reconcile(emulator, expected, stack.work, output,
                            writes_allowed={key: 2 for key in newer})
        # An older version that lost its race to a concurrent newer one may have written its
        # renditions before its record write was refused: those (under that version's own key
        # path) are the only outputs allowed without a record.
        def source_key(output):
            return output.removeprefix(OUTPUT_PREFIX).rsplit("/", 2)[0]
        stray = [o for o in summary["orphan_outputs"] if source_key(o) not in newer]
        check(not stray, f"renditions no record names: {stray[:10]}")
        superseded_outputs = len(summary["orphan_outputs"]) - len(stray)
        records = emulator.records()
        for key, version in newer.items():
            stored = records[object_id(key)]["version_id"]["S"]
            check(stored == version, f"{key}: the record holds version {stored}, the newest is {version}")
        verify_s = time.monotonic() - started

        deliveries = sum(len(batch) for batch, _ in responses)
        item_failures = sum(len(failed) for _, failed in responses)
        stale = sum(written_counts(output, write="Stale").values())
        # The function's outcome line, not the pipeline's reason line beside it.
        already = sum(1 for line in output.splitlines()
                      if "already recorded" in line and "from this version" not in line)
        latencies = sorted(f for function in functions for f in function.latencies)
        p95 = percentile(latencies, 0.95)
        log(f"objects {len(objects)}, outcomes {summary['by_outcome']}")
        log(f"{args.processes} function processes drained in {drain_s:.1f} s: "
            f"{len(objects) / drain_s:.1f} objects/s, {len(responses)} invocations "
            f"({deliveries} messages delivered, {disorder.duplicates} on purpose twice, "
            f"{disorder.late_older} older-version events after the newer), "
            f"{item_failures} batch item failures")
        log(f"repeats settled: {already} skipped as already recorded before any download, "
            f"{stale} record writes refused by the sequencer condition (a concurrent duplicate "
            f"or an older version losing its race)")
        peak = max((r for r in rss if r), default=None)
        log(f"batch latency p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
            f"function peak RSS {peak / 1024:.1f} MiB (highest of {len(rss)})" if peak else "peak RSS unavailable")
        log(f"reconciled in {verify_s:.1f} s: {summary['records']} records for {len(objects)} objects, "
            f"lost {summary['lost']}, duplicated {summary['duplicated']}, "
            f"{summary['dlq']} in the DLQ, {summary['renditions']} renditions decoded by avifdec, "
            f"{summary['records_written']} record writes, newest version kept for all {len(newer)} "
            f"versioned keys; {superseded_outputs} renditions of older versions that lost their "
            f"race left without a record")
        check(item_failures == 0, f"{item_failures} batch item failures without any fault injected")
        check(disorder.late_older == len(newer), f"{disorder.late_older} late older events, expected {len(newer)}")

    stack.run(scenario)


if __name__ == "__main__":
    main()
