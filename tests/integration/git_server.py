"""A git host owned by the test suite, shaped like the Hub's (issue 15): smart HTTP served by
Debian's `git http-backend` as a CGI program, and the git-lfs batch API answering `basic`
transfers with download hrefs to a second port, a "CDN", as the Hub's LFS answers point at its
CDN with signed, expiring URLs.

Bare repositories live at ROOT/{org}/{repo}.git, their LFS objects at
ROOT/{org}/{repo}.git/lfs/objects/{oid[0:2]}/{oid[2:4]}/{oid} (where git-lfs keeps them in a
bare repository). URLs are accepted with and without `.git`, as huggingface.co accepts both:
  GET  /{org}/{repo}[.git]/info/refs?service=git-upload-pack
  POST /{org}/{repo}[.git]/git-upload-pack            (Content-Encoding: gzip or identity)
  POST /{org}/{repo}[.git]/info/lfs/objects/batch     (application/vnd.git-lfs+json)
The CDN (an origin.Origin on its own port) serves each object the batch API named at
/repos/{org}/{repo}/{oid}."""

import gzip
import hashlib
import http.server
import json
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from origin import Origin

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
LFS_JSON = "application/vnd.git-lfs+json"

_ROUTE = re.compile(r"^/([A-Za-z0-9._-]+)/([A-Za-z0-9._-]+?)(?:\.git)?"
                    r"/(info/refs|git-upload-pack|info/lfs/objects/batch)$")


@dataclass
class Seen:
    method: str
    path: str                 # as requested, query included
    headers: dict
    body: bytes               # as sent (before any Content-Encoding is undone)
    content_encoding: str     # "" for identity


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._route()

    def do_POST(self):
        self._route()

    def _read_body(self):
        """The request body as sent: Content-Length, or chunked (git sends a request larger
        than http.postBuffer chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _route(self):
        server = self.server.git
        path, _, query = self.path.partition("?")
        body = self._read_body() if self.command == "POST" else b""
        encoding = self.headers.get("Content-Encoding", "").strip().lower()
        with server.lock:
            server.seen.append(Seen(self.command, self.path, dict(self.headers), body, encoding))
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding not in ("", "identity"):
            return self._send(415, {"Content-Type": "text/plain"}, b"unknown Content-Encoding\n")
        match = _ROUTE.match(path)
        if not match or not (server.root / match[1] / f"{match[2]}.git").is_dir():
            return self._send(404, {"Content-Type": "text/plain"}, b"Repository not found\n")
        org, repo, action = match.groups()
        if action == "info/lfs/objects/batch":
            if self.command != "POST":
                return self._send(405, {"Content-Type": "text/plain"}, b"POST only\n")
            return self._batch(org, repo, body)
        self._http_backend(f"/{org}/{repo}.git/{action}", query, body)

    def _http_backend(self, path_info, query, body):
        server = self.server.git
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": str(server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        # Protocol v2 is asked for with this header; without it http-backend speaks v0.
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        done = subprocess.run([HTTP_BACKEND], input=body, capture_output=True, env=env,
                              timeout=60)
        head, sep, payload = done.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name.strip()] = value.strip()
        if not sep:
            status, headers, payload = 500, {"Content-Type": "text/plain"}, done.stderr
        self._send(status, headers, payload)

    def _batch(self, org, repo, body):
        """The batch API's download operation, `basic` transfer (the git-lfs spec's shape, and
        the Hub's: an href to the CDN with a signed, expiring query)."""
        server = self.server.git
        try:
            request = json.loads(body)
        except ValueError:
            return self._send(422, {"Content-Type": LFS_JSON}, b'{"message":"bad json"}')
        objects = []
        for obj in request.get("objects", []):
            oid, size = obj.get("oid", ""), obj.get("size", 0)
            data = server.lfs_object(org, repo, oid)
            if data is None or len(data) != size:
                objects.append({"oid": oid, "size": size,
                                "error": {"code": 404, "message": "Object does not exist"}})
                continue
            cdn_path = f"/repos/{org}/{repo}/{oid}"
            server.cdn.add(cdn_path, data)
            expires = int(time.time()) + 3600
            href = (f"{server.cdn_url(cdn_path)}?Expires={expires}"
                    f"&Policy={uuid.uuid4().hex}&Signature={uuid.uuid4().hex}"
                    f"&Key-Pair-Id=K{uuid.uuid4().hex[:8]}")
            objects.append({"oid": oid, "size": size, "authenticated": True,
                            "actions": {"download": {
                                "href": href,
                                "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                            time.gmtime(expires))}}})
        answer = {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}
        self._send(200, {"Content-Type": LFS_JSON}, json.dumps(answer).encode())

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None  # an ssl.SSLContext: HTTPS, the handshake in the handler's thread

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not the test's failure


class GitServer:
    """Usage: server = GitServer(root), bare repositories under root; server.url("/org/repo").
    `host`: the address both ports listen on. `url_host`: the host named in the URLs it hands
    out (url(), the CDN's hrefs), `host` unless another spelling of it is wanted. `tls`:
    (certificate file, key file) to serve both over HTTPS."""

    def __init__(self, root: Path, host="127.0.0.2", url_host=None, tls=None):
        self.root = Path(root)
        self.host = host
        self.url_host = url_host or host
        self.scheme = "https" if tls else "http"
        self.lock = threading.Lock()
        self.seen = []
        self.cdn = Origin(host=host, tls=tls)
        self.server = _Server((host, 0), _Handler)
        self.server.git = self
        if tls:
            import ssl
            self.server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.server.tls.load_cert_chain(*tls)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path=""):
        return f"{self.scheme}://{self.url_host}:{self.port}{path}"

    def cdn_url(self, path=""):
        return f"{self.scheme}://{self.url_host}:{self.cdn.port}{path}"

    def lfs_object(self, org, repo, oid):
        if not re.fullmatch(r"[0-9a-f]{64}", oid):
            return None
        path = self.root / org / f"{repo}.git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
        if not path.is_file():
            return None
        data = path.read_bytes()
        return data if hashlib.sha256(data).hexdigest() == oid else None

    def requests(self, action):
        """What was asked of one endpoint (`info/refs`, `git-upload-pack`, `batch`)."""
        with self.lock:
            return [s for s in self.seen if s.path.split("?", 1)[0].endswith(action)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.cdn.stop()
