#!/usr/bin/env python3
"""A stand-in Lambda function speaking the Runtime API directly, for the extension's e2e test and
benchmark: no build, no dependency. Each invocation sleeps IMAGEPIPE_FAKE_WORK_MS (default 0)
and logs one `imagepipe_metrics` line, as the real function does per processed object."""
import json
import os
import time
import urllib.request

api = os.environ["AWS_LAMBDA_RUNTIME_API"]
base = (api if api.startswith("http") else "http://" + api).rstrip("/") + "/2018-06-01/runtime"
work_seconds = int(os.environ.get("IMAGEPIPE_FAKE_WORK_MS", "0")) / 1000

while True:
    with urllib.request.urlopen(base + "/invocation/next") as next_invocation:
        request_id = next_invocation.headers["Lambda-Runtime-Aws-Request-Id"]
        next_invocation.read()
    if work_seconds:
        time.sleep(work_seconds)
    figures = {"bytes_in": 1000000, "bytes_out": 50000, "renditions": 2}
    print(json.dumps({"requestId": request_id, "imagepipe_metrics": figures}), flush=True)
    response = urllib.request.Request(
        f"{base}/invocation/{request_id}/response", data=b'"ok"', method="POST"
    )
    urllib.request.urlopen(response).read()
