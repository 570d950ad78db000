"""A minimal Lambda Runtime API on loopback that timestamps what a cold start is made of: the
instant a freshly spawned function first asks for work (GET .../invocation/next, the end of its
init), and the instant each response comes back. It also answers the Extensions API's register
call, which lambda_runtime's graceful-shutdown hook makes during init as it does on Lambda.

One `Session` per spawned process: the stub hands that session's events to whoever polls and
forgets the session (and its blocked pollers) when the next one starts.
"""

import contextlib
import json
import queue
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
EXTENSION_PREFIX = "/2020-01-01/extension"


class Session:
    def __init__(self):
        self.active = True
        self.first_poll = None
        self.init_error = None
        self.events = queue.Queue()
        self.responses = {}
        self.answered = threading.Condition()

    def invoke(self, payload, timeout=600.0):
        """Queues an event; returns (seconds from queueing to the response, the response)."""
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        self.events.put((request_id, json.dumps(payload).encode()))
        deadline = started + timeout
        with self.answered:
            while request_id not in self.responses:
                left = deadline - time.perf_counter()
                if left <= 0 or self.init_error is not None:
                    raise TimeoutError(f"no response to {request_id}: init error {self.init_error}")
                self.answered.wait(min(left, 0.5))
            at, kind, body = self.responses.pop(request_id)
        if kind != "response":
            raise RuntimeError(f"the function reported an error: {body[:500]!r}")
        return at - started, json.loads(body) if body else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A spawned process killed mid-poll resets its connection; that is the point of a
        # cold-start run, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeStub:
    def __init__(self):
        self.session = Session()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                now = time.perf_counter()
                session = stub.session
                if self.path == f"{EXTENSION_PREFIX}/event/next":
                    # No SHUTDOWN in a benchmark: the poller waits until the process is killed.
                    while session.active:
                        time.sleep(0.2)
                    self.close_connection = True
                    return
                if self.path != f"{PREFIX}/invocation/next":
                    self.send_error(404)
                    return
                if session.first_poll is None:
                    session.first_poll = now
                while session.active:
                    try:
                        request_id, body = session.events.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                    deadline_ms = int((time.time() + 900) * 1000)
                    self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline_ms))
                    self.send_header(
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:000000000000:function:bench",
                    )
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    with contextlib.suppress(OSError):
                        self.wfile.write(body)
                    return
                self.close_connection = True

            def do_POST(self):
                now = time.perf_counter()
                session = stub.session
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path == f"{EXTENSION_PREFIX}/register":
                    # lambda_runtime's graceful-shutdown hook registers a no-op extension.
                    answer = json.dumps({"functionName": "bench", "functionVersion": "1",
                                         "handler": "bootstrap"}).encode()
                    self.send_response(200)
                    self.send_header("Lambda-Extension-Identifier", str(uuid.uuid4()))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts[:2] == ["init", "error"]:
                    session.init_error = body.decode(errors="replace")
                elif len(parts) == 3 and parts[0] == "invocation":
                    with session.answered:
                        session.responses[parts[1]] = (now, parts[2], body)
                        session.answered.notify_all()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self):
        """AWS_LAMBDA_RUNTIME_API as Lambda sets it: host:port, no scheme."""
        return f"127.0.0.1:{self.port}"

    def new_session(self):
        self.session.active = False
        self.session = Session()
        return self.session

    def close(self):
        self.session.active = False
        self.server.shutdown()
