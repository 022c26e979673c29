"""A fake Hugging Face Hub that behaves like huggingface.co as the clients see it
(../../../shared/hf-protocol.md): resolve with X-Repo-Commit and ETags, small files as a relative
307 to /api/resolve-cache/ (as huggingface.co answers since 2025, §11.1; `resolve_cache = False`
answers them 200 directly, the older shape), LFS files as 302s to a separate CDN port with
signed, expiring URLs, Xet headers, X-Error-Code errors, repo info, paginated tree listings,
paths-info (form and JSON), gated and private repos, 429s with Retry-After on demand, and the
dataset viewer's /info and /parquet (served on the Hub's own port: hubcache maps
`datasets-server.<host>` there). Standard library only, so any venv can run it (the parquet
files of demo_datasets() exist only where pyarrow is importable).

    python tests/fake_hub/fake_hub.py --demo [--port 0] [--cdn-port 0] [--port-file FILE]
                                              [--cdn-port-file FILE]

starts it with the demo repositories (see demo_repos()). hubcache recording from it needs
`--allow-host http://127.0.0.1:CDN_PORT` (FakeHub.allow_args()) to follow redirects to the CDN.
"""

import argparse
import functools
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

LFS_THRESHOLD = 10 * 1024  # bigger files are LFS (the real threshold is 10 MB; tests want small)
PAGE_SIZE = 3              # tree entries per page: small, so pagination is exercised


@functools.lru_cache(maxsize=None)
def sha256_hex(data: bytes) -> str:
    """Memoized: a file is hashed once, not on every listing and download (bytes cache their
    own hash(), so the lookup is cheap after the first)."""
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=None)
def xet_hash(data: bytes) -> str:
    h = hashlib.sha256(b"xet")
    h.update(data)
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def git_blob_sha1(data: bytes) -> str:
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    return (b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n"
            % (sha256_hex(data).encode(), len(data)))


@dataclass
class Repo:
    type: str            # "model", "dataset", "space"
    id: str
    commits: dict = field(default_factory=dict)   # sha -> {path: bytes}
    refs: dict = field(default_factory=dict)      # branch or tag -> sha
    gated: bool = False
    private: bool = False
    tokens: set = field(default_factory=set)      # tokens allowed in (gated or private)
    lfs_paths: set = field(default_factory=set)   # forced LFS, whatever the size

    def is_lfs(self, path, data):
        return path in self.lfs_paths or len(data) > LFS_THRESHOLD


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    at: float
    server: str  # "hub" or "cdn"


class FakeHub:
    """Two servers on loopback: the Hub (api + resolve) and its CDN."""

    def __init__(self, host="127.0.0.1", port=0, cdn_port=0, tls=None, url_host=None,
                 cdn_tls=None):
        """`tls`: an ssl.SSLContext to speak HTTPS (the Hub); `cdn_tls`: the same for its CDN
        (as huggingface.co's is; hubcache follows no redirect from https down to http);
        `url_host`: the host name in the Hub's URLs (default `host`)."""
        self.lock = threading.Lock()
        self.repos = {}
        self.seen = []
        self.secret = os.urandom(16)
        self.throttled = []  # [(path prefix, Retry-After or None, body)] for the next requests
        self.url_lifetime = 60
        self.blobs = {}  # sha256 -> bytes, for the CDN (filled as URLs are handed out)
        self.cdn_rate = None  # bytes per second the CDN sends at (None: as fast as it can)
        self.viewer = {}  # dataset repo id -> {"info": {config: DatasetInfo dict}, "parquet": [...]}
        self.viewer_failure = None  # a status (404, 500): the dataset viewer answers it to all
        # Small files: a relative 307 to /api/resolve-cache/ (the Hub since 2025), or, when
        # False, a direct 200 (the Hub before).
        self.resolve_cache = True
        self.hub = _Server((host, port), _HubHandler, self, tls)
        self.scheme = "https" if tls else "http"
        self.url_host = url_host or host
        self.cdn = _Server((host, cdn_port), _CdnHandler, self, cdn_tls)
        self.cdn_scheme = "https" if cdn_tls else "http"
        self.host = host
        self.port = self.hub.server_address[1]
        self.cdn_port = self.cdn.server_address[1]
        for server in (self.hub, self.cdn):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    # -- setting up -----------------------------------------------------------------------
    @property
    def url(self):
        return f"{self.scheme}://{self.url_host}:{self.port}"

    @property
    def cdn_origin(self):
        return f"{self.cdn_scheme}://{self.host}:{self.cdn_port}"

    def allow_args(self):
        """The hubcache flags that let it follow the Hub's redirects to this CDN: hubcache
        follows redirects to allowed origins only (scheme, host and port), and the CDN has a
        port of its own. Pass them to every serve, run or preload that records from here."""
        return ["--allow-host", self.cdn_origin]

    def upstream_args(self):
        """`--upstream` this Hub, and allow_args()."""
        return ["--upstream", self.url, *self.allow_args()]

    def viewer_args(self):
        """For `serve` and `run`: this Hub's dataset viewer, which answers on the Hub's own
        port here (huggingface.co has datasets-server.huggingface.co, hubcache's default)."""
        return ["--dataset-viewer", self.url]

    def add_repo(self, repo_id, files, repo_type="model", branch="main", **options):
        repo = Repo(repo_type, repo_id, **options)
        with self.lock:
            self.repos[(repo_type, repo_id)] = repo
        self.commit(repo_id, files, repo_type=repo_type, branch=branch)
        return repo

    def commit(self, repo_id, files, repo_type="model", branch="main", parent=None):
        """A new commit on `branch` with `files` (added to the parent's); returns its sha."""
        repo = self.repos[(repo_type, repo_id)]
        with self.lock:
            base = dict(repo.commits.get(parent or repo.refs.get(branch, ""), {}))
            base.update(files)
            digest = hashlib.sha1(repr(sorted((p, hashlib.sha1(d).hexdigest())
                                              for p, d in base.items())).encode()
                                  + (parent or repo.refs.get(branch, "")).encode()).hexdigest()
            repo.commits[digest] = base
            repo.refs[branch] = digest
        return digest

    def tag(self, repo_id, name, sha, repo_type="model"):
        with self.lock:
            self.repos[(repo_type, repo_id)].refs[name] = sha

    def throttle(self, count=1, retry_after="1", path_prefix="/", body=b""):
        """The next `count` requests under `path_prefix` get 429."""
        with self.lock:
            self.throttled.extend([(path_prefix, retry_after, body)] * count)

    def requests(self, server="hub", path_prefix="/"):
        with self.lock:
            return [s for s in self.seen if s.server == server and s.path.startswith(path_prefix)]

    def stop(self):
        for server in (self.hub, self.cdn):
            server.shutdown()
            server.server_close()

    # -- answering --------------------------------------------------------------------------
    def sign(self, path, expires):
        return hmac.new(self.secret, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()

    def cdn_url(self, data):
        digest = sha256_hex(data)
        with self.lock:
            self.blobs[digest] = data
        path = f"/repos/{digest[:2]}/{digest}"
        expires = int(time.time()) + self.url_lifetime
        query = urllib.parse.urlencode({
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Expires": str(self.url_lifetime),
            "X-Amz-Signature": self.sign(path, expires), "Expires": str(expires),
            "Key-Pair-Id": "K" + digest[:8]})
        return f"{self.cdn_origin}{path}?{query}"

    def blob(self, digest):
        with self.lock:
            return self.blobs.get(digest)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, hub, tls=None):
        super().__init__(address, handler)
        self.hub = hub
        self.tls = tls  # an ssl.SSLContext: HTTPS, as huggingface.co speaks it

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # clients that hang up are not the fake Hub's problem


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name = "hub"

    def log_message(self, *args):
        pass

    @property
    def hub(self):
        return self.server.hub

    def record(self):
        with self.hub.lock:
            self.hub.seen.append(Seen(self.command, self.path, dict(self.headers), time.monotonic(),
                                      self.server_name))

    def send(self, status, headers=None, body=b"", head_only=False):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head_only or not body:
            return
        rate = self.hub.cdn_rate if self.server_name == "cdn" else None
        if not rate:
            self.wfile.write(body)
            return
        step = max(1, rate // 20)  # bytes per 50 ms
        for at in range(0, len(body), step):
            self.wfile.write(body[at:at + step])
            self.wfile.flush()
            time.sleep(0.05)

    def send_bytes(self, data, headers, head_only):
        """200 or 206 (a single Range), as the Hub and its CDN do."""
        headers = dict(headers)
        headers["Accept-Ranges"] = "bytes"
        status, start, end = 200, 0, len(data)
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes="):
            first, _, last = range_header[6:].partition("-")
            if first == "":
                start = max(0, len(data) - int(last))
            else:
                start = int(first)
                end = min(len(data), int(last) + 1) if last else len(data)
            if start >= len(data):
                return self.send(416, {"Content-Range": f"bytes */{len(data)}"}, b"", head_only)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        self.send(status, headers, memoryview(data)[start:end], head_only)

    def error(self, status, code, message, head_only, extra=None):
        headers = {"Content-Type": "application/json", "X-Error-Code": code,
                   "X-Error-Message": message, "X-Request-Id": "Root=1-fake"}
        headers.update(extra or {})
        self.send(status, headers, json.dumps({"error": message}).encode(), head_only)


class _CdnHandler(_Handler):
    server_name = "cdn"

    def do_GET(self):
        self.serve(head_only=False)

    def do_HEAD(self):
        self.serve(head_only=True)

    def serve(self, head_only):
        self.record()
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        expires = int(query.get("Expires", "0"))
        if expires < time.time():
            return self.send(403, {"Content-Type": "text/plain"}, b"Request has expired", head_only)
        if not hmac.compare_digest(query.get("X-Amz-Signature", ""),
                                   self.hub.sign(parsed.path, expires)):
            return self.send(403, {"Content-Type": "text/plain"}, b"SignatureDoesNotMatch",
                             head_only)
        data = self.hub.blob(parsed.path.rsplit("/", 1)[-1])
        if data is None:
            return self.send(404, {"Content-Type": "text/plain"}, b"NoSuchKey", head_only)
        self.send_bytes(data, {"Content-Type": "application/octet-stream",
                               "ETag": '"' + sha256_hex(data) + '"'}, head_only)


TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


class _HubHandler(_Handler):
    server_name = "hub"

    def do_GET(self):
        self.route(head_only=False)

    def do_HEAD(self):
        self.route(head_only=True)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.body = self.rfile.read(length)
        self.route(head_only=False)

    # -- routing ------------------------------------------------------------------------------
    def route(self, head_only):
        self.record()
        raw_path, _, query = self.path.partition("?")
        with self.hub.lock:
            for i, (prefix, retry_after, body) in enumerate(self.hub.throttled):
                if raw_path.startswith(prefix):
                    del self.hub.throttled[i]
                    headers = {"Content-Type": "application/json",
                               "RateLimit": '"resolvers";r=0;t=1',
                               "RateLimit-Policy": '"fixed window";"resolvers";q=3000;w=300'}
                    if retry_after is not None:
                        headers["Retry-After"] = retry_after
                    return self.send(429, headers, body or b'{"error":"rate limited"}', head_only)
        segments = raw_path.split("/")[1:]
        if segments[:2] == ["api", "telemetry"]:
            return self.send(200, {}, b"", head_only)
        if segments in (["info"], ["parquet"]):
            return self.dataset_viewer(segments[0], query, head_only)
        if segments[:2] == ["api", "resolve-cache"] and len(segments) >= 6 \
                and segments[2] in TYPES:
            return self.serve_resolve_cache(TYPES[segments[2]], segments[3:], head_only)
        if segments and segments[0] == "api" and len(segments) >= 3 and segments[1] in TYPES:
            return self.api(TYPES[segments[1]], segments[2:], query, head_only)
        repo_type = "model"
        if segments and segments[0] in ("datasets", "spaces"):
            repo_type = TYPES[segments[0]]
            segments = segments[1:]
        for at in (1, 2):
            if len(segments) > at + 1 and segments[at] in ("resolve", "raw"):
                return self.resolve(repo_type, "/".join(segments[:at]), segments[at + 1:],
                                    head_only, raw_path)
        self.send(404, {"Content-Type": "text/plain"}, b"Not Found", head_only)

    def find_repo(self, repo_type, repo_id, head_only):
        """The repo, or None after answering the error the Hub gives."""
        repo = self.hub.repos.get((repo_type, repo_id))
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if repo is None or (repo.private and token not in repo.tokens):
            self.error(401, "RepoNotFound", "Invalid username or password.", head_only)
            return None
        if repo.gated and token not in repo.tokens:
            if not token:
                self.error(401, "GatedRepo", f"Access to {repo_type} {repo_id} is restricted. You "
                           "must have access to it and be authenticated to access it. Please log "
                           "in.", head_only)
            else:
                self.error(403, "GatedRepo", f"Access to {repo_type} {repo_id} is restricted and "
                           "you are not in the authorized list. Visit "
                           f"{self.hub.url}/{repo_id} to ask for access.", head_only)
            return None
        return repo

    @staticmethod
    def take_revision(segments):
        """(revision, rest): an encoded revision is one segment; a raw refs/pr/N takes three."""
        first = urllib.parse.unquote(segments[0])
        if first == "refs" and len(segments) >= 3 and segments[1] in ("pr", "convert"):
            return "/".join(segments[:3]), segments[3:]
        return first, segments[1:]

    def commit_of(self, repo, revision, head_only):
        if revision == "HEAD":
            revision = "main"
        sha = repo.refs.get(revision, revision if revision in repo.commits else None)
        if sha is None:
            self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", head_only)
        return sha

    # -- /resolve -----------------------------------------------------------------------------
    def resolve(self, repo_type, repo_id, rest, head_only, raw_path):
        repo = self.find_repo(repo_type, repo_id, head_only)
        if repo is None:
            return
        revision, rest = self.take_revision(rest)
        sha = self.commit_of(repo, revision, head_only)
        if sha is None:
            return
        path = urllib.parse.unquote("/".join(rest))
        data = repo.commits[sha].get(path)
        if data is None:
            return self.error(404, "EntryNotFound", f"{path} does not exist on \"{revision}\"",
                              head_only, {"X-Repo-Commit": sha})
        common = {"X-Repo-Commit": sha, "X-Request-Id": "Root=1-fake", "Vary": "Origin"}
        if not repo.is_lfs(path, data):
            etag = '"' + git_blob_sha1(data) + '"'
            if not self.hub.resolve_cache:
                return self.send_bytes(data, {**common, "Content-Type": "text/plain; charset=utf-8",
                                              "ETag": etag}, head_only)
            # What huggingface.co answers since 2025 (hf-protocol.md §11.1): a relative 307,
            # naming the commit but no ETag, to a URL at the commit that answers the body.
            query = (urllib.parse.quote(raw_path, safe="") + "=&etag="
                     + urllib.parse.quote(etag, safe=""))
            location = (f"/api/resolve-cache/{repo_type}s/{repo_id}/{sha}/"
                        f"{urllib.parse.quote(path)}?{query}")
            return self.send(307, {**common, "Location": location, "Accept-Ranges": "bytes",
                                   "Content-Type": "text/plain; charset=utf-8"},
                             f"Temporary Redirect. Redirecting to {location}".encode(), head_only)
        digest = sha256_hex(data)
        xet = xet_hash(data)
        lfs = {**common, "X-Linked-Etag": f'"{digest}"', "X-Linked-Size": str(len(data)),
               "X-Xet-Hash": xet,
               "Link": (f'<{self.hub.url}/api/{repo_type}s/{repo_id}/xet-read-token/{sha}>; '
                        f'rel="xet-auth", <https://cas-server.test/v1/reconstructions/{xet}>; '
                        'rel="xet-reconstruction-info"')}
        if "application/vnd.xet-fileinfo+json" in self.headers.get("Accept", ""):
            info = json.dumps({"casUrl": "https://cas-server.test", "hash": xet,
                               "refreshUrl": f"{self.hub.url}/api/{repo_type}s/{repo_id}/"
                                             f"xet-read-token/{sha}"}).encode()
            return self.send(200, {**lfs, "Content-Type": "application/vnd.xet-fileinfo+json"},
                             info, head_only)
        location = self.hub.cdn_url(data)
        self.send(302, {**lfs, "Location": location, "Content-Type": "text/plain; charset=utf-8"},
                  f"Found. Redirecting to {location}".encode(), head_only)

    def serve_resolve_cache(self, repo_type, segments, head_only):
        """/api/resolve-cache/{type}s/{repo}/{commit}/{path}: a small file at a commit, with
        its ETag and a long Cache-Control (the query the 307 added is not needed)."""
        for at in (2, 1):
            repo_id = "/".join(segments[:at])
            if (repo_type, repo_id) in self.hub.repos and len(segments) > at + 1:
                break
        repo = self.find_repo(repo_type, repo_id, head_only)
        if repo is None:
            return
        sha, path = segments[at], urllib.parse.unquote("/".join(segments[at + 1:]))
        if sha not in repo.commits:
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {sha}", head_only)
        data = repo.commits[sha].get(path)
        if data is None:
            return self.error(404, "EntryNotFound", f"{path} does not exist on \"{sha}\"",
                              head_only, {"X-Repo-Commit": sha})
        self.send_bytes(data, {"X-Repo-Commit": sha, "X-Request-Id": "Root=1-fake",
                               "Content-Type": "text/plain; charset=utf-8",
                               "ETag": '"' + git_blob_sha1(data) + '"',
                               "Cache-Control": "public, max-age=31536000, immutable"},
                        head_only)

    # -- /api ---------------------------------------------------------------------------------
    def api(self, repo_type, segments, query, head_only):
        keywords = ("revision", "tree", "paths-info", "xet-read-token", "refs")
        if len(segments) >= 2 and segments[1] in keywords:
            repo_id, rest = segments[0], segments[1:]
        else:
            repo_id, rest = "/".join(segments[:2]), segments[2:]
        repo = self.find_repo(repo_type, repo_id, head_only)
        if repo is None:
            return
        params = urllib.parse.parse_qs(query)
        if not rest or rest[0] == "revision":
            revision = urllib.parse.unquote("/".join(rest[1:])) if rest else "main"
            sha = self.commit_of(repo, revision or "main", head_only)
            if sha is not None:
                self.json(self.repo_info(repo, sha, params), head_only)
        elif rest[0] == "tree" and len(rest) >= 2:
            revision, path_segments = self.take_revision(rest[1:])
            sha = self.commit_of(repo, revision, head_only)
            if sha is not None:
                self.tree(repo, sha, revision, urllib.parse.unquote("/".join(path_segments)),
                          params, head_only)
        elif rest[0] == "paths-info" and len(rest) >= 2 and self.command == "POST":
            revision = urllib.parse.unquote("/".join(rest[1:]))
            sha = self.commit_of(repo, revision, head_only)
            if sha is not None:
                self.paths_info(repo, sha)
        elif rest[0] == "xet-read-token":
            self.send(200, {"X-Xet-Cas-Url": "https://cas-server.test", "X-Xet-Access-Token": "t",
                            "X-Xet-Token-Expiration": str(int(time.time()) + 600)}, b"{}", head_only)
        else:
            self.send(404, {"Content-Type": "text/plain"}, b"Not Found", head_only)

    def json(self, value, head_only, headers=None):
        self.send(200, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                  json.dumps(value).encode(), head_only)

    def entry(self, repo, path, data, sha, expand):
        entry = {"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": path}
        if repo.is_lfs(path, data):
            pointer = lfs_pointer(data)
            entry["oid"] = git_blob_sha1(pointer)
            entry["lfs"] = {"oid": sha256_hex(data), "size": len(data),
                            "pointerSize": len(pointer)}
            entry["xetHash"] = xet_hash(data)
        if expand:
            entry["lastCommit"] = {"id": sha, "title": "Upload", "date": "2026-01-01T00:00:00.000Z"}
        return entry

    def repo_info(self, repo, sha, params):
        files = repo.commits[sha]
        info = {"_id": hashlib.sha1(repo.id.encode()).hexdigest()[:24], "id": repo.id,
                "sha": sha, "private": repo.private, "gated": "auto" if repo.gated else False,
                "disabled": False, "lastModified": "2026-01-01T00:00:00.000Z",
                "createdAt": "2025-01-01T00:00:00.000Z", "tags": [], "downloads": 0, "likes": 0,
                "author": repo.id.split("/")[0] if "/" in repo.id else None,
                "siblings": [{"rfilename": p} for p in sorted(files)]}
        if repo.type == "model":
            info["modelId"] = repo.id
            info["pipeline_tag"] = None
            info["library_name"] = "transformers"
        if params.get("blobs", ["false"])[0].lower() == "true":
            for sibling in info["siblings"]:
                data = files[sibling["rfilename"]]
                sibling["size"] = len(data)
                sibling["blobId"] = git_blob_sha1(data)
                if repo.is_lfs(sibling["rfilename"], data):
                    sibling["lfs"] = {"sha256": sha256_hex(data),
                                      "size": len(data), "pointerSize": len(lfs_pointer(data))}
        expand = params.get("expand")
        if expand:
            info = {k: v for k, v in info.items() if k in set(expand) | {"_id", "id"}}
        return info

    def tree(self, repo, sha, revision, path, params, head_only):
        files = repo.commits[sha]
        recursive = params.get("recursive", ["false"])[0].lower() in ("true", "1")
        expand = params.get("expand", ["false"])[0].lower() in ("true", "1")
        prefix = path.rstrip("/") + "/" if path else ""
        if path and not any(p.startswith(prefix) for p in files):
            return self.error(404, "EntryNotFound", f"{path} does not exist on \"{revision}\"",
                              head_only, {"X-Repo-Commit": sha})
        entries, dirs = [], set()
        for file_path in sorted(files):
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix):]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                directory = prefix + "/".join(parts[:depth])
                if (recursive or depth == 1) and directory not in dirs:
                    dirs.add(directory)
                    entries.append({"type": "directory", "oid": hashlib.sha1(directory.encode())
                                    .hexdigest(), "size": 0, "path": directory})
            if recursive or len(parts) == 1:
                entries.append(self.entry(repo, file_path, files[file_path], sha, expand))
        entries.sort(key=lambda e: e["path"])
        start = int(base64.urlsafe_b64decode(params["cursor"][0]).decode()) if "cursor" in params \
            else 0
        page = entries[start:start + PAGE_SIZE]
        headers = {}
        if start + PAGE_SIZE < len(entries):
            query = dict((k, v[0]) for k, v in params.items())
            query["cursor"] = base64.urlsafe_b64encode(str(start + PAGE_SIZE).encode()).decode()
            raw = self.path.split("?", 1)[0]
            headers["Link"] = f'<{self.hub.url}{raw}?{urllib.parse.urlencode(query)}>; rel="next"'
        self.json(page, head_only, headers)

    def paths_info(self, repo, sha):
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type:
            payload = json.loads(self.body or b"{}")
            paths = payload.get("paths", [])
            expand = bool(payload.get("expand"))
        else:
            form = urllib.parse.parse_qs(self.body.decode())
            paths = form.get("paths", [])
            expand = form.get("expand", ["false"])[0].lower() == "true"
        files = repo.commits[sha]
        out = []
        for path in paths:
            if path in files:
                out.append(self.entry(repo, path, files[path], sha, expand))
            elif any(p.startswith(path.rstrip("/") + "/") for p in files):
                out.append({"type": "directory", "oid": hashlib.sha1(path.encode()).hexdigest(),
                            "size": 0, "path": path})
        self.json(out, False)


    # -- the dataset viewer (datasets-server) ----------------------------------------------------
    def dataset_viewer(self, endpoint, query, head_only):
        """GET /info?dataset=R and /parquet?dataset=R as datasets-server answers them, the JSON
        datasets/utils/_dataset_viewer.py reads: complete (`partial` false, nothing pending or
        failed) and `X-Revision` = the commit of main it describes."""
        failure = self.hub.viewer_failure
        if failure:
            return self.send(failure, {"Content-Type": "application/json"},
                             json.dumps({"error": "Unexpected error."}).encode(), head_only)
        dataset = urllib.parse.parse_qs(query).get("dataset", [""])[0]
        repo = self.hub.repos.get(("dataset", dataset))
        known = self.hub.viewer.get(dataset)
        if repo is None or repo.private or repo.gated or known is None:
            return self.send(404, {"Content-Type": "application/json", "X-Error-Code":
                                   "DatasetNotFoundError"},
                             json.dumps({"error": "The dataset does not exist, or is not "
                                         "accessible without authentication (private or gated)."
                                         " Please check the spelling of the dataset name or "
                                         "retry with authentication."}).encode(), head_only)
        if endpoint == "info":
            body = {"dataset_info": known["info"]}
        else:
            convert = urllib.parse.quote("refs/convert/parquet", safe="")
            body = {"parquet_files": [
                {"dataset": dataset, "config": f["config"], "split": f["split"],
                 "url": f"{self.hub.url}/datasets/{dataset}/resolve/{convert}/{f['path']}",
                 "filename": f["path"].rsplit("/", 1)[-1], "size": f["size"]}
                for f in known["parquet"]]}
        body.update({"pending": [], "failed": [], "partial": False})
        self.json(body, head_only, {"X-Revision": repo.refs["main"]})


# -- the demo repositories ----------------------------------------------------------------------

def tiny_safetensors(rows=64, cols=64):
    data = bytes(4 * rows * cols)
    header = json.dumps({"embeddings.weight": {"dtype": "F32", "shape": [rows, cols],
                                               "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + data


def bert_tokenizer_json(vocab):
    """The tokenizers-library JSON of a lower-casing WordPiece BERT tokenizer over `vocab`:
    what transformers.js loads (it does not read vocab.txt)."""
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ids = {token: i for i, token in enumerate(vocab)}

    def token(id_):
        return {"SpecialToken": {"id": id_, "type_id": 0}}

    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for t in special],
        "normalizer": {"type": "BertNormalizer", "clean_text": True,
                       "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [token("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, token("[SEP]")],
            "pair": [token("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, token("[SEP]"),
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]}
                               for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }, indent=2).encode()


def demo_repos(hub):
    """hubcache-demo/tiny-bert (config + tokenizer + LFS weights, a tag, a PR ref),
    hubcache-demo/tiny-data (a dataset), hubcache-demo/gated (token hf_demo_token), and the
    datasets of demo_datasets(); the
    same bytes and commits on every start, so a store recorded once keeps replaying."""
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "hub", "##cache",
             "the", "a", "model", "test", "offline", "replay", ".", ","]
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 32,
              "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64,
              "vocab_size": len(vocab), "max_position_embeddings": 64}
    bert = {
        "config.json": json.dumps(config, indent=2).encode(),
        "vocab.txt": ("\n".join(vocab) + "\n").encode(),
        "tokenizer.json": bert_tokenizer_json(vocab),
        "tokenizer_config.json": json.dumps({"tokenizer_class": "BertTokenizer",
                                             "do_lower_case": True,
                                             "model_max_length": 64}).encode(),
        "special_tokens_map.json": json.dumps({"unk_token": "[UNK]", "sep_token": "[SEP]",
                                               "pad_token": "[PAD]", "cls_token": "[CLS]",
                                               "mask_token": "[MASK]"}).encode(),
        "model.safetensors": tiny_safetensors(),
        "README.md": b"# tiny-bert\nA tiny BERT for hubcache's demo.\n",
        "onnx/model.onnx": random.Random(1).randbytes(40_000),
    }
    hub.add_repo("hubcache-demo/tiny-bert", bert)
    first = hub.repos[("model", "hubcache-demo/tiny-bert")].refs["main"]
    hub.tag("hubcache-demo/tiny-bert", "v1.0", first)
    hub.commit("hubcache-demo/tiny-bert", {"README.md": b"# tiny-bert\nNow with a PR.\n"},
               branch="refs/pr/1", parent=first)
    hub.add_repo("hubcache-demo/tiny-data", {
        "README.md": b"---\nlicense: mit\n---\n# tiny-data\n",
        "data/train.csv": b"text,label\nhello world,1\nreplay offline,0\n",
        "data/test.csv": b"text,label\nhub cache,1\n",
        "docs/a file with space.txt": b"spaces are fine\n",
    }, repo_type="dataset")
    hub.add_repo("hubcache-demo/gated", {"config.json": b'{"model_type": "bert"}',
                                          "weights.bin": random.Random(2).randbytes(20_000)},
                 gated=True, tokens={"hf_demo_token"})
    demo_datasets(hub)


TINY_DATASET = "acme/tiny-dataset"        # csv; its card's `configs:` name the splits by glob
TINY_DISCOVERED = "acme/tiny-discovered"  # jsonl, no configs: splits found by file name
TINY_PARQUET = "acme/tiny-parquet"        # one LFS parquet file (only where pyarrow imports)


def _csv(rows):
    return ("text,label\n" + "".join(f"{text},{label}\n" for text, label in rows)).encode()


def _jsonl(rows):
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _parquet(columns, row_group_size):
    """Uncompressed parquet of `columns` ({name: values}), the same bytes for one pyarrow
    version; None without pyarrow (the fake Hub itself needs only the standard library)."""
    try:
        import io
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out, compression="none", row_group_size=row_group_size)
    return out.getvalue()


def _value(dtype):
    return {"dtype": dtype, "_type": "Value"}


def _viewer_info(repo_id, builder, config, features, splits):
    """A DatasetInfo dict as the dataset viewer's /info gives it for one config; `splits`:
    {split: (rows, bytes)}."""
    name = repo_id.split("/")[1]
    return {"description": "", "citation": "", "homepage": "", "license": "",
            "features": features, "builder_name": builder, "dataset_name": name,
            "config_name": config,
            "version": {"version_str": "0.0.0", "major": 0, "minor": 0, "patch": 0},
            "splits": {split: {"name": split, "num_bytes": size, "num_examples": count,
                               "dataset_name": name}
                       for split, (count, size) in splits.items()},
            "download_size": sum(size for _, size in splits.values()),
            "dataset_size": sum(size for _, size in splits.values())}


def demo_datasets(hub):
    """The datasets `datasets` loads in the tests, each in one format (a repo's configs share
    one builder), with what the dataset viewer says of them:
    - acme/tiny-dataset: csv; a README whose `configs:` give the default config's train split as
      a glob over two shards plus a test file, and a `test_only` config; /info for both configs,
      and with pyarrow a refs/convert/parquet branch that /parquet lists;
    - acme/tiny-discovered: jsonl, no configs (train and validation found by file name), one
      part LFS so streaming reads it in ranges; the viewer knows nothing of it (404);
    - acme/tiny-parquet (with pyarrow): 1,500 rows in three row groups, one LFS file whose
      footer a reader fetches from the end."""
    rng = random.Random(4)
    words = ["hub", "cache", "replay", "offline", "record", "strict", "tiny", "data"]
    sentence = lambda: " ".join(rng.choice(words) for _ in range(3))  # noqa: E731
    train = [[(sentence(), rng.randrange(2)) for _ in range(4)] for _ in range(2)]
    test = [(sentence(), rng.randrange(2)) for _ in range(3)]
    card = ("---\nlicense: mit\nconfigs:\n"
            "- config_name: default\n  data_files:\n"
            "  - split: train\n    path: data/train-*.csv\n"
            "  - split: test\n    path: data/test.csv\n"
            "- config_name: test_only\n  data_files:\n"
            "  - split: test\n    path: data/test.csv\n"
            "---\n# tiny-dataset\nA tiny dataset for hubcache's tests.\n")
    files = {"README.md": card.encode(),
             "data/train-00000-of-00002.csv": _csv(train[0]),
             "data/train-00001-of-00002.csv": _csv(train[1]),
             "data/test.csv": _csv(test)}
    hub.add_repo(TINY_DATASET, files, repo_type="dataset")
    train_bytes = len(files["data/train-00000-of-00002.csv"]) + \
        len(files["data/train-00001-of-00002.csv"])
    features = {"text": _value("string"), "label": _value("int64")}
    info = {"default": _viewer_info(TINY_DATASET, "csv", "default", features,
                                    {"train": (8, train_bytes),
                                     "test": (3, len(files["data/test.csv"]))}),
            "test_only": _viewer_info(TINY_DATASET, "csv", "test_only", features,
                                      {"test": (3, len(files["data/test.csv"]))})}
    converted, converted_files = [], {}
    for split, rows in (("train", train[0] + train[1]), ("test", test)):
        data = _parquet({"text": [t for t, _ in rows], "label": [x for _, x in rows]}, 100)
        if data is not None:
            path = f"default/{split}/0000.parquet"
            converted_files[path] = data
            converted.append({"config": "default", "split": split, "path": path,
                              "size": len(data)})
    if converted_files:
        hub.commit(TINY_DATASET, converted_files, repo_type="dataset",
                   branch="refs/convert/parquet")
    hub.viewer[TINY_DATASET] = {"info": info, "parquet": converted}

    hub.add_repo(TINY_DISCOVERED, {
        "README.md": b"---\nlicense: cc0-1.0\n---\n# tiny-discovered\n",
        "data/train-00000-of-00002.jsonl": _jsonl([{"id": i, "kind": rng.choice(words),
                                                    "score": round(rng.random(), 4)}
                                                   for i in range(5)]),
        "data/train-00001-of-00002.jsonl": _jsonl([{"id": 1000 + i, "kind": rng.choice(words),
                                                    "score": round(rng.random(), 4)}
                                                   for i in range(300)]),
        "data/validation-00000-of-00001.jsonl": _jsonl([{"id": 5000, "kind": "held out",
                                                         "score": 0.5}]),
    }, repo_type="dataset")

    numbers = _parquet({"id": list(range(1500)),
                        "value": [round(rng.random(), 6) for _ in range(1500)],
                        "name": [f"n{rng.randrange(10**6):06d}" for _ in range(1500)]}, 500)
    if numbers is not None:
        hub.add_repo(TINY_PARQUET, {"README.md": b"---\nlicense: mit\n---\n",
                                    "numbers/train.parquet": numbers}, repo_type="dataset")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cdn-port", type=int, default=0,
                        help="the CDN's port (default: any free one); hubcache follows the "
                             "Hub's redirects there with --allow-host http://HOST:CDN_PORT")
    parser.add_argument("--port-file", help="write the Hub's port here once listening")
    parser.add_argument("--cdn-port-file", help="write the CDN's port here once listening")
    parser.add_argument("--demo", action="store_true", help="serve the demo repositories")
    args = parser.parse_args()
    hub = FakeHub(args.host, args.port, args.cdn_port)
    if args.demo:
        demo_repos(hub)
    # The CDN's port first: a reader that sees the Hub's port file can read both.
    for path, port in ((args.cdn_port_file, hub.cdn_port), (args.port_file, hub.port)):
        if path:
            with open(path + ".tmp", "w") as f:
                f.write(f"{port}\n")
            os.replace(path + ".tmp", path)
    print(f"fake hub on {hub.url} (cdn on port {hub.cdn_port})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    hub.stop()


if __name__ == "__main__":
    main()
