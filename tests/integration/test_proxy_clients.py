"""Clients of the forward proxy, unchanged, under `hubcache run` (issue 6): requests with
stream=True feeding Pillow, httpx, a 50 MiB download, and pip installing from an HTTPS
simple index. Each is recorded, then replayed with the origin stopped."""

import base64
import hashlib
import io
import os
import sys
import zipfile

import pytest

from origin import CountingListener, Origin


@pytest.fixture
def far_origin(test_ca):
    """An HTTPS origin on 127.0.0.2: loopback, but outside the NO_PROXY that `run` sets."""
    server = Origin(host="127.0.0.2", tls=(str(test_ca["cert"]), str(test_ca["key"])))
    yield server
    server.stop()


def flags(test_ca, allow, *more):
    """`allow`: the origin the clients reach through the proxy (scheme, host and port)."""
    return ["--allow-host", allow, "--upstream-ca", str(test_ca["ca"]), *more]


def record_then_replay(hubcache, origin, test_ca, command, replay_command=None):
    """Runs `command` under `hubcache run` online, then (or `replay_command`) replayed with
    the origin gone."""
    recorded = hubcache.run("run", *flags(test_ca, origin.url()), "--", *command, timeout=300)
    assert recorded.returncode == 0, recorded.stderr[-3000:]
    port = origin.port
    origin.stop()
    watch = CountingListener(port, host="127.0.0.2")
    try:
        replay_flags = flags(test_ca, origin.url(), "--mode", "replay", "--strict")
        replayed = hubcache.run("run", *replay_flags, "--", *(replay_command or command),
                                timeout=300)
        assert replayed.returncode == 0, replayed.stderr[-3000:]
        assert watch.connections == 0
    finally:
        watch.stop()
    return recorded.stdout, replayed.stdout


def test_pillow_httpx_and_a_large_stream(hubcache, far_origin, test_ca):
    from PIL import Image
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(jpeg, "JPEG")
    far_origin.add("/img/cat.jpg", jpeg.getvalue(), headers={"Content-Type": "image/jpeg"})
    font = os.urandom(30_000)
    far_origin.add("/fonts/Inter.ttf", font)
    big = os.urandom(50 * 1024 * 1024)
    far_origin.add("/weights/big.bin", big)
    script = f"""
import hashlib, httpx, requests
from PIL import Image
r = requests.get({far_origin.url('/img/cat.jpg')!r}, stream=True)
image = Image.open(r.raw)
print(image.format, image.size)
print(hashlib.sha256(httpx.get({far_origin.url('/fonts/Inter.ttf')!r}).content).hexdigest())
digest = hashlib.sha256()
with requests.get({far_origin.url('/weights/big.bin')!r}, stream=True) as big:
    for chunk in big.iter_content(1 << 20):
        digest.update(chunk)
print(digest.hexdigest())
"""
    recorded, replayed = record_then_replay(hubcache, far_origin, test_ca,
                                            [sys.executable, "-c", script])
    want = ["JPEG (64, 48)", hashlib.sha256(font).hexdigest(), hashlib.sha256(big).hexdigest()]
    assert recorded.splitlines() == want
    assert replayed.splitlines() == want


def wheel(name, version):
    """A minimal pure-Python wheel: one module and its dist-info."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {f"{name.replace('-', '_')}.py": b"GREETING = 'hello from a recorded wheel'\n",
             f"{dist}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{dist}.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nGenerator: hubcache-tests\nRoot-Is-Purelib: true\n"
                 b"Tag: py3-none-any\n"}
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    record += f"{dist}.dist-info/RECORD,,\n"
    files[f"{dist}.dist-info/RECORD"] = record.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return f"{dist}-py3-none-any.whl", out.getvalue()


def test_pip_installs_from_an_https_index_through_the_proxy(hubcache, far_origin, test_ca,
                                                           tmp_path):
    filename, data = wheel("hubcache-demo-pkg", "1.0.0")
    digest = hashlib.sha256(data).hexdigest()
    far_origin.add(f"/packages/{filename}", data)
    far_origin.add("/simple/hubcache-demo-pkg/",
                   f'<html><body><a href="../../packages/{filename}#sha256={digest}">{filename}'
                   f"</a></body></html>".encode(), headers={"Content-Type": "text/html"})
    script = f"""
import subprocess, sys
target = sys.argv[1]
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir",
                "--disable-pip-version-check", "--index-url", {far_origin.url('/simple/')!r},
                "--target", target, "hubcache-demo-pkg==1.0.0"], check=True)
sys.path.insert(0, target)
import hubcache_demo_pkg
print(hubcache_demo_pkg.GREETING)
"""
    recorded, replayed = record_then_replay(
        hubcache, far_origin, test_ca, [sys.executable, "-c", script, str(tmp_path / "site1")],
        [sys.executable, "-c", script, str(tmp_path / "site2")])
    assert recorded.strip() == replayed.strip() == "hello from a recorded wheel"


def test_node_hub_client_through_https_proxy(hubcache, test_ca, tmp_path):
    """@huggingface/hub talking to the Hub itself (not HF_ENDPOINT), through HTTPS_PROXY."""
    import json
    import ssl
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "tests" / "fake_hub"))
    from fake_hub import FakeHub, demo_repos
    from test_hub_clients import BERT, repo_files, sha
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(str(test_ca["cert"]), str(test_ca["key"]))
    hub = FakeHub(host="127.0.0.2", tls=tls)
    demo_repos(hub)
    files = repo_files(hub, BERT)
    actions = json.dumps([{"op": "download", "repo": BERT, "file": "config.json"},
                          {"op": "list_files", "repo": BERT}])
    command = ["env", f"JS_CLIENT_HUB_URL={hub.url}", f"HF_HUB_CACHE={tmp_path / 'js'}",
               "node", str(ROOT / "tests" / "integration" / "clients" / "js_client.mjs"), actions]
    want = [{"sha256": sha(files["config.json"]), "size": len(files["config.json"])},
            {"files": sorted(files)}]
    try:
        recorded = hubcache.run("run", *flags(test_ca, hub.cdn_origin), "--upstream", hub.url,
                                "--", *command, timeout=300)
        assert recorded.returncode == 0, recorded.stderr[-3000:]
        assert json.loads(recorded.stdout.strip().splitlines()[-1]) == want
        assert len(hub.requests("hub", f"/{BERT}/resolve/main/config.json")) == 1
    finally:
        hub.stop()
    watch = CountingListener(hub.port, host="127.0.0.2")
    try:
        replay_flags = flags(test_ca, hub.cdn_origin, "--mode", "replay", "--strict")
        replayed = hubcache.run("run", *replay_flags, "--upstream", hub.url, "--", *command,
                                timeout=300)
        assert replayed.returncode == 0, replayed.stderr[-3000:]
        assert json.loads(replayed.stdout.strip().splitlines()[-1]) == want
        assert watch.connections == 0
    finally:
        watch.stop()
