"""Credentials as clusters give them (issue 18): the AWS credential chain of the SDKs, for the
fleet tier. The keys come from fake credential services of the suite (aws_credential_services.py):
web identity through STS (EKS IRSA), the container endpoint (EKS Pod Identity) and IMDSv2 (an
instance profile). They are real keys of radosgw's read-only user, made when handed out and
removed from radosgw when they expire, so radosgw's strict SigV4 check proves that every request
after an expiry was signed with keys fetched since. moto's server mode stands in for AWS's STS
(its answers have AWS's shape) and S3 behind one AWS_ENDPOINT_URL; moto checks no signature, so
that test proves the STS exchange and the endpoints, not the signing.

What these tests do not prove: that AWS's own STS, ECS/EKS agents and IMDS accept hubcache's
requests (their shapes are the documented ones the fakes check: an unsigned form POST, the
Authorization token, the IMDSv2 session token), nor the IMDS hop limit (a property of the
instance, not of the client)."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from aws_credential_services import CredentialServices
from radosgw import free_port
from test_fleet import Mounted, is_mounted, manifest, metrics, publish  # noqa: F401
from test_hub_clients import BERT, repo_files, sha


class RotatingKeys:
    """Keys of radosgw's read-only user, made on demand and removed once they expire."""

    def __init__(self, radosgw):
        self.radosgw = radosgw
        self.env = {**os.environ, "CEPH_CONF": str(radosgw.dir / "ceph.conf")}
        self.revoked = []
        self.services = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._revoke_expired, daemon=True)
        self.thread.start()

    def admin(self, *args):
        subprocess.run(["radosgw-admin", *args], check=True, capture_output=True, env=self.env,
                       timeout=60)

    def issue(self):
        key = "ASIA" + uuid.uuid4().hex[:16].upper()
        secret = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        self.admin("key", "create", "--uid=ro", "--key-type=s3", f"--access-key={key}",
                   f"--secret-key={secret}")
        return key, secret

    def start(self, **options):
        services = CredentialServices(self.issue, **options)
        self.services.append(services)
        return services

    def _expired(self, now):
        return [i[1] for s in self.services for i in s.served_all() if i[4] <= now
                and i[1] not in self.revoked]

    def _revoke_expired(self):
        while not self.stopping.wait(0.2):
            for key in self._expired(time.time()):
                self.admin("key", "rm", "--uid=ro", "--key-type=s3", f"--access-key={key}")
                self.revoked.append(key)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=30)
        for key in self._expired(float("inf")):
            self.admin("key", "rm", "--uid=ro", "--key-type=s3", f"--access-key={key}")
        for services in self.services:
            services.stop()


@pytest.fixture
def rotating(radosgw):
    keys = RotatingKeys(radosgw)
    yield keys
    keys.stop()


def published(hubcache, fake_hub, radosgw, tmp_path):
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket, manifest(tmp_path, f"{BERT}\n"))
    return bucket


def assert_no_secret_anywhere(services, *texts, folders=()):
    secrets = services.secrets()
    assert secrets
    for text in texts:
        for secret in secrets:
            assert secret not in text
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in data, path


def fetch(node, path):
    with urllib.request.urlopen(node.url(path), timeout=60) as response:
        return response.status, response.read()


def test_issue18_serve_on_web_identity_reads_past_expiry_and_rereads_the_rotated_token(
        hubcache, fake_hub, radosgw, serve, rotating, tmp_path):
    bucket = published(hubcache, fake_hub, radosgw, tmp_path)
    token_file = tmp_path / "irsa-token"
    first_token = "eyJhbGciOiJSUzI1NiJ9.first." + uuid.uuid4().hex
    token_file.write_text(first_token + "\n")
    services = rotating.start(lifetime=8, web_identity_file=token_file)
    env = {"AWS_ROLE_ARN": services.ROLE_ARN, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
           "AWS_ROLE_SESSION_NAME": "node-1", "AWS_ENDPOINT_URL_STS": services.url + "/sts",
           "AWS_ENDPOINT_URL_S3": radosgw.endpoint, "AWS_REGION": "us-east-1"}
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 "--remote-ttl", "0s", store_dir=tmp_path / "node", env=env)
    files = sorted(repo_files(fake_hub, BERT).items())
    second_token = "eyJhbGciOiJSUzI1NiJ9.second." + uuid.uuid4().hex
    start = time.time()
    read = 0
    remote_requests_at_first_revocation = None
    # 22 s: keys live 8 s and are renewed at half their life, so about five pairs, and every
    # pair but the last is removed from radosgw while the node keeps reading.
    while time.time() - start < 22:
        if time.time() - start > 2 and token_file.read_text().strip() == first_token:
            token_file.write_text(second_token)  # the kubelet rotated it: only the new one is good
        path, data = files[read % len(files)] if read < len(files) else files[0]
        status, body = fetch(node, f"/{BERT}/resolve/main/{path}")
        assert status == 200 and sha(body) == sha(data), path
        read += 1
        if rotating.revoked and remote_requests_at_first_revocation is None:
            remote_requests_at_first_revocation = metrics(node)["hubcache_remote_requests_total"]
        time.sleep(0.5)
    assert read >= len(files)
    # The bucket was asked after the first keys were gone (--remote-ttl 0s: every resolve asks).
    assert metrics(node)["hubcache_remote_requests_total"] > remote_requests_at_first_revocation + 10
    sts = services.served("sts")
    assert len(sts) >= 4, services.requests
    assert all(outcome == "200" for _, _, outcome in services.requests), services.requests
    assert services.tokens_seen[0] == first_token and services.tokens_seen[-1] == second_token
    assert len(rotating.revoked) >= 2  # read on after their keys were gone from radosgw
    assert node.stats()["tiers"]["remote"]["errors"] == 0
    with urllib.request.urlopen(node.url("/_hubcache/metrics"), timeout=10) as response:
        metrics_text = response.read().decode()
    rc = node.stop()
    assert rc == 0
    assert_no_secret_anywhere(services, node.stderr, node.log_path.read_text(), metrics_text,
                              folders=[tmp_path / "node"])


def test_issue18_a_refusing_sts_stops_serve_with_the_source_and_no_secret(
        hubcache, fake_hub, radosgw, rotating, tmp_path):
    bucket = published(hubcache, fake_hub, radosgw, tmp_path)
    token_file = tmp_path / "irsa-token"
    token_file.write_text("eyJ.some." + uuid.uuid4().hex)
    services = rotating.start(web_identity_file=token_file)
    services.refuse_sts = True
    env = {"AWS_ROLE_ARN": services.ROLE_ARN, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
           "AWS_ENDPOINT_URL_STS": services.url + "/sts", "AWS_ENDPOINT_URL": radosgw.endpoint}
    done = hubcache.run("serve", "--listen", "127.0.0.1:0", "--upstream", fake_hub.url,
                        "--remote", f"s3://{bucket}/ci", env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"credentials (web identity role {services.ROLE_ARN})" in done.stderr
    assert "InvalidIdentityToken" in done.stderr
    assert_no_secret_anywhere(services, done.stderr, done.stdout)


@pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse")
def test_issue18_a_mount_on_container_credentials_reads_past_expiry(
        hubcache, fake_hub, radosgw, rotating, tmp_path):
    bucket = published(hubcache, fake_hub, radosgw, tmp_path)
    token_file = tmp_path / "pod-identity-token"
    token_file.write_text("pod-token-" + uuid.uuid4().hex)
    services = rotating.start(lifetime=8, container_token_file=token_file)
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": services.url + "/creds",
           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
           "AWS_ENDPOINT_URL": radosgw.endpoint}
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    store = tmp_path / "mount-store"
    m = Mounted(hubcache, store, mountpoint, env, "--remote", f"s3://{bucket}/ci", "--remote-ttl", "0s")
    try:
        commit = fake_hub.repos[("model", BERT)].refs["main"]
        snapshot = mountpoint / f"models--{BERT.replace('/', '--')}" / "snapshots" / commit
        files = sorted(repo_files(fake_hub, BERT).items())
        start = time.time()
        read = 0
        while time.time() - start < 20:
            if time.time() - start > 3 and "rotated" not in token_file.read_text():
                token_file.write_text("pod-token-rotated-" + uuid.uuid4().hex)
            # Each file read once, spread over the run: blobs first read after keys expired.
            if read < len(files) and time.time() - start > read * 20 / len(files):
                path, data = files[read]
                assert sha((snapshot / path).read_bytes()) == sha(data), path
                read += 1
            refs = mountpoint / f"models--{BERT.replace('/', '--')}" / "refs" / "main"
            assert refs.read_text() == commit
            time.sleep(0.5)
        assert read == len(files)
        assert len(services.served("container")) >= 4, services.requests
        assert all(outcome == "200" for _, _, outcome in services.requests), services.requests
        assert "rotated" in services.tokens_seen[-1] and "rotated" not in services.tokens_seen[0]
        assert len(rotating.revoked) >= 2
    finally:
        rc = m.stop()
    assert rc == 0, m.stderr
    assert not is_mounted(mountpoint)
    assert_no_secret_anywhere(services, m.stderr, folders=[store])


def test_issue18_serve_on_an_instance_profile_through_imdsv2(
        hubcache, fake_hub, radosgw, serve, rotating, tmp_path):
    bucket = published(hubcache, fake_hub, radosgw, tmp_path)
    services = rotating.start(lifetime=6)
    env = {"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": services.url,
           "AWS_ENDPOINT_URL": radosgw.endpoint, "HOME": str(tmp_path / "no-home")}
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 "--remote-ttl", "0s", store_dir=tmp_path / "node", env=env)
    files = sorted(repo_files(fake_hub, BERT).items())
    start = time.time()
    for i in range(24):  # 12 s: two expiries
        path, data = files[i % len(files)]
        status, body = fetch(node, f"/{BERT}/resolve/main/{path}")
        assert status == 200 and sha(body) == sha(data)
        time.sleep(max(0, start + (i + 1) * 0.5 - time.time()))
    assert len(services.served("imds")) >= 3, services.requests
    puts = [r for r in services.requests if r[0] == "PUT"]
    assert len(puts) == len(services.served("imds"))  # a session token before each fetch
    assert all(outcome == "200" for _, _, outcome in services.requests), services.requests
    assert len(rotating.revoked) >= 1
    assert node.stats()["tiers"]["remote"]["errors"] == 0
    rc = node.stop()
    assert rc == 0
    assert_no_secret_anywhere(services, node.stderr, node.log_path.read_text(),
                              folders=[tmp_path / "node"])


def test_issue18_the_s3_endpoint_as_the_sdks_take_it(hubcache, fake_hub, radosgw, serve, tmp_path):
    bucket = published(hubcache, fake_hub, radosgw, tmp_path)
    nowhere = f"http://127.0.0.1:{free_port()}"
    keys = radosgw.env(ro=True)
    keys.pop("AWS_ENDPOINT_URL")
    # AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL, and --s3-endpoint over both.
    for n, (args, env) in enumerate([
            ((), {"AWS_ENDPOINT_URL_S3": radosgw.endpoint, "AWS_ENDPOINT_URL": nowhere}),
            (("--s3-endpoint", radosgw.endpoint),
             {"AWS_ENDPOINT_URL_S3": nowhere, "AWS_ENDPOINT_URL": nowhere})]):
        node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci", *args,
                     store_dir=tmp_path / f"node{n}", env={**keys, **env})
        status, body = fetch(node, f"/{BERT}/resolve/main/config.json")
        assert status == 200 and sha(body) == sha(repo_files(fake_hub, BERT)["config.json"])
        tiers = node.stats()["tiers"]
        assert tiers["remote"]["hits"] > 0 and tiers["remote"]["errors"] == 0
    done = hubcache.run("serve", "--listen", "127.0.0.1:0", "--upstream", fake_hub.url, "--remote",
                        f"s3://{bucket}/ci", env={**keys, "AWS_ENDPOINT_URL_S3": "not-a-url"})
    assert done.returncode == 1 and "bad AWS_ENDPOINT_URL_S3 not-a-url" in done.stderr, done.stderr


@pytest.fixture
def moto():
    pytest.importorskip("moto", reason="moto[server] is in tests/requirements.txt: run ./scripts/setup")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/moto-api/data.json", timeout=1).read()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("moto did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_issue18_moto_sts_and_s3_behind_one_endpoint_publish_and_serve(
        hubcache, fake_hub, serve, moto, tmp_path):
    """preload --publish and a node, each with its web identity role from moto's STS, which
    AWS_ENDPOINT_URL also names as the S3 API."""
    urllib.request.urlopen(urllib.request.Request(moto + "/fleet-moto", method="PUT"), timeout=10).read()
    token_file = tmp_path / "token"
    token_file.write_text("eyJ.moto." + uuid.uuid4().hex)
    role = "arn:aws:iam::123456789012:role/fleet-writer"
    env = {"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
           "AWS_ROLE_SESSION_NAME": "publisher", "AWS_ENDPOINT_URL": moto, "AWS_REGION": "us-east-1"}
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--publish", "s3://fleet-moto/ci",
                        manifest(tmp_path, f"{BERT}\n"), env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    node = serve(fake_hub.url, "--mode", "replay", "--remote", "s3://fleet-moto/ci",
                 store_dir=tmp_path / "node", env={**env, "AWS_ROLE_SESSION_NAME": "node"})
    for path, data in repo_files(fake_hub, BERT).items():
        status, body = fetch(node, f"/{BERT}/resolve/main/{path}")
        assert status == 200 and sha(body) == sha(data)
    with urllib.request.urlopen(moto + "/moto-api/data.json", timeout=10) as response:
        assumed = json.loads(response.read())["sts"]["AssumedRole"]
    assert {(a["role_arn"], a["session_name"]) for a in assumed} == {(role, "publisher"), (role, "node")}
    assert node.stats()["tiers"]["remote"]["hits"] > 0
