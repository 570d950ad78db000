"""A fault-injecting HTTP proxy on loopback, between the function's AWS SDK and moto server.

The function's AWS_ENDPOINT_URL points here; each request is forwarded to moto unless a rule
matches it, in which case the proxy answers with an error status (S3's XML or DynamoDB's JSON
error shape), resets the connection (before answering, or halfway through the body), forwards
and then holds the answer back, or stops halfway through the body for a while. Every request is logged with the SDK's invocation id
and attempt number (`amz-sdk-invocation-id`, `amz-sdk-request`), so a run can tell the SDK's
own retries (same invocation id, attempt 2, 3) from redeliveries of the message (new id).

Rules (first match wins; a rule that has used up its count no longer matches):
    Rule(name, service="s3"|"dynamodb", operation="GetObject"|..., key=regex,
         fault="status"|"reset"|"reset_mid"|"delay"|"stall_body", status=503, code="SlowDown",
         delay=2.5, count=None (unlimited), per_key=False, probability=1.0)
The key an S3 request is about is "bucket/key"; a DynamoDB item request's is its `object_id`.
"""

import http.client
import json
import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

# Hop-by-hop headers and the ones the proxy recomputes when it relays a buffered message.
SKIPPED_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


@dataclass
class Rule:
    name: str
    service: str
    operation: str
    fault: str
    key: str = ""
    status: int = 503
    code: str = "ServiceUnavailable"
    delay: float = 0.0
    count: int | None = None
    per_key: bool = False
    probability: float = 1.0

    def matches(self, request):
        return (self.service == request["service"]
                and self.operation == request["operation"]
                and re.search(self.key, request["key"] or "") is not None)


def describe(method, path, headers, body):
    """Service, operation and key of a request, from what the SDK sends."""
    credential = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", headers.get("Authorization", ""))
    service = credential.group(1) if credential else "?"
    if service == "dynamodb":
        operation = headers.get("X-Amz-Target", "?").rsplit(".", 1)[-1]
        key = None
        try:
            document = json.loads(body or b"{}")
            item = document.get("Key") or document.get("Item") or {}
            key = item.get("object_id", {}).get("S")
        except ValueError:
            pass
        return service, operation, key
    url = urlsplit(path)
    key = unquote(url.path).lstrip("/")
    explicit = parse_qs(url.query).get("x-id")
    if explicit:
        operation = explicit[0]
    elif "/" not in key:
        operation = f"{method} bucket"
    else:
        operation = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject",
                     "DELETE": "DeleteObject"}.get(method, method)
    return service, operation, key


def error_body(service, status, code):
    message = f"injected by fault_proxy: {code}"
    if service == "dynamodb":
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
        return "application/x-amz-json-1.0", body.encode()
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>fault-{status}</RequestId></Error>")
    return "application/xml", body.encode()


class FaultProxy:
    def __init__(self, upstream_port, rules=(), seed=1):
        self.upstream_port = upstream_port
        self.rules = list(rules)
        self.log = []
        self.lock = threading.Lock()
        self.used = {}
        self.random = random.Random(seed)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one_request(self):
                # Overridden dispatch: every method goes through one relay.
                try:
                    self.raw_requestline = self.rfile.readline(65537)
                    if not self.raw_requestline:
                        self.close_connection = True
                        return
                    if not self.parse_request():
                        return
                    proxy.relay(self)
                    self.wfile.flush()
                except (ConnectionError, socket.timeout, BrokenPipeError):
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.upstreams = threading.local()

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def set_rules(self, rules):
        with self.lock:
            self.rules = list(rules)
            self.used = {}

    def entries(self, **where):
        """Logged requests whose fields equal `where`."""
        with self.lock:
            return [e for e in self.log if all(e.get(k) == v for k, v in where.items())]

    def _choose(self, request):
        with self.lock:
            for rule in self.rules:
                if not rule.matches(request):
                    continue
                counter = (rule.name, request["key"]) if rule.per_key else (rule.name,)
                if rule.count is not None and self.used.get(counter, 0) >= rule.count:
                    continue
                if self.random.random() >= rule.probability:
                    continue
                self.used[counter] = self.used.get(counter, 0) + 1
                return rule
        return None

    def _upstream(self):
        connection = getattr(self.upstreams, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
            self.upstreams.connection = connection
        return connection

    def _forward(self, handler, body):
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in SKIPPED_HEADERS}
        headers["Content-Length"] = str(len(body))
        for attempt in range(2):
            connection = self._upstream()
            try:
                connection.request(handler.command, handler.path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                # A kept-alive connection moto closed meanwhile: one fresh try.
                connection.close()
                self.upstreams.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _read_body(handler):
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += handler.rfile.read(size)
                handler.rfile.readline()
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))

    @staticmethod
    def _reset(handler):
        """Closes with a TCP RST (linger 0), as a dropped connection looks to the client."""
        handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        handler.close_connection = True

    def _respond(self, handler, status, headers, body, cut=False, stall=0.0):
        handler.send_response_only(status)
        for name, value in headers:
            if name.lower() not in SKIPPED_HEADERS:
                handler.send_header(name, value)
        no_body = handler.command == "HEAD" or status in (204, 304)
        if handler.command == "HEAD":
            length = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
        else:
            length = str(len(body))
        handler.send_header("Content-Length", length)
        handler.end_headers()
        if no_body:
            return
        if cut:
            handler.wfile.write(body[: len(body) // 2])
            self._reset(handler)
            return
        if stall:
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            time.sleep(stall)
            handler.wfile.write(body[len(body) // 2:])
            return
        handler.wfile.write(body)

    def relay(self, handler):
        body = self._read_body(handler)
        service, operation, key = describe(handler.command, handler.path, handler.headers, body)
        request = {"service": service, "operation": operation, "key": key}
        rule = self._choose(request)
        entry = {
            **request,
            "at": time.monotonic(),
            "invocation": handler.headers.get("amz-sdk-invocation-id"),
            "attempt": handler.headers.get("amz-sdk-request", ""),
            "fault": rule.name if rule else None,
            "status": None,
        }
        with self.lock:
            self.log.append(entry)
        if rule and rule.fault == "reset":
            self._reset(handler)
            return
        if rule and rule.fault == "status":
            content_type, error = error_body(service, rule.status, rule.code)
            entry["status"] = rule.status
            self._respond(handler, rule.status, [("Content-Type", content_type)], error)
            return
        status, headers, upstream_body = self._forward(handler, body)
        entry["status"] = status
        if rule and rule.fault == "delay":
            # Upstream has done the work; only the answer is late (a write may have landed).
            time.sleep(rule.delay)
        fault = rule.fault if rule else None
        self._respond(handler, status, headers, upstream_body, cut=fault == "reset_mid",
                      stall=rule.delay if fault == "stall_body" else 0.0)
