"""A fake upstream owned by the test suite: named objects on 127.0.0.1 with scripted faults
(429 with Retry-After, truncation, stalls, throttling, redirects to a "CDN", bad checksums),
and a record of every request it saw."""

import hashlib
import http.server
import select
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Obj:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: bool = True              # send a strong ETag (sha1 of the body)
    ranges: bool = True            # honour Range / If-Range
    script: list = field(default_factory=list)  # per-request overrides, consumed in order
    truncate_at: int | None = None  # cut the body after this many bytes ...
    truncate_times: int = 1        # ... on this many requests
    replace_after_cut: bytes | None = None  # the object changes right after a cut
    throttle: int | None = None    # bytes per second
    stall_at: int | None = None    # sleep `stall_seconds` after this many bytes (first request)
    stall_seconds: float = 0
    head_delay: float = 0          # wait this long before the status line (every request);
                                   # ends early, answering nothing, if the client hangs up
    chunked: bool = False          # Transfer-Encoding: chunked
    redirect_to: str | None = None  # 302 to this URL plus signed, expiring query parameters
    redirect_headers: dict = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    at: float
    done: float | None = None  # when the last byte of the answer was written


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._serve(head_only=False)

    def do_HEAD(self):
        self._serve(head_only=True)

    def do_POST(self):
        """An API that answers what it was sent: b"posted:" + the body, for any path."""
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.origin.lock:
            self.server.origin.seen.append(Seen("POST", self.path, dict(self.headers),
                                                time.monotonic(), time.monotonic()))
        self._send(200, {"Content-Type": "application/octet-stream"}, b"posted:" + body, False)

    def _serve(self, head_only):
        origin = self.server.origin
        path = self.path.split("?", 1)[0]
        seen = Seen(self.command, self.path, dict(self.headers), time.monotonic())
        self.seen = seen
        with origin.lock:
            origin.seen.append(seen)
            origin.active += 1
            origin.max_active = max(origin.max_active, origin.active)
            obj = origin.objects.get(path)
            override = obj.script.pop(0) if obj and obj.script else None
        try:
            if obj is not None and obj.head_delay and not self._client_stays(obj.head_delay):
                self.close_connection = True
            elif obj is None:
                self._send(404, {"Content-Type": "text/plain"}, b"no such object\n", head_only)
            elif override is not None:
                self._send(override.get("status", 200), override.get("headers", {}),
                           override.get("body", b""), head_only)
            elif obj.redirect_to:
                signed = (f"{obj.redirect_to}?X-Amz-Signature={uuid.uuid4().hex}"
                          f"&Expires={int(time.time()) + 60}&Key-Pair-Id=K{uuid.uuid4().hex[:6]}")
                self._send(302, {"Location": signed, **obj.redirect_headers}, b"Found.\n",
                           head_only)
            else:
                self._serve_object(obj, head_only)
        finally:
            if seen.done is None:
                seen.done = time.monotonic()
            with origin.lock:
                origin.active -= 1

    def _send(self, status, headers, body, head_only):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _serve_object(self, obj, head_only):
        body = obj.body
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        status, start, end = obj.status, 0, len(body)
        range_header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if obj.ranges and range_header and (if_range is None or if_range == etag):
            first = int(range_header.split("=")[1].split("-")[0])
            status, start = 206, first
        headers = {"Content-Type": "application/octet-stream", **obj.headers}
        if obj.etag:
            headers["ETag"] = etag
        if obj.ranges:
            headers["Accept-Ranges"] = "bytes"
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if obj.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if head_only:
            return
        with self.server.origin.lock:
            cut = obj.truncate_at if obj.truncate_at is not None and obj.truncate_times > 0 else None
            if cut is not None:
                obj.truncate_times -= 1
            stall = obj.stall_at
            obj.stall_at = None
        position = start
        step = 16 * 1024
        while position < end:
            chunk_end = min(end, position + step)
            if cut is not None and chunk_end >= cut:
                chunk_end = cut
            if stall is not None and position < stall <= chunk_end:
                chunk_end = stall
            data = body[position:chunk_end]
            if data:
                if obj.chunked:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                else:
                    self.wfile.write(data)
                self.wfile.flush()
            position = chunk_end
            if position >= end:
                self.seen.done = time.monotonic()
            if cut is not None and position >= cut:
                self._reset()
                if obj.replace_after_cut is not None:
                    obj.body, obj.replace_after_cut = obj.replace_after_cut, None
                return
            if stall is not None and position == stall:
                time.sleep(obj.stall_seconds)
                stall = None
            if obj.throttle:
                time.sleep(len(data) / obj.throttle)
        if obj.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _client_stays(self, seconds):
        """Waits `seconds`; False as soon as the client hangs up (EOF or an error). Over TLS
        it only waits (a TLS socket cannot peek)."""
        if self.server.tls is not None:
            time.sleep(seconds)
            return True
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.2))
            if readable:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return False
                except OSError:
                    return False
                time.sleep(min(left, 0.05))  # a pipelined request: still there
        return True

    def _reset(self):
        """Ends the connection abruptly (RST), as a broken upstream would."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None  # an ssl.SSLContext: HTTPS, the handshake in the handler's thread
    plain_too = False  # with tls: also plain HTTP on the same port, told apart by the first byte

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None and (not self.plain_too or self._speaks_tls(sock)):
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    @staticmethod
    def _speaks_tls(sock):
        """Whether the client's first byte starts a TLS handshake (record type 22)."""
        sock.settimeout(5)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            first = b""
        sock.settimeout(None)
        return first == b"\x16"

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (or fails the handshake) is not the test's failure


class Origin:
    """Usage: origin = Origin(); origin.add("/x", body=b"..."); origin.url("/x")."""

    def __init__(self, host="127.0.0.1", port=0, tls=None, plain_too=False):
        """`tls`: (certificate file, key file) to serve HTTPS; `plain_too`: and plain HTTP on
        the same port (a scheme change that keeps host and port)."""
        self.host = host
        self.scheme = "https" if tls else "http"
        self.lock = threading.Lock()
        self.objects = {}
        self.seen = []
        self.active = 0
        self.max_active = 0
        self.server = _Server((host, port), _Handler)
        self.server.origin = self
        if tls:
            import ssl
            self.server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.server.tls.load_cert_chain(*tls)
            self.server.plain_too = plain_too
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path=""):
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def add(self, path, body=b"", **behaviour) -> Obj:
        obj = Obj(body=body, **behaviour)
        with self.lock:
            self.objects[path] = obj
        return obj

    def requests_for(self, path):
        with self.lock:
            return [s for s in self.seen if s.path.split("?", 1)[0] == path]

    def max_overlap(self, slack=0.0):
        """The most requests that were being answered at one moment (first to last byte).
        `slack` seconds come off each answer's end: its handler notes the end only after the
        last write returns, by which time a client may have asked again (a busy machine)."""
        with self.lock:
            spans = [(s.at, s.done - slack if s.done is not None else float("inf"))
                     for s in self.seen]
        events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
        best = current = 0
        for _, delta in events:
            current += delta
            best = max(best, current)
        return best

    def count(self, path):
        return len(self.requests_for(path))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class CountingListener:
    """Accepts connections on a port and counts them, answering nothing: proof that replay
    mode never opens an outbound connection."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            conn.close()

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()
