"""A minimal Lambda Runtime API on loopback that timestamps what a cold start is made of: the
instant a freshly spawned function first asks for work (GET .../invocation/next, the end of its
init), and the instant each response comes back.

One `Session` per spawned process, each on a server of its own (see `RuntimeStub`): it hands
its events to whoever polls, and is forgotten (its blocked pollers released) when the next one
starts.
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


class Session:
    def __init__(self):
        self.active = True
        self.address = None
        self.first_poll = None
        self.init_error = None
        self.events = queue.Queue()
        self.responses = {}
        self.answered = threading.Condition()

    def queue(self, payload):
        """Queues an event for the next poll; returns its request id."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, json.dumps(payload).encode()))
        return request_id

    def answer(self, request_id, wait):
        """(perf_counter instant, "response" or "error", body) of the answer to `request_id`,
        waiting up to `wait` seconds for it; None if it has not come."""
        with self.answered:
            if request_id not in self.responses:
                self.answered.wait(wait)
            return self.responses.pop(request_id, None)

    def invoke(self, payload, timeout=600.0):
        """Queues an event; returns (seconds from queueing to the response, the response)."""
        started = time.perf_counter()
        request_id = self.queue(payload)
        deadline = started + timeout
        while (answer := self.answer(request_id, 0.5)) is None:
            if time.perf_counter() > deadline or self.init_error is not None:
                raise TimeoutError(f"no response to {request_id}: init error {self.init_error}")
        at, kind, body = answer
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


class _Handler(BaseHTTPRequestHandler):
    """Serves the session of the server it belongs to."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        now = time.perf_counter()
        session = self.server.session
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
        session = self.server.session
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
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


class RuntimeStub:
    """One loopback server per session, each on its own port: a request that a killed process
    sent just before it died can only reach its own, finished session, never take the next
    process's event or stamp its first poll. Spawn each process with
    AWS_LAMBDA_RUNTIME_API set to its session's `address`."""

    def __init__(self):
        self.session = None
        self.server = None
        self.new_session()

    @property
    def address(self):
        """AWS_LAMBDA_RUNTIME_API of the current session."""
        return self.session.address

    def new_session(self):
        self._end_current()
        session = Session()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.session = session
        # AWS_LAMBDA_RUNTIME_API as Lambda sets it: host:port, no scheme.
        session.address = f"127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self.session, self.server = session, server
        return session

    def _end_current(self):
        if self.server is not None:
            self.session.active = False
            self.server.shutdown()
            self.server.server_close()

    def close(self):
        self._end_current()
        self.server = None
