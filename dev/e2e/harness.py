"""The parts every end-to-end run of the function shares: moto server with the stack's resources
(versioned input bucket, output bucket, record table, queue with a redrive policy to a DLQ,
S3 -> SQS notification), the release function under `cargo lambda watch --only-lambda-apis`,
the loop that plays Lambda's SQS event source mapping, and the checks of records against what
S3 holds. Used by run.py (the e2e suite), fault_run.py and load_run.py.
"""

import base64
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus, unquote_plus

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

# What log() prints before each line; each script names itself.
LOG_PREFIX = "e2e"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def log(message):
    print(f"{LOG_PREFIX}: {message}", flush=True)


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


def reniced_threads(pid):
    """The live threads of a process whose nice value is not 0: {thread id: (name, nice)}."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            stat = (task / "stat").read_text()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            # Field 19 of proc_pid_stat(5), counted after the command name's parenthesis.
            nice = int(stat[stat.rindex(")") + 2:].split()[16])
            if nice != 0:
                found[int(task.name)] = (name, nice)
    return found


def cpu_seconds(pid):
    """User + system CPU time a live process has used so far (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu_seconds(pid):
    """User + system CPU time per thread of a live process: {thread id: seconds}."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            stat = (task / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            times[int(task.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return times


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def start_moto(processes):
    """A moto server on a free loopback port, ready. Returns its endpoint URL."""
    port = free_port()
    moto, moto_log = processes.start(
        "moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    )
    endpoint = f"http://127.0.0.1:{port}"

    def ready():
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
            return True
        return False

    wait_for(ready, "moto server", process=moto, log_path=moto_log)
    return endpoint


def start_watch(processes):
    """`cargo lambda watch --only-lambda-apis` on a free port, ready. Returns the port."""
    port = free_port()
    watch, watch_log = processes.start(
        "watch",
        ["cargo-lambda", "lambda", "watch", "--only-lambda-apis",
         "--invoke-address", "127.0.0.1", "--invoke-port", str(port)],
    )
    wait_for(lambda: "starting Runtime server" in Path(watch_log).read_text(errors="replace"),
             "cargo lambda watch", process=watch, log_path=watch_log)
    return port


def function_env(runtime_api, endpoint, memory_mb=1024, **extra):
    """The environment Lambda gives the function, its AWS calls sent to `endpoint`."""
    env = {
        "PATH": os.environ["PATH"],
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": "_",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "IMAGEPIPE_OUTPUT_BUCKET": OUTPUT_BUCKET,
        "IMAGEPIPE_RECORDS_TABLE": TABLE,
        "IMAGEPIPE_OUTPUT_PREFIX": OUTPUT_PREFIX,
        "IMAGEPIPE_RENDITIONS": RENDITIONS,
        "RUST_LOG": "info",
    }
    env.update(extra)
    return env


def function_pid(process, binary):
    """The function's own PID: the process itself, or its child when started under a runner."""
    name = Path(binary).name
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for child in children:
            if name in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
                return int(child)
    return process.pid


def infra_local(name):
    """A string or list local of infra/locals.tf, by name (the table as infra declares it)."""
    text = (REPO / "infra" / "locals.tf").read_text()
    match = re.search(rf"^\s*{name}\s*=\s*(.+)$", text, re.MULTILINE)
    check(match, f"infra/locals.tf declares no local.{name}")
    return json.loads(match.group(1))


def create_records_table(dynamodb, table):
    """The records table with its key and the sparse failed-records index as infra/ declares
    them (names read from infra/locals.tf)."""
    table_key = infra_local("records_table_hash_key")
    hash_key, range_key = infra_local("failed_index_hash_key"), infra_local("failed_index_range_key")
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": table_key, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": table_key, "AttributeType": infra_local("records_table_hash_key_type")},
            {"AttributeName": hash_key, "AttributeType": infra_local("failed_index_hash_key_type")},
            {"AttributeName": range_key, "AttributeType": infra_local("failed_index_range_key_type")},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": infra_local("failed_index_name"),
            "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"},
                          {"AttributeName": range_key, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE",
                           "NonKeyAttributes": infra_local("failed_index_projected_attributes")},
        }],
    )


class Emulator:
    def __init__(self, endpoint):
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        config = Config(retries={"max_attempts": 2}, max_pool_connections=20)
        self.s3 = session.client("s3", endpoint_url=endpoint, config=config)
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint, config=config)
        self.sqs = session.client("sqs", endpoint_url=endpoint, config=config)

    def create(self, visibility_timeout=2, notify=True):
        """The stack's resources; `notify=False` leaves out the S3 -> SQS notification (objects
        that were in the bucket before the stack existed)."""
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            self.s3.create_bucket(Bucket=bucket)
        # Versioned input: the function reads exactly the version its event names.
        self.s3.put_bucket_versioning(
            Bucket=INPUT_BUCKET, VersioningConfiguration={"Status": "Enabled"}
        )
        create_records_table(self.dynamodb, TABLE)
        dlq_url = self.sqs.create_queue(QueueName=DLQ)["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.queue_url = self.sqs.create_queue(
            QueueName=QUEUE,
            Attributes={
                # Short by default, so handed-back messages return quickly in a test; runs
                # with slow batches need it longer than a batch takes (see drain's
                # `redeliver_after`), as Lambda needs it longer than the function's timeout.
                "VisibilityTimeout": str(visibility_timeout),
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
        if notify:
            self.notify()

    def notify(self):
        """S3 -> SQS notification of objects created under the upload prefix."""
        self.s3.put_bucket_notification_configuration(
            Bucket=INPUT_BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": "imagepipe-input",
                        "QueueArn": self.queue_arn,
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

    def record(self, key):
        """The record of one input object, or None."""
        item = self.dynamodb.get_item(
            TableName=TABLE, Key={"object_id": {"S": f"s3://{INPUT_BUCKET}/{key}"}},
            ConsistentRead=True,
        )
        return item.get("Item")

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

    def dead_letters(self):
        """Every message in the DLQ, left there: hidden while they are paged through (so each
        is seen once), then made visible again for the next look."""
        messages = {}
        for _ in range(100):
            batch = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60
            ).get("Messages", [])
            if not batch:
                break
            for message in batch:
                messages[message["MessageId"]] = message
        for message in messages.values():
            self.sqs.change_message_visibility(
                QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [m["Body"] for m in messages.values()]


class Function:
    """Invokes the function through `cargo lambda watch`'s invoke endpoint."""

    def __init__(self, invoke_url):
        self.invoke_url = invoke_url
        self.latencies = []

    @classmethod
    def at_watch(cls, watch_port):
        return cls(f"http://127.0.0.1:{watch_port}/2015-03-31/functions/_/invocations")

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


def s3_sequencer(n):
    """The `n`th of increasing sequencers in the shape S3 sends: upper-case hex, 18 digits."""
    return f"{0x0062E9A8F5C3B4A100 + n:018X}"


def s3_event(head, key, sequencer):
    """The S3 notification real S3 sends for the object version `head` (a HeadObject or
    PutObject answer with ContentLength) describes, with the version id and sequencer moto's own
    events lack. `sequencer`: the hex string itself, or a number (16 hex digits)."""
    return {"Records": [{
        "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": INPUT_BUCKET}, "object": {
            # S3 form-URL-encodes keys in events.
            "key": quote_plus(key, safe=""), "size": head["ContentLength"],
            "eTag": head["ETag"].strip('"'), "versionId": head.get("VersionId"),
            "sequencer": sequencer if isinstance(sequencer, str) else f"{sequencer:016X}"}}}]}


# Receipt handles of messages a plan adds itself (replays): never deleted from the queue.
REPLAY_RECEIPT = "replay:"


def drain(emulator, function, bodies, batch_size=4, timeout=600, plan=None, redeliver_after=None):
    """Plays the event source mapping until the queue is empty. Returns the batch responses.

    `redeliver_after` (seconds): batch item failures come back after this long instead of
    after the queue's visibility timeout (a test's shortcut for a long timeout).

    `plan(received)` may reorder a received batch and add replays of earlier messages (receipt
    handles starting with REPLAY_RECEIPT); it is called with [] when the queue is empty, so it
    can hand over what it still holds. Without a plan, batches go out as received."""
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
        batch = plan(received) if plan else received
        if not batch:
            if emulator.queue_depth(emulator.queue_url) == 0:
                idle += 1
                if idle >= 2:
                    return responses
            continue
        idle = 0
        for message in received:
            bodies.setdefault(message["MessageId"], message["Body"])
        answer = function.invoke(sqs_event(batch, emulator.queue_arn))
        check(isinstance(answer, dict) and "batchItemFailures" in answer,
              f"an SQS batch must be answered with batchItemFailures, got {answer}")
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        responses.append((batch, failed))
        for message in batch:
            if message["ReceiptHandle"].startswith(REPLAY_RECEIPT):
                continue
            if message["MessageId"] not in failed:
                emulator.sqs.delete_message(
                    QueueUrl=emulator.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
            elif redeliver_after is not None:
                emulator.sqs.change_message_visibility(
                    QueueUrl=emulator.queue_url, ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=redeliver_after,
                )
    raise Failure("the queue did not drain in time")


def drain_concurrently(emulator, functions, batch_size=4, timeout=600, plan=None,
                       redeliver_after=None):
    """`drain` with one poller per function instance, all on the same queue at once, as the
    event source mapping runs concurrent batches on Lambda's concurrent instances. `plan` is
    shared (called under a lock). Returns every poller's batch responses."""
    import threading
    lock = threading.Lock()

    def locked_plan(received):
        with lock:
            return plan(received)

    results, errors = [], []

    def poll(function):
        try:
            results.extend(drain(emulator, function, {}, batch_size=batch_size, timeout=timeout,
                                 plan=locked_plan if plan else None,
                                 redeliver_after=redeliver_after))
        except Exception as error:  # noqa: BLE001 - re-raised below, in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=poll, args=(f,), daemon=True) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def object_id(key):
    return f"s3://{INPUT_BUCKET}/{key}"


def png_dimensions(path):
    """Width and height from a PNG's IHDR (avifdec's output)."""
    data = Path(path).read_bytes()[:24]
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])


def check_complete(emulator, key, item, work, renditions=RENDITIONS):
    """A complete record's outputs exist, match the record (the envelope's `outputs`, the AVIF
    summary's `result.renditions`; one per rendition of `renditions`, the function's
    IMAGEPIPE_RENDITIONS) and decode with avifdec. Returns the output keys."""
    check(item["status"]["S"] == "complete", f"{key}: {item['status']} {item.get('failure')}")
    check(item["transform"]["S"] == "avif", f"{key}: made by {item['transform']}")
    check(len(item["settings_digest"]["S"]) == 16, f"{key}: settings digest {item['settings_digest']}")
    result = item["result"]["M"]
    check_placeholder(key, result)
    outputs = item["outputs"]["L"]
    sizes = {r["M"]["name"]["S"]: r["M"] for r in result["renditions"]["L"]}
    names = sorted(r.split("=")[0] for r in renditions.split(","))
    check(sorted(sizes) == names and len(outputs) == len(names),
          f"{key}: {len(outputs)} outputs, renditions {sorted(sizes)}, expected {names}")
    keys = []
    for output in outputs:
        fields = output["M"]
        size = sizes[fields["name"]["S"]]
        out_key = fields["key"]["S"]
        check(out_key.startswith(OUTPUT_PREFIX), f"{out_key} outside {OUTPUT_PREFIX}")
        check(fields["content_type"]["S"] == "image/avif", f"{out_key}: {fields['content_type']}")
        keys.append(out_key)
        head = emulator.s3.head_object(Bucket=OUTPUT_BUCKET, Key=out_key)
        check(head["ContentType"] == "image/avif", f"{out_key}: {head['ContentType']}")
        check(head["Metadata"].get("settings-digest") == item["settings_digest"]["S"],
              f"{out_key}: settings-digest metadata {head['Metadata']}")
        # Named after the rendition, so checks may run in parallel threads.
        local = Path(work) / f"{hashlib.sha1(out_key.encode()).hexdigest()}.avif"
        png = local.with_suffix(".png")
        emulator.s3.download_file(OUTPUT_BUCKET, out_key, str(local))
        check(local.stat().st_size == int(fields["bytes"]["N"]), f"{out_key}: size differs from record")
        decoded = subprocess.run(["avifdec", str(local), str(png)], capture_output=True)
        check(decoded.returncode == 0, f"avifdec cannot decode {out_key}: {decoded.stderr[-500:]}")
        width, height = png_dimensions(png)
        check((width, height) == (int(size["width"]["N"]), int(size["height"]["N"])),
              f"{out_key}: decoded {width}x{height}, record says {size['width']}x{size['height']}")
        local.unlink()
        png.unlink()
    return keys


def check_failed(key, item, kinds):
    """A failed record names one of the accepted kinds, with a reason, also at the top level for
    the failed-records index, and has no outputs."""
    check(item["status"]["S"] == "failed", f"{key} must be failed, is {item['status']}")
    failure = item["failure"]["M"]
    check(failure["kind"]["S"] in kinds, f"{key}: kind {failure['kind']} not in {kinds}")
    check(len(failure["reason"]["S"]) > 10, f"{key}: reason too short: {failure['reason']}")
    check(item.get("failed_kind", {}).get("S") == failure["kind"]["S"], f"{key}: failed_kind {item.get('failed_kind')}")
    check("outputs" not in item, f"{key}: a failed record has outputs")
    check("result" not in item, f"{key}: a failed record has a result")


def check_placeholder(key, result):
    """A complete record's placeholder (docs/RECORD.md): padded standard base64 of a ThumbHash
    (at least its 5-byte header) and a CSS hex average colour."""
    check("placeholder" in result, f"{key}: a complete record has no placeholder")
    fields = result["placeholder"]["M"]
    try:
        thumbhash = base64.b64decode(fields["thumbhash"]["S"], validate=True)
    except ValueError as error:  # binascii.Error is one
        raise Failure(f"{key}: thumbhash {fields['thumbhash']} is not padded base64: {error}")
    check(5 <= len(thumbhash) <= 25, f"{key}: thumbhash of {len(thumbhash)} bytes")
    colour = fields["average_color"]["S"]
    check(re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", colour) is not None,
          f"{key}: average_color {colour!r} is not #rrggbb or #rrggbbaa")


def check_unchanged(before, after, what):
    """Fails naming the records and fields that differ."""
    changed = []
    for object_id in sorted(set(before) | set(after)):
        old, new = before.get(object_id, {}), after.get(object_id, {})
        fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if fields:
            changed.append(f"{object_id}: {fields} (was {[old.get(f) for f in fields]}, now {[new.get(f) for f in fields]})")
    check(not changed, f"{what} changed records: " + "; ".join(changed)[:2000])


def event_keys(body):
    """The decoded object keys an S3 notification body names ([] for anything else)."""
    try:
        document = json.loads(body)
    except ValueError:
        return []
    if not isinstance(document, dict):
        return []
    return [unquote_plus(r["s3"]["object"]["key"]) for r in document.get("Records", []) if "s3" in r]


def written_counts(function_output, write="Written"):
    """How many times the function wrote a record per object id (the `recorded` log lines with
    `write=Written`): twice means a redelivery or a late event was processed again. With
    write="Stale": how many writes the store refused as older than its record."""
    counts = {}
    for line in ANSI.sub("", function_output).splitlines():
        if " recorded" not in line or f"write={write}" not in line:
            continue
        match = re.search(r"object=(\S+)", line)
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def reconcile(emulator, expected, work, function_output, decode_threads=2, writes_allowed=None):
    """Every object has exactly one record with the expected outcome, or sits in the DLQ.

    `expected`: key -> ("complete", None) | ("failed", kinds) | ("dlq", None). Returns a summary
    (counts, outputs no record names). `writes_allowed`: key -> how many record writes that key
    may see (one per version when versions race on concurrent instances); 1 for the others."""
    records = emulator.records()
    expected_records = {object_id(k): k for k, (status, _) in expected.items() if status != "dlq"}
    missing = sorted(set(expected_records) - set(records))
    extra = sorted(set(records) - set(expected_records))
    check(not missing, f"{len(missing)} objects have no record: {missing[:10]}")
    check(not extra, f"{len(extra)} records nobody expected: {extra[:10]}")

    dead = emulator.dead_letters()
    dead_keys = [key for body in dead for key in event_keys(body)]
    expected_dead = sorted(k for k, (status, _) in expected.items() if status == "dlq")
    check(sorted(dead_keys) == expected_dead,
          f"the DLQ holds {sorted(dead_keys)[:10]} ({len(dead_keys)}), expected {expected_dead[:10]} ({len(expected_dead)})")
    check(len(dead_keys) == len(dead), f"{len(dead) - len(dead_keys)} DLQ messages are not S3 notifications")

    writes = written_counts(function_output)
    allowed = {object_id(k): n for k, n in (writes_allowed or {}).items()}
    twice = {oid: n for oid, n in writes.items() if n > allowed.get(oid, 1)}
    check(not twice, f"processed into a record more than once: {dict(list(twice.items())[:10])}")

    def check_one(item):
        key, (status, kinds) = item
        record = records.get(object_id(key))
        if status == "complete":
            return check_complete(emulator, key, record, work)
        if status == "failed":
            check_failed(key, record, kinds)
        return []

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=decode_threads) as pool:
        named = {k for keys in pool.map(check_one, expected.items()) for k in keys}
    outputs = set(emulator.output_objects())
    check(named <= outputs, f"renditions named by records are missing: {sorted(named - outputs)[:10]}")
    summary = {
        "objects": len(expected),
        "records": len(records),
        "dlq": len(dead_keys),
        "by_outcome": {},
        "renditions": len(named),
        "orphan_outputs": sorted(outputs - named),
        "records_written": sum(writes.values()),
        "duplicated": len(twice),
        "lost": len(missing),
    }
    for item in records.values():
        outcome = item["status"]["S"]
        if outcome == "failed":
            outcome += ":" + item["failure"]["M"]["kind"]["S"]
        summary["by_outcome"][outcome] = summary["by_outcome"].get(outcome, 0) + 1
    if dead_keys:
        summary["by_outcome"]["dlq"] = len(dead_keys)
    return summary


class Stack:
    """moto server with the stack's resources, and the function under `cargo lambda watch`.

    `function_endpoint` is where the function sends its AWS calls (moto's own endpoint when
    None, or a proxy in front of it); `extra_env` adds or overrides function variables."""

    def __init__(self, binary, runner="", function_endpoint=None, extra_env=None):
        self.binary = binary
        self.runner = runner
        self.function_endpoint = function_endpoint
        self.extra_env = extra_env or {}
        self.work = tempfile.mkdtemp(prefix=f"imagepipe-{LOG_PREFIX}-")
        self.processes = Processes(self.work)

    def start_moto(self, visibility_timeout=2, notify=True):
        self.endpoint = start_moto(self.processes)
        self.emulator = Emulator(self.endpoint)
        self.emulator.create(visibility_timeout, notify=notify)
        log(f"moto server on {self.endpoint}: buckets, table (+ failed-records index), queue + DLQ"
            + (", S3 -> SQS notification" if notify else ", no notification"))
        return self.emulator

    def start_function(self):
        """The function (the first instance), under its own `cargo lambda watch`."""
        return self.start_functions(1)[0]

    def start_functions(self, count):
        """`count` function processes, each under its own `cargo lambda watch` (one Lambda
        execution environment each), started together. Returns their invokers."""
        started = []
        for index in range(count):
            watch_port = start_watch(self.processes)
            env = function_env(f"http://127.0.0.1:{watch_port}/.rt",
                               self.function_endpoint or self.endpoint, **self.extra_env)
            argv = shlex.split(self.runner) + [self.binary]
            name = "function" if index == 0 else f"function-{index}"
            process, log_path = self.processes.start(name, argv, env=env)
            started.append((process, log_path, watch_port))
        for process, log_path, _ in started:
            wait_for(lambda: "initialised" in Path(log_path).read_text(errors="replace"),
                     "the function's init", timeout=120, process=process, log_path=log_path)
        self.instances = [(process, log_path) for process, log_path, _ in started]
        self.function_process, self.function_log = self.instances[0]
        self.functions = [Function.at_watch(port) for _, _, port in started]
        self.function = self.functions[0]
        log(f"{count} x function {' '.join(argv)} initialised, each against the Runtime API of "
            "its own cargo lambda watch")
        return self.functions

    def function_pid(self):
        return function_pid(self.function_process, self.binary)

    def function_pids(self):
        return [function_pid(process, self.binary) for process, _ in self.instances]

    def function_alive(self):
        return all(process.poll() is None for process, _ in self.instances)

    def function_output(self):
        """Every instance's log, one after the other."""
        return "".join(Path(log_path).read_text(errors="replace") for _, log_path in self.instances)

    def run(self, body):
        """Runs body(), ends every process, keeps the logs (and prints their tails) on failure.
        Exits with status 1 when the run failed."""
        ok = False
        try:
            body()
            ok = True
        except Failure as failure:
            print(f"{LOG_PREFIX}: FAIL: {failure}", file=sys.stderr)
        finally:
            self.processes.stop_all()
            if ok:
                shutil.rmtree(self.work, ignore_errors=True)
            else:
                print(f"{LOG_PREFIX}: logs kept in {self.work}", file=sys.stderr)
                for path in sorted(Path(self.work).glob("*.log")):
                    print(f"--- {path.name} (tail)", file=sys.stderr)
                    print(path.read_text(errors="replace")[-4000:], file=sys.stderr)
        if not ok:
            sys.exit(1)
        log("PASS")
