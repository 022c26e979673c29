"""A real S3 engine for the fleet tests: Ceph radosgw on a memstore OSD (radosgw.sh), started
once per test session on free loopback ports (about 1.5 s). It verifies SigV4 strictly (payload hash
included), so it proves hubcache's signing, not just its S3 calls.

The tests' own S3 calls use curl's --aws-sigv4, a signer independent of hubcache's."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
READ_WRITE = ("CIACCESSKEY", "CISECRETKEY")
READ_ONLY = ("CIREADONLY", "CIREADSECRET")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radosgw:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="radosgw-"))
        self.port = free_port()
        self.mon_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        done = subprocess.run([str(HERE / "radosgw.sh"), "start", str(self.dir), str(self.port),
                               str(self.mon_port)],
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            self.stop()
            raise RuntimeError(f"radosgw did not start: {done.stdout}{done.stderr}")

    def stop(self):
        subprocess.run([str(HERE / "radosgw.sh"), "stop", str(self.dir)], capture_output=True,
                       timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- what hubcache gets ------------------------------------------------------------------
    def env(self, ro=False, secret=None):
        key, real_secret = READ_ONLY if ro else READ_WRITE
        return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret or real_secret,
                "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint}

    # -- the tests' own S3 client: curl ------------------------------------------------------
    def curl(self, method, path, *, query="", body=None, ro=False, check=True, extra=()):
        key, secret = READ_ONLY if ro else READ_WRITE
        url = f"{self.endpoint}/{path}" + (f"?{query}" if query else "")
        args = ["curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{key}:{secret}",
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", method, "-o", "-",
                "-w", "\n%{http_code}", *extra, url]
        if body is not None:
            args[1:1] = ["--data-binary", "@-", "-H", "Content-Type: application/octet-stream"]
        done = subprocess.run(args, input=body, capture_output=True, timeout=60)
        payload, _, status = done.stdout.rpartition(b"\n")
        status = int(status or 0)
        if check and not 200 <= status < 300:
            raise AssertionError(f"{method} {url}: {status} {payload[:300]!r} {done.stderr!r}")
        return status, payload

    def new_bucket(self):
        """A fresh bucket the read-only user may read (a bucket policy) but not write."""
        name = f"fleet-{uuid.uuid4().hex[:12]}"
        self.curl("PUT", name)
        policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
                  '["arn:aws:iam:::user/ro"]},"Action":["s3:GetObject","s3:ListBucket"],'
                  f'"Resource":["arn:aws:s3:::{name}","arn:aws:s3:::{name}/*"]}}]}}')
        self.curl("PUT", name, query="policy=", body=policy.encode())
        return name

    def keys(self, bucket, prefix=""):
        keys, token = [], None
        while True:
            query = ""
            if token:
                query += "continuation-token=" + _quote(token) + "&"
            query += "list-type=2&prefix=" + _quote(prefix)
            _, xml = self.curl("GET", bucket, query=query)
            text = xml.decode()
            keys += [_unescape(k) for k in re.findall(r"<Key>(.*?)</Key>", text)]
            more = re.search(r"<NextContinuationToken>(.*?)</NextContinuationToken>", text)
            if "<IsTruncated>true</IsTruncated>" not in text or not more:
                return keys
            token = _unescape(more.group(1))

    def get(self, bucket, key):
        status, body = self.curl("GET", f"{bucket}/{_quote(key, safe='/')}", check=False)
        return body if status == 200 else None

    def put(self, bucket, key, data):
        self.curl("PUT", f"{bucket}/{_quote(key, safe='/')}", body=data)

    @contextlib.contextmanager
    def outage(self):
        """The S3 endpoint refuses connections until the block ends (radosgw stopped, then
        started again on the same port)."""
        subprocess.run([str(HERE / "radosgw.sh"), "stop-rgw", str(self.dir)],
                       check=True, capture_output=True, timeout=60)
        try:
            yield
        finally:
            subprocess.run([str(HERE / "radosgw.sh"), "start-rgw", str(self.dir)],
                           check=True, capture_output=True, timeout=120)


def _quote(text, safe=""):
    import urllib.parse
    return urllib.parse.quote(text, safe=safe)


def _unescape(text):
    import html
    return html.unescape(text)


@pytest.fixture(scope="session")
def radosgw():
    if not shutil.which("radosgw") or not shutil.which("ceph-mon"):
        pytest.skip("ceph/radosgw not installed: run ./scripts/setup")
    server = Radosgw()
    yield server
    server.stop()
