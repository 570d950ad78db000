#!/usr/bin/env python3
"""Fault injection end to end: the release function talks to moto through fault_proxy.py, which
throttles, fails, resets and slows chosen S3 and DynamoDB calls. The script plays the event
source mapping (harness.drain) and then checks the promise: every object ends with exactly one
record (complete with renditions, or failed with a reason) or sits in the dead-letter queue,
nothing was processed twice, and the proxy's log shows how each fault was survived (the SDK's
own retries with backoff, or a batch item failure and a redelivery).

Usage: fault_run.py --binary PATH [--long] [--random-objects N] [--seed N]
  short (default): one object per deterministic fault case (< 1 min once built).
  --long: the cases, then N objects (default 150) under random faults on every operation.
"""

import argparse
import random
import re
import statistics
import time

import harness
from fault_proxy import FaultProxy, Rule
from harness import (
    INPUT_BUCKET, MAX_RECEIVE_COUNT, OUTPUT_PREFIX, UPLOAD_PREFIX, Stack, check, drain, log,
    peak_rss_kib, reconcile,
)
from inputs import BAD, png

harness.LOG_PREFIX = "fault-e2e"
ATTEMPT_TIMEOUT_MS = 1500
SLOW = 3.0  # seconds a "slow" answer is held back: twice the attempt timeout
SDK_MAX_ATTEMPTS = 3  # the standard retry mode's default


def fault_key(name, suffix=".png"):
    return f"{UPLOAD_PREFIX}fault/{name}{suffix}"


def pattern(name):
    """Matches the input key, its renditions' keys and its record's object id."""
    return re.escape(f"fault/{name}.")


# Objects uploaded (so S3 sends their event) and deleted before the function reads them: moto
# answers 404 NoSuchKey, as S3 does to a role with s3:ListBucket.
DELETED = ("deleted",)

# name -> (rules, expected outcome, failure kinds)
CASES = {
    "plain": ([], "complete", None),
    "slowdown": ([Rule("s3-503", "s3", "GetObject", "status", key=pattern("slowdown"), status=503,
                       code="SlowDown", count=2)], "complete", None),
    "internal-error-put": ([Rule("s3-500-put", "s3", "PutObject", "status",
                                 key=pattern("internal-error-put"), status=500,
                                 code="InternalError", count=1, per_key=True)], "complete", None),
    "throttled-dynamodb": ([
        Rule("ddb-throttle-get", "dynamodb", "GetItem", "status", key=pattern("throttled-dynamodb"),
             status=400, code="ThrottlingException", count=2),
        Rule("ddb-throughput-put", "dynamodb", "PutItem", "status", key=pattern("throttled-dynamodb"),
             status=400, code="ProvisionedThroughputExceededException", count=1),
    ], "complete", None),
    "reset-before": ([Rule("reset-before", "s3", "GetObject", "reset", key=pattern("reset-before"),
                           count=1)], "complete", None),
    "reset-mid-body": ([Rule("reset-mid-body", "s3", "GetObject", "reset_mid",
                             key=pattern("reset-mid-body"), count=1)], "complete", None),
    "stalled-body": ([Rule("stalled-body", "s3", "GetObject", "stall_body", key=pattern("stalled-body"),
                           delay=SLOW, count=1)], "complete", None),
    "slow-get": ([Rule("slow-get", "s3", "GetObject", "delay", key=pattern("slow-get"), delay=SLOW,
                       count=1)], "complete", None),
    "slow-put-item": ([Rule("slow-put-item", "dynamodb", "PutItem", "delay",
                            key=pattern("slow-put-item"), delay=SLOW, count=1)], "complete", None),
    "always-slowdown": ([Rule("s3-503-always", "s3", "GetObject", "status",
                              key=pattern("always-slowdown"), status=503, code="SlowDown")], "dlq", None),
    # The deployment's fault (a role or KMS key policy): retried until the DLQ, no record, so a
    # redrive after the fix finds nothing in its way.
    "denied": ([Rule("s3-403", "s3", "GetObject", "status", key=pattern("denied"), status=403,
                     code="AccessDenied")], "dlq", None),
    "kms-disabled": ([Rule("s3-kms-disabled", "s3", "GetObject", "status", key=pattern("kms-disabled"),
                           status=400, code="KMS.DisabledException")], "dlq", None),
    "record-denied": ([Rule("ddb-403-put", "dynamodb", "PutItem", "status",
                            key=pattern("record-denied"), status=400,
                            code="AccessDeniedException")], "dlq", None),
}


def sdk_calls(proxy, operation, name):
    """The SDK invocations (one per call the function made, retries included) of `operation`
    on `name`'s objects: invocation id -> its logged attempts, in order."""
    calls = {}
    for entry in proxy.entries(operation=operation):
        if re.search(pattern(name), entry["key"] or ""):
            calls.setdefault(entry["invocation"], []).append(entry)
    return calls


def retried_within_call(proxy, operation, name, faults):
    """Asserts one call of `operation` that failed `faults` times and then succeeded, all under
    one SDK invocation id (the SDK's retries, not a redelivery). Returns the gaps in seconds."""
    for attempts in sdk_calls(proxy, operation, name).values():
        faulted = [a for a in attempts if a["fault"]]
        if len(faulted) == faults and attempts[-1]["fault"] is None and attempts[-1]["status"] == 200:
            check(attempts[0]["attempt"].startswith("attempt=1") and attempts[1]["attempt"].startswith("attempt=2"),
                  f"{name}: attempts numbered {[a['attempt'] for a in attempts]}")
            return [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:])]
    raise harness.Failure(f"{name}: no {operation} call retried past {faults} faults: "
                          f"{[[(a['attempt'], a['fault'], a['status']) for a in c] for c in sdk_calls(proxy, operation, name).values()]}")


def check_case_logs(proxy, responses):
    """What the proxy saw for each deterministic case."""
    failed_keys = set()
    for batch, failed in responses:
        for message in batch:
            if message["MessageId"] in failed:
                failed_keys.update(harness.event_keys(message["Body"]))
    gaps = {}
    gaps["slowdown"] = retried_within_call(proxy, "GetObject", "slowdown", 2)
    gaps["internal-error-put"] = retried_within_call(proxy, "PutObject", "internal-error-put", 1)
    put_calls = [c for c in sdk_calls(proxy, "PutObject", "internal-error-put").values() if c[0]["fault"]]
    check(len(put_calls) == 2, f"each rendition's PutObject must have been faulted once, {len(put_calls)} were")
    gaps["throttled-dynamodb GetItem"] = retried_within_call(proxy, "GetItem", "throttled-dynamodb", 2)
    gaps["throttled-dynamodb PutItem"] = retried_within_call(proxy, "PutItem", "throttled-dynamodb", 1)
    gaps["reset-before"] = retried_within_call(proxy, "GetObject", "reset-before", 1)
    gaps["slow-get"] = retried_within_call(proxy, "GetObject", "slow-get", 1)
    check(gaps["slow-get"][0] >= ATTEMPT_TIMEOUT_MS / 1000 * 0.9,
          f"slow-get was retried after {gaps['slow-get'][0]:.2f} s, before the attempt timeout")
    check(gaps["slow-get"][0] < SLOW, f"slow-get waited the slow answer out ({gaps['slow-get'][0]:.2f} s)")
    gaps["slow-put-item"] = retried_within_call(proxy, "PutItem", "slow-put-item", 1)

    # A reset or a stall in the middle of GetObject's body surfaces after the SDK's retry loop:
    # the message must come back as a batch item failure and complete on its redelivery.
    for name in ("reset-mid-body", "stalled-body"):
        calls = sdk_calls(proxy, "GetObject", name)
        check(len(calls) == 2, f"{name}: {len(calls)} GetObject calls, expected 2 (one per delivery)")
        check(fault_key(name) in failed_keys, f"{name} was never a batch item failure")

    # What keeps failing transiently: every delivery retries in the SDK, then the message goes.
    always = sdk_calls(proxy, "GetObject", "always-slowdown")
    check(len(always) == MAX_RECEIVE_COUNT,
          f"always-slowdown: {len(always)} deliveries reached the function, expected {MAX_RECEIVE_COUNT}")
    check(all(len(c) == SDK_MAX_ATTEMPTS for c in always.values()),
          f"always-slowdown: attempts per delivery {[len(c) for c in always.values()]}, expected {SDK_MAX_ATTEMPTS}")
    check(fault_key("always-slowdown") in failed_keys, "always-slowdown was never a batch item failure")

    # A refusal is not retried inside the SDK, but every delivery tries again, then the DLQ.
    for name in ("denied", "kms-disabled"):
        refused = sdk_calls(proxy, "GetObject", name)
        check(len(refused) == MAX_RECEIVE_COUNT and all(len(c) == 1 for c in refused.values()),
              f"{name}: GetObject calls {[len(c) for c in refused.values()]}, expected "
              f"{MAX_RECEIVE_COUNT} deliveries of one attempt")
        check(fault_key(name) in failed_keys, f"{name} was never a batch item failure")
    # A deleted object is recorded at once: one read, no redelivery.
    for name in DELETED:
        reads = sdk_calls(proxy, "GetObject", name)
        check(len(reads) == 1 and all(a["status"] == 404 for c in reads.values() for a in c),
              f"{name}: GetObject {[[a['status'] for a in c] for c in reads.values()]}, expected one 404")
    record_denied = sdk_calls(proxy, "PutItem", "record-denied")
    check(len(record_denied) == MAX_RECEIVE_COUNT and all(len(c) == 1 for c in record_denied.values()),
          f"record-denied: PutItem calls {[len(c) for c in record_denied.values()]}, expected "
          f"{MAX_RECEIVE_COUNT} deliveries of one attempt")
    return gaps


def random_rules(rate):
    """Faults of every kind on every operation the function makes, at `rate` each."""
    return [
        Rule("rnd-s3-503-get", "s3", "GetObject", "status", status=503, code="SlowDown", probability=rate),
        Rule("rnd-reset-get", "s3", "GetObject", "reset", probability=rate / 2),
        Rule("rnd-reset-mid-get", "s3", "GetObject", "reset_mid", probability=rate / 4),
        Rule("rnd-slow-get", "s3", "GetObject", "delay", delay=SLOW, probability=rate / 4),
        Rule("rnd-stall-get", "s3", "GetObject", "stall_body", delay=SLOW, probability=rate / 4),
        Rule("rnd-s3-500-put", "s3", "PutObject", "status", status=500, code="InternalError", probability=rate),
        Rule("rnd-reset-put", "s3", "PutObject", "reset", probability=rate / 2),
        Rule("rnd-throttle-get-item", "dynamodb", "GetItem", "status", status=400,
             code="ThrottlingException", probability=rate),
        Rule("rnd-throughput-put-item", "dynamodb", "PutItem", "status", status=400,
             code="ProvisionedThroughputExceededException", probability=rate),
        Rule("rnd-slow-put-item", "dynamodb", "PutItem", "delay", delay=SLOW, probability=rate / 4),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--long", action="store_true", help="add a phase of random faults")
    parser.add_argument("--random-objects", type=int, default=150)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    proxy_box = {}
    stack = Stack(args.binary, extra_env={
        "IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS": str(ATTEMPT_TIMEOUT_MS),
        "IMAGEPIPE_SDK_OPERATION_TIMEOUT_MS": str(ATTEMPT_TIMEOUT_MS * 5),
    })

    def scenario():
        # Messages of a slow batch must not come back while it runs; failures come back fast.
        emulator = stack.start_moto(visibility_timeout=60)
        proxy = FaultProxy(int(stack.endpoint.rsplit(":", 1)[1]), seed=args.seed).start()
        proxy_box["proxy"] = proxy
        stack.function_endpoint = proxy.endpoint
        function = stack.start_function()
        log(f"fault proxy on {proxy.endpoint} in front of moto; SDK attempt timeout {ATTEMPT_TIMEOUT_MS} ms")

        # 1. One object per deterministic case, plus bad inputs.
        expected = {}
        rules = []
        for index, (name, (case_rules, outcome, kinds)) in enumerate(CASES.items()):
            key = fault_key(name)
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=png(40 + index, 32, seed=index))
            expected[key] = (outcome, kinds)
            rules.extend(case_rules)
        for name, (body, kinds) in BAD.items():
            key = fault_key(f"bad-{name}")
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)
            expected[key] = ("failed", kinds)
        for name in DELETED:
            key = fault_key(name)
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=png(40, 32, seed=99))
            emulator.s3.delete_object(Bucket=INPUT_BUCKET, Key=key)
            expected[key] = ("failed", {"source_unreadable"})
        proxy.set_rules(rules)
        started = time.monotonic()
        responses = drain(emulator, function, {}, batch_size=5, redeliver_after=1)
        elapsed = time.monotonic() - started
        gaps = check_case_logs(proxy, responses)
        summary = reconcile(emulator, expected, stack.work, stack.function_output())
        orphans = {o for o in summary["orphan_outputs"]
                   if not o.startswith(f"{OUTPUT_PREFIX}{fault_key('record-denied')}/")}
        check(not orphans, f"renditions no record names: {sorted(orphans)[:10]}")
        log(f"deterministic cases: {len(expected)} objects in {elapsed:.1f} s, {len(responses)} batches; "
            f"outcomes {summary['by_outcome']}")
        for name, case_gaps in gaps.items():
            log(f"  {name}: retried in the SDK after {', '.join(f'{g:.2f} s' for g in case_gaps)}")
        log(f"  reset-mid-body, stalled-body: batch item failure, completed on redelivery; always-slowdown: "
            f"{MAX_RECEIVE_COUNT} deliveries x {SDK_MAX_ATTEMPTS} attempts, then the DLQ; denied, "
            f"kms-disabled: {MAX_RECEIVE_COUNT} deliveries x 1 attempt, DLQ, no record; deleted: one 404, "
            f"failed record; record-denied: DLQ, "
            f"{len(summary['orphan_outputs'])} renditions left without a record")

        if args.long:
            random_phase(emulator, function, proxy, stack, expected, args)

        check(stack.function_alive(), "the function process died")
        check("panicked" not in stack.function_output(), "the function log shows a panic")
        rss = peak_rss_kib(stack.function_pid())
        log(f"{len(proxy.log)} requests through the proxy, "
            f"{sum(1 for e in proxy.log if e['fault'])} faults injected; function peak RSS "
            f"{rss / 1024:.1f} MiB" if rss else "peak RSS unavailable")

    try:
        stack.run(scenario)
    finally:
        if "proxy" in proxy_box:
            proxy_box["proxy"].stop()


def random_phase(emulator, function, proxy, stack, expected, args):
    """Random faults on every operation: each object completes, fails for its own reasons, or
    (when its retries and redeliveries all fail) sits in the DLQ. Nothing else."""
    rng = random.Random(args.seed)
    phase = {}
    for index in range(args.random_objects):
        if index % 10 == 9:
            name = rng.choice(sorted(BAD))
            key = f"{UPLOAD_PREFIX}fault/random/{index:04d}-{name}.bin"
            body, kinds = BAD[name]
            phase[key] = ("failed", kinds)
        else:
            key = f"{UPLOAD_PREFIX}fault/random/{index:04d}.png"
            body = png(rng.randrange(24, 96), rng.randrange(24, 96), seed=1000 + index)
            phase[key] = ("complete", None)
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)
    proxy.set_rules(random_rules(args.fault_rate))
    injected_before = sum(1 for e in proxy.log if e["fault"])
    started = time.monotonic()
    responses = drain(emulator, function, {}, batch_size=10, redeliver_after=1, timeout=1200)
    elapsed = time.monotonic() - started
    proxy.set_rules([])
    dead = {k for body in emulator.dead_letters() for k in harness.event_keys(body)}
    for key in dead & set(phase):
        phase[key] = ("dlq", None)
    expected.update(phase)
    summary = reconcile(emulator, expected, stack.work, stack.function_output())
    # A message dead-lettered after its renditions were written leaves them behind.
    orphans = {o for o in summary["orphan_outputs"]
               if not any(o.startswith(f"{OUTPUT_PREFIX}{k}/") for k in dead)}
    check(not orphans, f"renditions no record names, for objects not in the DLQ: {sorted(orphans)[:10]}")
    retried = sum(len(failed) for _, failed in responses)
    calls = {}
    for entry in proxy.log:
        calls.setdefault(entry["invocation"], []).append(entry)
    sdk_retries = sum(len(c) - 1 for c in calls.values())
    gaps = [b["at"] - a["at"] for c in calls.values() for a, b in zip(c, c[1:])]
    log(f"random faults at rate {args.fault_rate}: {len(phase)} objects in {elapsed:.1f} s "
        f"({len(phase) / elapsed:.1f} objects/s), {len(responses)} batches, "
        f"{sum(1 for e in proxy.log if e['fault']) - injected_before} faults injected, "
        f"{sdk_retries} SDK retries (median gap {statistics.median(gaps) if gaps else 0:.2f} s), "
        f"{retried} batch item failures redelivered, {len(dead & set(phase))} objects in the DLQ")
    log(f"outcomes over the whole run: {summary['by_outcome']}")
    check(len(dead & set(phase)) <= len(phase) // 10,
          f"{len(dead & set(phase))} of {len(phase)} objects ended in the DLQ: retries are not working")


if __name__ == "__main__":
    main()
