#!/usr/bin/env python3
"""One invocation with little time left and a stalled S3 read, end to end: the release function
talks to moto through fault_proxy.py, which holds back the GetObject answer of one object for
far longer than the invocation has. `cargo lambda watch` always gives an invocation ten minutes,
so this script serves the Runtime API itself (the endpoints lambda_runtime uses) and hands out
one SQS event with a real `Lambda-Runtime-Deadline-Ms`, as Lambda does.

Asserts: the function answers before the deadline; the answer names the stalled message and the
one there was no time to start, and only them; the object before them has its record.
Prints the timings.

Usage: deadline_run.py --binary PATH [--seconds-left 12]
"""

import argparse
import json
import queue
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
from fault_proxy import FaultProxy, Rule
from harness import INPUT_BUCKET, UPLOAD_PREFIX, Stack, check, function_env, log, s3_event, wait_for
from inputs import png

harness.LOG_PREFIX = "deadline-e2e"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:imagepipe"


class RuntimeApi:
    """The Runtime API's invocation endpoints for one function process: `invoke` queues an
    event with a deadline; the answer (or error) is recorded with the time it arrived."""

    def __init__(self):
        self.invocations = queue.Queue()
        self.answers = {}
        self.answered = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"{}", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/2018-06-01/runtime/invocation/next":
                    request_id, payload, deadline_ms = api.invocations.get()
                    self.reply(200, json.dumps(payload).encode(), [
                        ("Lambda-Runtime-Aws-Request-Id", request_id),
                        ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                        ("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN),
                    ])
                else:
                    self.reply(404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = re.fullmatch(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", self.path)
                if answer:
                    with api.answered:
                        api.answers[answer.group(1)] = (time.time(), answer.group(2), body)
                        api.answered.notify_all()
                self.reply(202)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, request_id, payload, deadline):
        self.invocations.put((request_id, payload, int(deadline * 1000)))

    def answer(self, request_id, timeout):
        with self.answered:
            self.answered.wait_for(lambda: request_id in self.answers, timeout)
            return self.answers.get(request_id)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def sqs_message(message_id, body):
    return {"messageId": message_id, "receiptHandle": message_id, "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "awsRegion": "us-east-1"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds-left", type=float, default=12.0,
                        help="time the invocation has; above the function's default minimum (10 s)")
    args = parser.parse_args()
    stack = Stack(args.binary)
    parts = {}

    def scenario():
        emulator = stack.start_moto()
        proxy = FaultProxy(int(stack.endpoint.rsplit(":", 1)[1])).start()
        parts["proxy"] = proxy
        api = RuntimeApi()
        parts["api"] = api
        # The SDK's defaults (8 s per attempt, 30 s per call): the stalled read outlasts the
        # invocation, so only the function's own deadline can end it.
        env = function_env(f"http://{api.address}", proxy.endpoint)
        process, log_path = stack.processes.start("function", [args.binary], env=env)
        wait_for(lambda: "initialised" in log_path.read_text(errors="replace"), "the function's init",
                 timeout=120, process=process, log_path=log_path)

        keys = {name: f"{UPLOAD_PREFIX}deadline/{name}.png" for name in ("done", "stalled", "not-started")}
        messages = []
        for index, (name, key) in enumerate(keys.items()):
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=png(48, 40, seed=index))
            head = emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
            messages.append(sqs_message(name, s3_event(head, key, 0x10 + index)))
        proxy.set_rules([Rule("stalled-get", "s3", "GetObject", "delay", key=re.escape("deadline/stalled."),
                              delay=600)])

        started = time.time()
        deadline = started + args.seconds_left
        api.invoke("deadline-1", {"Records": messages}, deadline)
        answer = api.answer("deadline-1", timeout=args.seconds_left + 30)
        check(answer is not None, f"no answer {args.seconds_left + 30:.0f} s after the invocation started")
        answered_at, kind, body = answer
        log(f"{args.seconds_left:.1f} s left at the start; answered after {answered_at - started:.2f} s, "
            f"{deadline - answered_at:.2f} s before the deadline")
        check(answered_at < deadline, f"answered {answered_at - deadline:.2f} s after the deadline")
        check(kind == "response", f"the function answered with an error: {body[:500]!r}")
        failed = [f["itemIdentifier"] for f in json.loads(body)["batchItemFailures"]]
        check(failed == ["stalled", "not-started"], f"batch item failures {failed}")
        stalled_reads = proxy.entries(operation="GetObject", fault="stalled-get")
        check(stalled_reads, "the stalled object's read was never sent")
        log(f"the stalled GetObject was sent {len(stalled_reads)} times (SDK attempts) before the object was cut")
        check(not any(e["key"].endswith(keys["not-started"]) for e in proxy.entries(operation="GetObject")),
              "the last object was started")
        record = emulator.record(keys["done"])
        check(record is not None and record["status"]["S"] == "complete", f"the first object's record: {record}")
        check(emulator.record(keys["stalled"]) is None, "the stalled object has a record")
        check(process.poll() is None, "the function process died")

    try:
        stack.run(scenario)
    finally:
        for part in ("proxy", "api"):
            if part in parts:
                parts[part].stop()


if __name__ == "__main__":
    main()
