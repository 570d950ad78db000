#!/usr/bin/env python3
"""Bounded load test on loopback: N objects (mostly small generated PNGs of a few sizes, some
sample photos, a share of bad inputs) land in moto's versioned input bucket, S3 notifies the
queue, and the queue is drained into the release function in batches of 10 the way the event
source mapping does (partial batch responses, failures redelivered). On purpose, some messages
are delivered twice, batches are shuffled, and for a few keys a newer version's event is
delivered before the older version's. Then everything is reconciled: one record per object,
statuses as expected, every rendition decodes with avifdec, nothing processed twice, the newer
version kept.

Usage: load_run.py --binary PATH [--objects 1000] [--duplicates 0.05] [--versioned 10] [--seed N]
"""

import argparse
import json
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import (
    INPUT_BUCKET, REPLAY_RECEIPT, SAMPLES, UPLOAD_PREFIX, Stack, check, drain, event_keys, log,
    object_id, peak_rss_kib, percentile, reconcile, s3_event,
)
from inputs import BAD, BAD_SUFFIX, png, with_marker

harness.LOG_PREFIX = "load"
BATCH_SIZE = 10
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
            objects[f"{UPLOAD_PREFIX}load/{index:05d}-{name}{BAD_SUFFIX[name]}"] = (body, "failed", kinds)
        elif roll < bad_share + 0.03:
            name = PHOTOS[index % len(PHOTOS)]
            objects[f"{UPLOAD_PREFIX}load/{index:05d}-{name}"] = (photos[name], "complete", None)
        else:
            size = SIZES[index % len(SIZES)]
            body = with_marker(rng.choice(bases[size]), f"load object {index}")
            objects[f"{UPLOAD_PREFIX}load/{index:05d}-{size[0]}x{size[1]}.png"] = (body, "complete", None)
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
        function = stack.start_function()

        objects = make_objects(args.objects, args.bad_share, rng)
        started = time.monotonic()

        def put(item):
            key, (body, _, _) = item
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, objects.items()))
        # Keys written twice, outside the notification prefix: their events are sent the way
        # real S3 sends them, with version ids and sequencers (moto's events carry neither).
        newer = {}
        for index in range(args.versioned):
            key = f"versioned/{index:03d}.png"
            events = []
            for version in (1, 2):
                body = with_marker(png(96, 64, seed=5000 + index), f"version {version} of {key}")
                emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)
                head = emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
                events.append(s3_event(head, key, version))
                newer[key] = head["VersionId"]
            check(events[0]["Records"][0]["s3"]["object"]["versionId"] != newer[key],
                  f"{key}: the bucket did not version the overwrite")
            for event in events:
                emulator.sqs.send_message(QueueUrl=emulator.queue_url, MessageBody=json.dumps(event))
            objects[key] = (body, "complete", None)
        upload_s = time.monotonic() - started
        bad = sum(1 for _, outcome, _ in objects.values() if outcome == "failed")
        log(f"uploaded {len(objects)} objects ({bad} bad), {len(newer)} of them in two versions, in {upload_s:.1f} s")

        disorder = Disorder(rng, args.duplicates, newer)
        started = time.monotonic()
        responses = drain(emulator, function, {}, batch_size=BATCH_SIZE, plan=disorder,
                          redeliver_after=1, timeout=args.timeout)
        drain_s = time.monotonic() - started
        rss = peak_rss_kib(stack.function_pid())
        check(stack.function_alive(), "the function process died")
        check("panicked" not in stack.function_output(), "the function log shows a panic")

        started = time.monotonic()
        expected = {k: (outcome, kinds) for k, (_, outcome, kinds) in objects.items()}
        summary = reconcile(emulator, expected, stack.work, stack.function_output())
        check(not summary["orphan_outputs"], f"renditions no record names: {summary['orphan_outputs'][:10]}")
        records = emulator.records()
        for key, version in newer.items():
            stored = records[object_id(key)]["version_id"]["S"]
            check(stored == version, f"{key}: the record holds version {stored}, the newest is {version}")
        verify_s = time.monotonic() - started

        deliveries = sum(len(batch) for batch, _ in responses)
        item_failures = sum(len(failed) for _, failed in responses)
        latencies = sorted(function.latencies)
        p95 = percentile(latencies, 0.95)
        log(f"objects {len(objects)}, outcomes {summary['by_outcome']}")
        log(f"drained in {drain_s:.1f} s: {len(objects) / drain_s:.1f} objects/s, {len(responses)} "
            f"invocations ({deliveries} messages delivered, {disorder.duplicates} on purpose twice, "
            f"{disorder.late_older} older-version events after the newer), "
            f"{item_failures} batch item failures")
        log(f"batch latency p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
            f"function peak RSS {rss / 1024:.1f} MiB" if rss else "peak RSS unavailable")
        log(f"reconciled in {verify_s:.1f} s: {summary['records']} records for {len(objects)} objects, "
            f"{summary['dlq']} in the DLQ, {summary['renditions']} renditions decoded by avifdec, "
            f"{summary['records_written']} record writes (none twice for an object), every second "
            f"version's record kept")
        check(item_failures == 0, f"{item_failures} batch item failures without any fault injected")
        check(disorder.late_older == len(newer), f"{disorder.late_older} late older events, expected {len(newer)}")

    stack.run(scenario)


if __name__ == "__main__":
    main()
