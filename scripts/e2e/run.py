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
import contextlib
import json
import os
import shlex
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
REGION = "us-east-1"
INPUT_BUCKET = "e2e-input"
OUTPUT_BUCKET = "e2e-output"
TABLE = "e2e-records"
QUEUE = "e2e-input-events"
DLQ = "e2e-input-events-dlq"
UPLOAD_PREFIX = "uploads/"
OUTPUT_PREFIX = "renditions/"
MAX_RECEIVE_COUNT = 2
RENDITIONS = "thumb=160x160,display=640x640"

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


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def log(message):
    print(f"e2e: {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=60.0, process=None, log_path=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            tail = Path(log_path).read_text(errors="replace")[-3000:] if log_path else ""
            raise Failure(f"{what}: the process exited with {process.returncode}\n{tail}")
        time.sleep(0.1)
    raise Failure(f"timed out waiting for {what}")


class Processes:
    """Starts processes in their own process groups and ends them all on exit."""

    def __init__(self, work):
        self.work = Path(work)
        self.started = []

    def start(self, name, argv, env=None):
        log_path = self.work / f"{name}.log"
        handle = open(log_path, "wb")
        process = subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.started.append((name, process))
        return process, log_path

    def stop(self, process):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self):
        for _, process in reversed(self.started):
            self.stop(process)


def peak_rss_kib(pid):
    """Peak resident set size of a live process (VmHWM), in KiB."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def function_pid(process, binary):
    """The function's own PID: the process itself, or its child when started under a runner."""
    name = Path(binary).name
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for child in children:
            if name in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
                return int(child)
    return process.pid


class Emulator:
    def __init__(self, endpoint):
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        config = Config(retries={"max_attempts": 2})
        self.s3 = session.client("s3", endpoint_url=endpoint, config=config)
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint, config=config)
        self.sqs = session.client("sqs", endpoint_url=endpoint, config=config)

    def create(self):
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            self.s3.create_bucket(Bucket=bucket)
        # Versioned input: the function reads exactly the version its event names.
        self.s3.put_bucket_versioning(
            Bucket=INPUT_BUCKET, VersioningConfiguration={"Status": "Enabled"}
        )
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "object_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "object_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dlq_url = self.sqs.create_queue(QueueName=DLQ)["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.queue_url = self.sqs.create_queue(
            QueueName=QUEUE,
            Attributes={
                # Short, so handed-back messages return quickly in a test.
                "VisibilityTimeout": "2",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
                ),
            },
        )["QueueUrl"]
        self.dlq_url = dlq_url
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.queue_arn = queue_arn
        self.s3.put_bucket_notification_configuration(
            Bucket=INPUT_BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": "imagepipe-input",
                        "QueueArn": queue_arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}},
                    }
                ]
            },
        )

    def records(self):
        items = []
        kwargs = {"TableName": TABLE, "ConsistentRead": True}
        while True:
            page = self.dynamodb.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return {item["object_id"]["S"]: item for item in items}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def output_objects(self):
        objects = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=OUTPUT_BUCKET):
            for entry in page.get("Contents", []):
                objects[entry["Key"]] = (entry["ETag"], entry["LastModified"])
        return objects

    def queue_depth(self, url):
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


class Function:
    def __init__(self, invoke_url):
        self.invoke_url = invoke_url
        self.latencies = []

    def invoke(self, payload):
        request = urllib.request.Request(
            self.invoke_url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
        self.latencies.append(time.perf_counter() - started)
        answer = json.loads(body) if body else None
        return answer


def sqs_event(messages, queue_arn):
    """The SQS event Lambda's event source mapping builds from received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def drain(emulator, function, bodies, batch_size=4, timeout=600):
    """Plays the event source mapping until the queue is empty. Returns the batch responses."""
    deadline = time.monotonic() + timeout
    responses = []
    idle = 0
    while time.monotonic() < deadline:
        received = emulator.sqs.receive_message(
            QueueUrl=emulator.queue_url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            if emulator.queue_depth(emulator.queue_url) == 0:
                idle += 1
                if idle >= 2:
                    return responses
            continue
        idle = 0
        for message in received:
            bodies.setdefault(message["MessageId"], message["Body"])
        answer = function.invoke(sqs_event(received, emulator.queue_arn))
        check(isinstance(answer, dict) and "batchItemFailures" in answer,
              f"an SQS batch must be answered with batchItemFailures, got {answer}")
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        responses.append((received, failed))
        for message in received:
            if message["MessageId"] not in failed:
                emulator.sqs.delete_message(
                    QueueUrl=emulator.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
    raise Failure("the queue did not drain in time")


def avif_dimensions(path):
    """Width and height from a PNG's IHDR (avifdec's output)."""
    data = Path(path).read_bytes()[:24]
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])


def verify_outputs(emulator, records, good_keys, hostile_keys, work):
    expected_ids = {f"s3://{INPUT_BUCKET}/{k}" for k in list(good_keys) + list(hostile_keys)}
    check(set(records) >= expected_ids,
          f"missing records: {sorted(expected_ids - set(records))}")
    renditions_expected = set()
    for key in good_keys:
        item = records[f"s3://{INPUT_BUCKET}/{key}"]
        check(item["status"]["S"] == "complete", f"{key}: {item['status']} {item.get('failure')}")
        renditions = item["renditions"]["L"]
        check(len(renditions) == len(RENDITIONS.split(",")), f"{key}: {len(renditions)} renditions")
        for rendition in renditions:
            fields = rendition["M"]
            out_key = fields["key"]["S"]
            check(out_key.startswith(OUTPUT_PREFIX), f"{out_key} outside {OUTPUT_PREFIX}")
            renditions_expected.add(out_key)
            head = emulator.s3.head_object(Bucket=OUTPUT_BUCKET, Key=out_key)
            check(head["ContentType"] == "image/avif", f"{out_key}: {head['ContentType']}")
            check("source-sha256" in head["Metadata"], f"{out_key}: no source-sha256 metadata")
            local = Path(work) / "out.avif"
            emulator.s3.download_file(OUTPUT_BUCKET, out_key, str(local))
            check(local.stat().st_size == int(fields["bytes"]["N"]), f"{out_key}: size differs from record")
            png = Path(work) / "out.png"
            decoded = subprocess.run(["avifdec", str(local), str(png)], capture_output=True)
            check(decoded.returncode == 0, f"avifdec cannot decode {out_key}: {decoded.stderr[-500:]}")
            width, height = avif_dimensions(png)
            check((width, height) == (int(fields["width"]["N"]), int(fields["height"]["N"])),
                  f"{out_key}: decoded {width}x{height}, record says {fields['width']}x{fields['height']}")
    for key, (_, kinds) in ((k, HOSTILE[k]) for k in hostile_keys):
        item = records[f"s3://{INPUT_BUCKET}/{key}"]
        check(item["status"]["S"] == "failed", f"{key} must be failed, is {item['status']}")
        failure = item["failure"]["M"]
        check(failure["kind"]["S"] in kinds, f"{key}: kind {failure['kind']} not in {kinds}")
        check(len(failure["reason"]["S"]) > 10, f"{key}: reason too short: {failure['reason']}")
        check("renditions" not in item, f"{key}: a failed record has renditions")
    outputs = emulator.output_objects()
    check(set(outputs) == renditions_expected,
          f"output bucket holds {len(outputs)} objects, records name {len(renditions_expected)}")
    return len(renditions_expected)


def check_unchanged(before, after, what):
    """Fails naming the records and fields that differ."""
    changed = []
    for object_id in sorted(set(before) | set(after)):
        old, new = before.get(object_id, {}), after.get(object_id, {})
        fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if fields:
            changed.append(f"{object_id}: {fields} (was {[old.get(f) for f in fields]}, now {[new.get(f) for f in fields]})")
    check(not changed, f"{what} changed records: " + "; ".join(changed)[:2000])


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
    work = tempfile.mkdtemp(prefix="imagepipe-e2e-")
    processes = Processes(work)
    ok = False
    try:
        moto_port, watch_port = free_port(), free_port()
        moto, moto_log = processes.start(
            "moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)]
        )
        endpoint = f"http://127.0.0.1:{moto_port}"

        def moto_ready():
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
                return True
            return False

        wait_for(moto_ready, "moto server", process=moto, log_path=moto_log)
        emulator = Emulator(endpoint)
        emulator.create()
        log(f"moto server on {endpoint}: buckets, table, queue + DLQ, S3 -> SQS notification")

        watch, watch_log = processes.start(
            "watch",
            ["cargo-lambda", "lambda", "watch", "--only-lambda-apis",
             "--invoke-address", "127.0.0.1", "--invoke-port", str(watch_port)],
        )
        wait_for(lambda: "starting Runtime server" in Path(watch_log).read_text(errors="replace"),
                 "cargo lambda watch", process=watch, log_path=watch_log)

        env = {
            "PATH": os.environ["PATH"],
            "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{watch_port}/.rt",
            "AWS_LAMBDA_FUNCTION_NAME": "_",
            "AWS_LAMBDA_FUNCTION_VERSION": "1",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "IMAGEPIPE_OUTPUT_BUCKET": OUTPUT_BUCKET,
            "IMAGEPIPE_RECORDS_TABLE": TABLE,
            "IMAGEPIPE_OUTPUT_PREFIX": OUTPUT_PREFIX,
            "IMAGEPIPE_RENDITIONS": RENDITIONS,
            "IMAGEPIPE_MIN_REMAINING_MS": "1000",
            "RUST_LOG": "info",
        }
        argv = shlex.split(args.runner) + [args.binary]
        function_process, function_log = processes.start("function", argv, env=env)
        wait_for(lambda: "initialised" in Path(function_log).read_text(errors="replace"),
                 "the function's init", timeout=120, process=function_process, log_path=function_log)
        function = Function(f"http://127.0.0.1:{watch_port}/2015-03-31/functions/_/invocations")
        log(f"function {' '.join(argv)} initialised against the Runtime API of cargo lambda watch")

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
        check(newer["source"]["M"]["format"]["S"] == "webp", f"the new version was not processed: {newer['source']}")
        late = {"MessageId": "late", "ReceiptHandle": "late", "Body": old_body, "MD5OfBody": "",
                "Attributes": {}}
        check(function.invoke(sqs_event([late], emulator.queue_arn)) == {"batchItemFailures": []},
              "the late event was not acknowledged")
        check_unchanged({replaced: newer}, {replaced: emulator.records()[f"s3://{INPUT_BUCKET}/{replaced}"]},
                        "an older event arriving late")
        log(f"{replaced}: new version recorded ({newer['version_id']['S'][:12]}...), "
            "its predecessor's late event acknowledged without replacing it")

        pid = function_pid(function_process, args.binary)
        if not args.quick:
            measure_latency(emulator, function, pid, args.latency_rounds)
        rss = peak_rss_kib(pid)
        log(f"function peak RSS over the whole run: {rss / 1024:.1f} MiB" if rss else "peak RSS unavailable")
        check(function_process.poll() is None, "the function process died")

        # 4. Lambda ends an environment with SIGTERM: the shutdown hook runs, the exit is clean.
        os.killpg(function_process.pid, signal.SIGTERM)
        function_process.wait(timeout=30)
        function_output = Path(function_log).read_text(errors="replace")
        check("shutting down" in function_output and "Graceful shutdown completed" in function_output,
              "SIGTERM did not run the graceful shutdown hook")
        check(function_process.returncode == 0, f"exit status {function_process.returncode} after SIGTERM")
        check("panicked" not in function_output, "the function log shows a panic")
        log("SIGTERM: graceful shutdown hook ran, exit 0")
        ok = True
    except Failure as failure:
        print(f"e2e: FAIL: {failure}", file=sys.stderr)
    finally:
        processes.stop_all()
        if ok:
            import shutil
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"e2e: logs kept in {work}", file=sys.stderr)
            for name in ("function", "watch", "moto"):
                path = Path(work) / f"{name}.log"
                if path.exists():
                    print(f"--- {name}.log (tail)", file=sys.stderr)
                    print(path.read_text(errors="replace")[-4000:], file=sys.stderr)
    if not ok:
        sys.exit(1)
    log("PASS")


def _event_key(body):
    """The decoded key of a notification's first record."""
    from urllib.parse import unquote_plus
    return unquote_plus(json.loads(body)["Records"][0]["s3"]["object"]["key"])


def _event_key_of(key):
    """How S3 (and moto) encode a key in an event: form-URL-encoding."""
    from urllib.parse import quote_plus
    return quote_plus(key, safe="")


def measure_latency(emulator, function, pid, rounds):
    """Warm latency of a direct S3 event per sample (get, transform, puts, record write)."""
    rows = []
    for name, path in sorted((k, v) for k, v in GOOD.items() if "/" not in k[len(UPLOAD_PREFIX):]):
        times = []
        for index in range(rounds):
            key = f"latency/{index}/{Path(name).name}"
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=path.read_bytes())
            head = emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
            event = {"Records": [{
                "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": INPUT_BUCKET}, "object": {
                    "key": _event_key_of(key), "size": head["ContentLength"],
                    "eTag": head["ETag"].strip('"'), "versionId": head.get("VersionId"),
                    "sequencer": f"{index + 1:016X}"}}}]}
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
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"    {name:<28} {size:>8} {statistics.median(times) * 1000:>8.0f} {p95 * 1000:>8.0f}")


if __name__ == "__main__":
    main()
