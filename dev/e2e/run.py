#!/usr/bin/env python3
"""End-to-end run of the Lambda function against emulated AWS, driven the way AWS drives it.

Real parts: moto server (S3, DynamoDB, SQS, S3 -> SQS notifications) on a loopback port, the
function's release binary (or the arm64 one under qemu) talking to it through the AWS SDK, and
`cargo lambda watch` as the Runtime API. This script plays the event source mapping: it
receives messages from the queue, invokes the function with SQS events in batches, deletes
what the function acknowledged and lets the rest come back (and, past maxReceiveCount, go to
the dead-letter queue). Then it checks the outcome against what S3 and DynamoDB hold.

Usage: run.py --binary PATH [--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"] [--quick]
"""

import argparse
import json
import os
import signal
import statistics
import time
import uuid
from pathlib import Path

from harness import (
    INPUT_BUCKET, MAX_RECEIVE_COUNT, RENDITIONS, SAMPLES, TABLE, UPLOAD_PREFIX, Stack,
    check, check_complete, check_failed, check_unchanged, drain, log, object_id, peak_rss_kib,
    percentile, reniced_threads, s3_event, sqs_event, written_counts,
)

# Good inputs: every sample image, plus keys that need decoding (space, plus, unicode).
GOOD = {f"{UPLOAD_PREFIX}{p.name}": p for p in sorted((SAMPLES / "images").iterdir())}
GOOD[f"{UPLOAD_PREFIX}with space+plus/café 東京.jpg"] = SAMPLES / "images" / "astronaut.jpg"
# Hostile inputs and the failure kind each must be recorded with.
HOSTILE = {
    f"{UPLOAD_PREFIX}corrupt.jpg": (SAMPLES / "hostile" / "corrupt.jpg", {"corrupt"}),
    f"{UPLOAD_PREFIX}bomb.png": (SAMPLES / "hostile" / "bomb.png", {"dimensions_too_large", "too_many_pixels"}),
    f"{UPLOAD_PREFIX}not-an-image.jpg": (SAMPLES / "hostile" / "not-an-image.jpg", {"unsupported_format"}),
    f"{UPLOAD_PREFIX}empty.png": (None, {"empty"}),
}
QUICK_GOOD = [f"{UPLOAD_PREFIX}logo-alpha.png", f"{UPLOAD_PREFIX}with space+plus/café 東京.jpg"]
QUICK_HOSTILE = [f"{UPLOAD_PREFIX}corrupt.jpg", f"{UPLOAD_PREFIX}bomb.png"]


def verify_outputs(emulator, records, good_keys, hostile_keys, work):
    expected_ids = {object_id(k) for k in list(good_keys) + list(hostile_keys)}
    check(set(records) >= expected_ids,
          f"missing records: {sorted(expected_ids - set(records))}")
    renditions_expected = set()
    for key in good_keys:
        renditions_expected.update(check_complete(emulator, key, records[object_id(key)], work))
    for key in hostile_keys:
        check_failed(key, records[object_id(key)], HOSTILE[key][1])
    outputs = emulator.output_objects()
    check(set(outputs) == renditions_expected,
          f"output bucket holds {len(outputs)} objects, records name {len(renditions_expected)}")
    return len(renditions_expected)


def upload(emulator, keys):
    for key in keys:
        source = GOOD.get(key) or HOSTILE[key][0]
        body = source.read_bytes() if source else b""
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runner", default="", help="command prefix, e.g. qemu-aarch64 ...")
    parser.add_argument("--quick", action="store_true", help="fewer images, no measurements")
    parser.add_argument("--latency-rounds", type=int, default=5)
    args = parser.parse_args()

    good_keys = QUICK_GOOD if args.quick else list(GOOD)
    hostile_keys = QUICK_HOSTILE if args.quick else list(HOSTILE)
    stack = Stack(args.binary, runner=args.runner)
    work = stack.work

    def scenario():
        emulator = stack.start_moto()
        function = stack.start_function()
        function_process = stack.function_process

        # 1. Objects land; S3 notifies the queue; the queue is drained into the function.
        upload(emulator, good_keys + hostile_keys)
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key="elsewhere/ignored.jpg",
                               Body=(SAMPLES / "images" / "logo-alpha.png").read_bytes())
        emulator.sqs.send_message(QueueUrl=emulator.queue_url, MessageBody="not an S3 notification")
        bodies = {}
        responses = drain(emulator, function, bodies)
        invocations = len(responses)
        log(f"drained the queue in {invocations} batch invocations")

        records = emulator.records()
        renditions = verify_outputs(emulator, records, good_keys, hostile_keys, work)
        check(f"s3://{INPUT_BUCKET}/elsewhere/ignored.jpg" not in records,
              "an object outside the notification prefix was processed")
        check(len(records) == len(good_keys) + len(hostile_keys),
              f"{len(records)} records for {len(good_keys) + len(hostile_keys)} objects")
        dlq = emulator.sqs.receive_message(QueueUrl=emulator.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
        check([m["Body"] for m in dlq] == ["not an S3 notification"],
              f"the DLQ must hold exactly the malformed message, holds {[m['Body'][:60] for m in dlq]}")
        retried = sum(len(failed) for _, failed in responses)
        check(retried >= MAX_RECEIVE_COUNT,
              f"the malformed message was handed back {retried} times, expected {MAX_RECEIVE_COUNT}")
        log(f"{len(good_keys)} complete records ({renditions} AVIFs, decoded by avifdec), "
            f"{len(hostile_keys)} failed records with reasons, malformed message in the DLQ "
            f"after {MAX_RECEIVE_COUNT} deliveries, nothing outside the prefix processed")

        # 2. At-least-once delivery: the same events again change nothing.
        before_records, before_outputs = emulator.records(), emulator.output_objects()
        notifications = [b for b in bodies.values() if b.startswith("{") and "Records" in b]
        redelivered = [
            {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "redelivery", "Body": body,
             "MD5OfBody": "", "Attributes": {"ApproximateReceiveCount": "2"}}
            for body in notifications
        ]
        answer = function.invoke(sqs_event(redelivered, emulator.queue_arn))
        check(answer == {"batchItemFailures": []}, f"redelivery answered {answer}")
        first = json.loads(notifications[0])
        direct_answer = function.invoke(first)
        check(direct_answer == {"objects": 1}, f"a direct S3 event answered {direct_answer}")
        check_unchanged(before_records, emulator.records(), "a redelivery")
        check(emulator.output_objects() == before_outputs, "a redelivery rewrote a rendition")
        log(f"redelivered {len(redelivered)} notifications (SQS batch + one direct S3 event): "
            "records and renditions unchanged")

        # 3. A newer version, then its predecessor's event arriving late: the newer one stays.
        replaced = good_keys[0]
        old_body = next(b for b in notifications if _event_key(b) == replaced)
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=replaced,
                               Body=(SAMPLES / "images" / "coffee.webp").read_bytes())
        drain(emulator, function, {})
        newer = emulator.records()[f"s3://{INPUT_BUCKET}/{replaced}"]
        source = newer["result"]["M"]["source"]["M"]
        check(source["format"]["S"] == "webp", f"the new version was not processed: {source}")
        late = {"MessageId": "late", "ReceiptHandle": "late", "Body": old_body, "MD5OfBody": "",
                "Attributes": {}}
        check(function.invoke(sqs_event([late], emulator.queue_arn)) == {"batchItemFailures": []},
              "the late event was not acknowledged")
        check_unchanged({replaced: newer}, {replaced: emulator.records()[f"s3://{INPUT_BUCKET}/{replaced}"]},
                        "an older event arriving late")
        log(f"{replaced}: new version recorded ({newer['version_id']['S'][:12]}...), "
            "its predecessor's late event acknowledged without replacing it")

        # 3b. Events carrying sequencers, as real S3 sends them, so the record write is the
        #     conditional one: newest wins whatever the arrival order.
        sequenced_events(emulator, function, stack)

        pid = stack.function_pid()
        if not args.quick:
            measure_latency(emulator, function, pid, args.latency_rounds)
        rss = peak_rss_kib(pid)
        log(f"function peak RSS over the whole run: {rss / 1024:.1f} MiB" if rss else "peak RSS unavailable")
        check(function_process.poll() is None, "the function process died")
        # bin/bootstrap.rs builds the clients on a thread at nice 19. A thread started from it
        # would keep that priority for good (raising it back needs a privilege Lambda does not
        # give), so none may outlive the build: every thread left serves invocations.
        reniced = reniced_threads(pid)
        check(not reniced, f"threads left at a changed priority: {reniced}")
        log("no thread left at the client build's lowered priority")

        # 4. Lambda ends an environment with SIGTERM: the function logs it and exits cleanly.
        os.killpg(function_process.pid, signal.SIGTERM)
        function_process.wait(timeout=30)
        function_output = stack.function_output()
        check("shutting down" in function_output, "SIGTERM did not reach the function's shutdown listener")
        check(function_process.returncode == 0, f"exit status {function_process.returncode} after SIGTERM")
        check("panicked" not in function_output, "the function log shows a panic")
        log("SIGTERM: shutdown logged, exit 0")

        # 5. Every metrics line names the invocation it belongs to (the extension attributes
        #    figures by that id only).
        lines = [json.loads(line) for line in function_output.splitlines()
                 if line.startswith("{") and '"imagepipe_metrics"' in line]
        check(lines, "the function printed no imagepipe_metrics line")
        unnamed = [line for line in lines if not line.get("requestId")]
        check(not unnamed, f"{len(unnamed)} of {len(lines)} metrics lines name no requestId: {unnamed[:3]}")
        requests = {line["requestId"] for line in lines}
        check(len(requests) > 1, f"every metrics line names the same request {requests}")
        log(f"{len(lines)} imagepipe_metrics lines, each naming its invocation ({len(requests)} request ids)")

    stack.run(scenario)


# Sequencers of three versions of one key, in the shape S3 sends (upper-case hex; lengths differ,
# so they order only as numbers: "FFFF..." < "1000...") and one more for a fourth version.
SEQUENCERS = ["FFFFFFFFFFFFFFFF", "10000000000000000", "10000000000000A00", "1FFFFFFFFFFFFFFFF"]


def sequencer_order(sequencer):
    """The record's `sequencer_order` attribute for `sequencer`: zero-padded to 32 digits."""
    return sequencer.lstrip("0").upper().rjust(32, "0")


def sequenced_events(emulator, function, stack):
    """Versions 1, 3, 2 (late) of one key, then a redelivery of 3, through SQS with sequencers:
    the record follows the newest event only. Then a fourth version's event that only the
    DynamoDB condition can refuse (the stored sequencer_order is raised past it, the record's own
    sequencer is not, so the pipeline's read-first check lets it through): moto evaluates the
    condition and the write is refused."""
    key = "sequenced/ordered.png"  # outside the notification prefix: only these events name it
    images = ["logo-alpha.png", "coffee.webp", "astronaut-palette.gif", "astronaut.jpg"]
    events = []
    for image, sequencer in zip(images, SEQUENCERS):
        body = (SAMPLES / "images" / image).read_bytes()
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)
        head = emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
        events.append((head["VersionId"], s3_event(head, key, sequencer), sequencer))

    def deliver(index):
        emulator.sqs.send_message(QueueUrl=emulator.queue_url, MessageBody=json.dumps(events[index][1]))
        responses = drain(emulator, function, {})
        check(all(not failed for _, failed in responses), f"event {index + 1} was handed back: {responses}")
        return emulator.record(key)

    def check_holds(item, index, what):
        version, _, sequencer = events[index]
        check(item is not None, f"{what}: no record")
        check(item["version_id"]["S"] == version,
              f"{what}: the record holds {item['version_id']['S']}, expected version {index + 1} ({version})")
        check(item.get("sequencer_order", {}).get("S") == sequencer_order(sequencer),
              f"{what}: sequencer_order {item.get('sequencer_order')} is not {sequencer_order(sequencer)} "
              "(the conditional write did not run)")

    check_holds(deliver(0), 0, "version 1")
    check_holds(deliver(2), 2, "version 3 after 1")
    newest = deliver(1)
    check_holds(newest, 2, "version 2 arriving after 3")
    check_unchanged({key: newest}, {key: deliver(2)}, "a redelivery of the newest event")

    # Only the condition can refuse this one.
    raised = sequencer_order("20000000000000000")
    emulator.dynamodb.update_item(
        TableName=TABLE, Key={"object_id": {"S": object_id(key)}},
        UpdateExpression="SET sequencer_order = :raised",
        ExpressionAttributeValues={":raised": {"S": raised}},
    )
    before = emulator.record(key)
    stale_before = written_counts(stack.function_output(), write="Stale").get(object_id(key), 0)
    after = deliver(3)
    check_unchanged({key: before}, {key: after}, "an event the DynamoDB condition must refuse")
    stale = written_counts(stack.function_output(), write="Stale").get(object_id(key), 0)
    check(stale == stale_before + 1, f"the function did not report the refused write as Stale ({stale})")
    log(f"{key}: events with sequencers via SQS (lengths 16-17 hex digits): versions 1, 3, then 2 "
        "late, then 3 again: the record holds version 3 with its sequencer_order; a 4th event "
        "refused by DynamoDB's condition alone (write=Stale), record unchanged")


def _event_key(body):
    """The decoded key of a notification's first record."""
    from urllib.parse import unquote_plus
    return unquote_plus(json.loads(body)["Records"][0]["s3"]["object"]["key"])


def measure_latency(emulator, function, pid, rounds):
    """Warm latency of a direct S3 event per sample (get, transform, puts, record write)."""
    rows = []
    for name, path in sorted((k, v) for k, v in GOOD.items() if "/" not in k[len(UPLOAD_PREFIX):]):
        times = []
        for index in range(rounds):
            key = f"latency/{index}/{Path(name).name}"
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=path.read_bytes())
            event = s3_event(emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=key), key, index + 1)
            started = time.perf_counter()
            answer = function.invoke(event)
            times.append(time.perf_counter() - started)
            check(answer == {"objects": 1}, f"{key}: {answer}")
            status = emulator.records()[f"s3://{INPUT_BUCKET}/{key}"]["status"]["S"]
            check(status == "complete", f"{key}: {status}")
        rows.append((Path(name).name, path.stat().st_size, times))
    log(f"warm latency per direct S3 event, {rounds} rounds (renditions {RENDITIONS}):")
    print(f"    {'image':<28} {'bytes':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, size, times in rows:
        p95 = percentile(times, 0.95)
        print(f"    {name:<28} {size:>8} {statistics.median(times) * 1000:>8.0f} {p95 * 1000:>8.0f}")


if __name__ == "__main__":
    main()
