"""What the end-to-end suite (run.py) and the Lambda benchmark (scripts/bench/lambda.py) share:
processes in their own groups, moto server, `cargo lambda watch` as the Runtime API, the
function's environment, invoking it, and reading a process's memory and CPU from /proc.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

import boto3
from botocore.config import Config

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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


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


def function_pid(process, binary):
    """The function's own PID: the process itself, or its child when started under a runner."""
    name = Path(binary).name
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for child in children:
            if name in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
                return int(child)
    return process.pid


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
    """`cargo lambda watch --only-lambda-apis` on a free port. Returns the port."""
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
    """The environment Lambda gives the function, pointed at the emulators."""
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
        "IMAGEPIPE_MIN_REMAINING_MS": "1000",
        "RUST_LOG": "info",
    }
    env.update(extra)
    return env


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

    def direct_event(self, key, sequence):
        """The S3 notification S3 sends straight to a function for an object already uploaded."""
        head = self.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
        return {"Records": [{
            "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": INPUT_BUCKET}, "object": {
                "key": event_key_of(key), "size": head["ContentLength"],
                "eTag": head["ETag"].strip('"'), "versionId": head.get("VersionId"),
                "sequencer": f"{sequence:016X}"}}}]}


def event_key_of(key):
    """How S3 (and moto) encode a key in an event: form-URL-encoding."""
    return quote_plus(key, safe="")


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


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
