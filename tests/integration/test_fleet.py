"""The fleet (issue 8): one writer publishes to a bucket on a real S3 engine (Ceph radosgw,
strict SigV4), nodes with read-only credentials read it lazily into size-bounded local
tiers, and `hubcache mount` shows it in the HF cache layout for HF_HUB_OFFLINE jobs."""

import hashlib
import json
import mmap
import os
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from test_hub_clients import BERT, repo_files, sha

BIG = "fleet-demo/big-model"


def publish(hubcache, hub, radosgw, bucket, manifest, *extra, store=None, check=True):
    args = ["preload", *hub.upstream_args(), "--publish", f"s3://{bucket}/ci", "--json",
            *extra, manifest]
    if store:
        args[0:0] = ["--store", store]
    done = hubcache.run(*args, env=radosgw.env(), store=store is None, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def manifest(tmp_path, text):
    path = tmp_path / "fleet.txt"
    path.write_text(text)
    return path


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def metrics(node):
    with urllib.request.urlopen(node.url("/_hubcache/metrics"), timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def bucket_is_consistent(radosgw, bucket):
    """Every blob in the bucket hashes to its name, and every name points at content there."""
    keys = set(radosgw.keys(bucket, "ci/"))
    for key in keys:
        if key.startswith("ci/blobs/sha256/"):
            assert sha(radosgw.get(bucket, key)) == key.rsplit("/", 1)[1], key
        elif key.startswith("ci/meta/files/"):
            row = json.loads(radosgw.get(bucket, key))
            assert f"ci/blobs/sha256/{row['blob'][:2]}/{row['blob']}" in keys, key
        elif key.startswith("ci/refs/"):
            commit = json.loads(radosgw.get(bucket, key))["commit"]
            folder = key.split("/")[2]
            assert any(k.startswith(f"ci/meta/files/{folder}/{commit}/") for k in keys), key
    return keys


def test_publish_then_three_nodes_replay_with_the_upstream_down(
        hubcache, fake_hub, radosgw, serve, hf_client, tmp_path):
    bucket = radosgw.new_bucket()
    result = json.loads(publish(hubcache, fake_hub, radosgw, bucket,
                                manifest(tmp_path, f"{BERT}\n")).stdout)
    assert result["failed"] == 0
    assert result["published"]["refs"] == 1 and result["published"]["blobs_written"] > 0
    keys = bucket_is_consistent(radosgw, bucket)
    assert f"ci/refs/models--{BERT.replace('/', '--')}/main" in keys
    upstream = fake_hub.url
    fake_hub.stop()  # from here on, only the bucket has the files

    expected = {path: sha(data) for path, data in repo_files(fake_hub, BERT).items()}
    for n in range(3):
        node = serve(upstream, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                     store_dir=tmp_path / f"node{n}", env=radosgw.env(ro=True))
        for _ in range(2):  # the second pass is served by the node's local tier
            [snapshot] = hf_client.run([{"op": "snapshot", "repo": BERT}],
                                       endpoint=node.url(), cache=tmp_path / f"client{n}-{_}")
            assert snapshot["files"] == expected
        [auto] = hf_client.run([{"op": "auto", "repo": BERT}], endpoint=node.url(),
                               cache=tmp_path / f"auto{n}")
        assert auto["model_type"] == "bert"
        values = metrics(node)
        # Each object came from the bucket once: remote bytes equal the distinct bodies read.
        stored_blobs = list((tmp_path / f"node{n}" / "blobs" / "sha256").rglob("*"))
        body_bytes = sum(p.stat().st_size for p in stored_blobs if p.is_file())
        assert values["hubcache_remote_bytes_total"] == body_bytes
        assert values['hubcache_requests_total{cache="remote"}'] > 0
        assert values['hubcache_requests_total{cache="miss"}'] == 0
        for path, data in repo_files(fake_hub, BERT).items():
            assert (tmp_path / f"node{n}" / "blobs" / "sha256" / sha(data)[:2] / sha(data)).read_bytes() == data
        tiers = node.stats()["tiers"]
        assert tiers["remote"]["hits"] > 0 and tiers["remote"]["requests"] > 0
        assert tiers["remote"]["bytes"] > 0 and tiers["remote"]["errors"] == 0
        assert tiers["local"]["hits"] > 0  # the second pass
        assert tiers["upstream"]["fetches"] == 0 and tiers["upstream"]["bytes"] == 0


def test_node_credentials_are_read_only_and_wrong_ones_fail_clearly(hubcache, fake_hub, radosgw,
                                                                     tmp_path):
    bucket = radosgw.new_bucket()
    path = manifest(tmp_path, f"{BERT} include=config.json\n")
    # A node's read-only key cannot publish: the writer finds out before fetching anything.
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--publish", f"s3://{bucket}/ci",
                        path, env=radosgw.env(ro=True))
    assert done.returncode == 1
    assert "403" in done.stderr and "AccessDenied" in done.stderr
    assert radosgw.keys(bucket) == []
    # A wrong secret: one line naming the S3 error, never the secret.
    done = hubcache.run("serve", "--remote", f"s3://{bucket}/ci", "--listen", "127.0.0.1:0",
                        env=radosgw.env(ro=True, secret="WRONGSECRET"))
    assert done.returncode == 1
    assert "SignatureDoesNotMatch" in done.stderr
    assert "WRONGSECRET" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_outage_gives_clear_errors_and_keeps_the_store_whole(
        hubcache, fake_hub, radosgw, serve, tmp_path):
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket, manifest(tmp_path, f"{BERT}\n"))
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    node_store = tmp_path / "node"
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 "--remote-ttl", "0s", store_dir=node_store, env=radosgw.env(ro=True))
    status, _, body = get(node.url(f"/{BERT}/resolve/{commit}/config.json"))
    assert status == 200 and body == repo_files(fake_hub, BERT)["config.json"]
    with radosgw.outage():
        # What the node holds still serves; what it does not is a clear miss, not a hang.
        status, _, body = get(node.url(f"/{BERT}/resolve/{commit}/config.json"))
        assert status == 200
        try:
            get(node.url(f"/{BERT}/resolve/{commit}/vocab.txt"))
            raise AssertionError("a file neither tier can give was served")
        except urllib.error.HTTPError as error:
            assert error.code == 501  # a replay miss (not retried by clients)
        assert "remote tier" in node.stderr
    verify = hubcache.run("verify", "--store", node_store, store=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    status, _, body = get(node.url(f"/{BERT}/resolve/{commit}/vocab.txt"))
    assert status == 200 and body == repo_files(fake_hub, BERT)["vocab.txt"]


@pytest.fixture
def big_model(fake_hub):
    files = {f"model-{i:02d}.safetensors": os.urandom(25 << 20) for i in range(8)}
    files["config.json"] = b'{"model_type": "bert", "hidden_size": 64}'
    fake_hub.add_repo(BIG, files)
    return files


def test_a_bounded_node_stays_under_its_bound_and_evicts_lru(
        hubcache, fake_hub, big_model, radosgw, serve, tmp_path):
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket, manifest(tmp_path, f"{BIG}\n"))
    commit = fake_hub.repos[("model", BIG)].refs["main"]
    bound = 50_000_000  # "50M": sizes are SI, "50Mi" would be 50 << 20
    node_store = tmp_path / "node"
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 "--max-size", "50M", store_dir=node_store, env=radosgw.env(ro=True))
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            seen = {}  # by inode: a committed blob is briefly linked under both names
            for folder in ("blobs", "tmp"):
                for p in (node_store / folder).rglob("*"):
                    try:
                        st = p.stat()
                        if p.is_file():
                            seen[st.st_ino] = st.st_size
                    except FileNotFoundError:
                        pass
            peak[0] = max(peak[0], sum(seen.values()))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        for name, data in sorted(big_model.items()):
            status, _, body = get(node.url(f"/{BIG}/resolve/{commit}/{name}"))
            assert status == 200 and sha(body) == sha(data), name
    finally:
        stop.set()
        sampler.join()
    assert 0 < peak[0] <= bound, f"peak {peak[0]} over the bound {bound}"
    values = metrics(node)
    assert values["hubcache_local_bound_bytes"] == bound
    assert values["hubcache_local_bytes"] <= bound
    assert values["hubcache_evicted_blobs"] >= 6
    # LRU: the last files read are the ones kept.
    kept = {p.name for p in (node_store / "blobs" / "sha256").rglob("*") if p.is_file()}
    last = sorted(big_model)[-1]
    assert sha(big_model[last]) in kept
    assert sha(big_model[sorted(big_model)[0]]) not in kept


def test_two_publishers_at_once_leave_a_consistent_bucket(hubcache, fake_hub, radosgw, serve,
                                                         hf_client, tmp_path):
    bucket = radosgw.new_bucket()
    path = manifest(tmp_path, f"{BERT}\n")
    procs = []
    for n in range(2):
        argv = [str(hubcache.binary), "preload", "--store", str(tmp_path / f"writer{n}"),
                *fake_hub.upstream_args(), "--publish", f"s3://{bucket}/ci", "--json", str(path)]
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env={**os.environ, **radosgw.env()}))
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    bucket_is_consistent(radosgw, bucket)
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 store_dir=tmp_path / "node", env=radosgw.env(ro=True))
    [snapshot] = hf_client.run([{"op": "snapshot", "repo": BERT}], endpoint=node.url())
    assert snapshot["files"] == {p: sha(d) for p, d in repo_files(fake_hub, BERT).items()}


def test_a_publish_killed_half_way_leaves_the_previous_refs(hubcache, fake_hub, big_model,
                                                           radosgw, serve, tmp_path):
    bucket = radosgw.new_bucket()
    path = manifest(tmp_path, f"{BIG}\n")
    publish(hubcache, fake_hub, radosgw, bucket, path)
    old = fake_hub.repos[("model", BIG)].refs["main"]
    ref_key = f"ci/refs/models--{BIG.replace('/', '--')}/main"
    assert json.loads(radosgw.get(bucket, ref_key))["commit"] == old
    # The branch moves: every weight file changes.
    new_files = {name: os.urandom(len(data)) for name, data in big_model.items() if name != "config.json"}
    new = fake_hub.commit(BIG, new_files)
    before = set(radosgw.keys(bucket, "ci/blobs/"))
    argv = [str(hubcache.binary), "preload", "--store", str(tmp_path / "writer"), "--upstream",
            fake_hub.url, *fake_hub.allow_args(), "--publish", f"s3://{bucket}/ci", "--jobs", "1",
            str(path)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **radosgw.env()})
    deadline = time.time() + 120
    while time.time() < deadline and not (set(radosgw.keys(bucket, "ci/blobs/")) - before):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert set(radosgw.keys(bucket, "ci/blobs/")) - before, "the publish never started"
    assert json.loads(radosgw.get(bucket, ref_key))["commit"] == old
    bucket_is_consistent(radosgw, bucket)
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 store_dir=tmp_path / "node", env=radosgw.env(ro=True))
    status, headers, body = get(node.url(f"/{BIG}/resolve/main/model-00.safetensors"))
    assert status == 200 and headers["X-Repo-Commit"] == old
    assert body == big_model["model-00.safetensors"]
    # --check against the bucket sees the move; a full publish then moves the ref.
    check = hubcache.run("preload", *fake_hub.upstream_args(), "--check", "--publish",
                         f"s3://{bucket}/ci", path, env=radosgw.env())
    assert check.returncode == 3, check.stdout + check.stderr
    assert "moved" in check.stdout
    publish(hubcache, fake_hub, radosgw, bucket, path, store=tmp_path / "writer")
    assert json.loads(radosgw.get(bucket, ref_key))["commit"] == new


class Mounted:
    """A running `hubcache mount`, unmounted (SIGTERM) at the end."""

    def __init__(self, hubcache, store, mountpoint, env, *args):
        self.mountpoint = mountpoint
        self.stderr_path = store.parent / f"mount-{mountpoint.name}.stderr"
        argv = [str(hubcache.binary), "mount", "--store", str(store), str(mountpoint), *map(str, args)]
        with open(self.stderr_path, "w") as stderr:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                         env={**os.environ, **env})
        line = self.proc.stdout.readline()
        assert line.startswith("mounted "), f"{line!r} {self.stderr}"

    @property
    def stderr(self):
        return self.stderr_path.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def is_mounted(path):
    return any(line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines())


@pytest.fixture
def mounted(hubcache, tmp_path):
    made = []

    def start(store, env, *args):
        mountpoint = tmp_path / f"mnt{len(made)}"
        mountpoint.mkdir()
        m = Mounted(hubcache, store, mountpoint, env, *args)
        made.append(m)
        return m

    yield start
    for m in made:
        rc = m.stop()
        assert rc == 0, m.stderr
        assert not is_mounted(m.mountpoint)
        assert "Sanitizer" not in m.stderr and "runtime error:" not in m.stderr, m.stderr[-3000:]


@pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse")
def test_the_mount_serves_offline_clients_lazily_and_by_range(
        hubcache, fake_hub, radosgw, mounted, hf_client, tmp_path):
    weights = os.urandom(40 << 20)
    fake_hub.add_repo("fleet-demo/ranged", {"weights.bin": weights, "config.json": b"{}"})
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket,
            manifest(tmp_path, f"{BERT}\nfleet-demo/ranged\n"))
    store = tmp_path / "mount-store"
    m = mounted(store, radosgw.env(ro=True), "--remote", f"s3://{bucket}/ci")
    bert = m.mountpoint / f"models--{BERT.replace('/', '--')}"
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    assert (bert / "refs" / "main").read_text() == commit
    assert sorted(p.name for p in (bert / "snapshots" / commit).iterdir()) == sorted(
        {path.split("/")[0] for path in repo_files(fake_hub, BERT)})

    # huggingface_hub and transformers with HF_HUB_OFFLINE=1 and no server at all.
    files = repo_files(fake_hub, BERT)
    [config, auto] = hf_client.run([{"op": "download", "repo": BERT, "file": "config.json"},
                                    {"op": "auto", "repo": BERT}],
                                   cache=m.mountpoint, offline=True)
    assert config == {"sha256": sha(files["config.json"]), "size": len(files["config.json"])}
    assert auto["model_type"] == "bert"
    # Lazy: only what was read came down; the weights nobody opened did not.
    held = {p.name for p in (store / "blobs" / "sha256").rglob("*") if p.is_file()}
    assert sha(files["config.json"]) in held
    assert sha(files["model.safetensors"]) not in held
    assert sha(files["onnx/model.onnx"]) not in held

    # cat and dd, by range: far ahead of the fill too.
    ranged = m.mountpoint / "models--fleet-demo--ranged" / "snapshots" / \
        fake_hub.repos[("model", "fleet-demo/ranged")].refs["main"] / "weights.bin"
    piece = subprocess.run(["dd", f"if={ranged}", "bs=1M", "skip=30", "count=2", "status=none"],
                           capture_output=True, check=True).stdout
    assert piece == weights[30 << 20:32 << 20]
    whole = subprocess.run(["cat", str(ranged)], capture_output=True, check=True).stdout
    assert sha(whole) == sha(weights)
    assert not (m.mountpoint / "models--nobody--nothing").exists()
    write = subprocess.run(["sh", "-c", f"echo x > {ranged}"], capture_output=True, text=True)
    assert write.returncode != 0 and "Read-only" in write.stderr


@pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse")
def test_issue17_reads_of_a_filling_blob_are_its_bytes_at_any_offset_and_size(
        hubcache, fake_hub, radosgw, mounted, tmp_path):
    """The mount names where a read's bytes are (the fill's partial file once the fill has
    passed them, or the blob) for libfuse to splice to the kernel: readers at once, at
    offsets and sizes of their own, behind the fill, far ahead of it, across the end of the
    file, by mmap, cold and again from the local blob, all get the blob's bytes."""
    weights = os.urandom((40 << 20) + 12345)
    fake_hub.add_repo("fleet-demo/spliced", {"weights.bin": weights})
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket, manifest(tmp_path, "fleet-demo/spliced\n"))
    commit = fake_hub.repos[("model", "fleet-demo/spliced")].refs["main"]
    store = tmp_path / "mount-store"
    size = len(weights)
    # (offset, size): the start, page-crossing, the far end (ahead of the fill), the last
    # byte, past the end, across it.
    reads = [(0, 1), (4095, 2), (123457, 300001), (size - (3 << 20), 1 << 20), (size - 1, 1),
             (size, 10), (size + 4096, 1), (size - 5000, 1 << 20), (17 << 20, 3 << 20)]

    def check(path):
        errors = []

        def reader(order):
            try:
                fd = os.open(path, os.O_RDONLY)
                try:
                    for offset, n in order:
                        got = os.pread(fd, n, offset)
                        if got != weights[offset:offset + n]:
                            errors.append((offset, n, len(got)))
                finally:
                    os.close(fd)
            except OSError as error:
                errors.append(error)

        threads = [threading.Thread(target=reader, args=(reads[i:] + reads[:i],)) for i in range(0, 9, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert sha(path.read_bytes()) == sha(weights)
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
            assert view[size - 70000:] == weights[size - 70000:]
            assert hashlib.sha256(view).hexdigest() == sha(weights)

    m = mounted(store, radosgw.env(ro=True), "--remote", f"s3://{bucket}/ci")
    path = m.mountpoint / "models--fleet-demo--spliced" / "snapshots" / commit / "weights.bin"
    check(path)
    assert m.stop() == 0
    # A fresh mount over the same store: the bytes come from the local blob now.
    m = mounted(store, radosgw.env(ro=True), "--remote", f"s3://{bucket}/ci")
    check(m.mountpoint / "models--fleet-demo--spliced" / "snapshots" / commit / "weights.bin")
    assert "read " not in m.stderr, m.stderr


@pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse")
def test_the_mount_gives_eio_in_an_outage_and_never_a_corrupt_file(
        hubcache, fake_hub, radosgw, mounted, tmp_path):
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket, manifest(tmp_path, f"{BERT}\n"))
    store = tmp_path / "mount-store"
    m = mounted(store, radosgw.env(ro=True), "--remote", f"s3://{bucket}/ci")
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    snapshot = m.mountpoint / f"models--{BERT.replace('/', '--')}" / "snapshots" / commit
    files = repo_files(fake_hub, BERT)
    assert (snapshot / "vocab.txt").read_bytes() == files["vocab.txt"]
    with radosgw.outage():
        assert (snapshot / "vocab.txt").read_bytes() == files["vocab.txt"]  # local now
        done = subprocess.run(["cat", str(snapshot / "model.safetensors")], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode != 0
        assert "Input/output error" in done.stderr
        assert "remote tier" in m.stderr or "model.safetensors" in m.stderr
    verify = hubcache.run("verify", "--store", store, store=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert (snapshot / "model.safetensors").read_bytes() == files["model.safetensors"]


def test_export_publishes_a_plain_hf_cache_to_the_bucket(hubcache, fake_hub, radosgw, hf_client,
                                                         tmp_path):
    done = hubcache.run("preload", *fake_hub.upstream_args(), manifest(tmp_path, f"{BERT}\n"))
    assert done.returncode == 0, done.stderr
    bucket = radosgw.new_bucket()
    refused = hubcache.run("export", "--to", f"s3://{bucket}/hf", env=radosgw.env())
    assert refused.returncode == 2 and "--no-symlinks" in refused.stderr
    done = hubcache.run("export", "--no-symlinks", "--to", f"s3://{bucket}/hf", "--json",
                        env=radosgw.env())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    files = repo_files(fake_hub, BERT)
    assert result["uploaded"] == len(files) + 1  # and refs/main
    # Issue 15: a second export uploads nothing, its unchanged ref included.
    again = json.loads(hubcache.run("export", "--no-symlinks", "--to", f"s3://{bucket}/hf",
                                    "--json", env=radosgw.env()).stdout)
    assert again["unchanged"] == len(files) + 1 and again["uploaded"] == 0, again
    # A tool that copies the bucket down (aws s3 sync, rclone) gets a cache the clients read.
    copy = tmp_path / "synced"
    for key in radosgw.keys(bucket, "hf/"):
        target = copy / key[len("hf/"):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(radosgw.get(bucket, key))
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    folder = copy / f"models--{BERT.replace('/', '--')}"
    assert (folder / "refs" / "main").read_text() == commit
    [config, auto] = hf_client.run([{"op": "download", "repo": BERT, "file": "config.json"},
                                    {"op": "auto", "repo": BERT}], cache=copy, offline=True)
    assert config["sha256"] == sha(files["config.json"])
    assert auto["model_type"] == "bert"


def test_issue15_export_to_a_bucket_writes_a_ref_only_when_it_moved(hubcache, fake_hub, radosgw,
                                                                   tmp_path):
    repo = "acme/moving"
    fake_hub.add_repo(repo, {"a.txt": b"first"})
    path = manifest(tmp_path, f"{repo}\n")
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    bucket = radosgw.new_bucket()
    export = ["export", "--no-symlinks", "--to", f"s3://{bucket}/hf", "--json"]
    first = json.loads(hubcache.run(*export, env=radosgw.env()).stdout)
    assert first["uploaded"] == 2  # a.txt and refs/main
    ref = "hf/models--acme--moving/refs/main"
    # The branch moves (a ref of the same size, other digits): that ref is written again.
    fake_hub.commit(repo, {"a.txt": b"second"})
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    moved = json.loads(hubcache.run(*export, env=radosgw.env()).stdout)
    new_commit = fake_hub.repos[("model", repo)].refs["main"]
    assert radosgw.get(bucket, ref).decode() == new_commit
    assert moved["uploaded"] == 2 and moved["unchanged"] == 1, moved  # the new a.txt, the ref
    still = json.loads(hubcache.run(*export, env=radosgw.env()).stdout)
    assert still["uploaded"] == 0 and still["unchanged"] == 3, still


def test_a_gated_repo_published_with_a_token_is_read_by_nodes_without_one(
        hubcache, fake_hub, radosgw, serve, tmp_path):
    from test_hub_clients import GATED, TOKEN
    bucket = radosgw.new_bucket()
    path = manifest(tmp_path, f"{GATED}\n")
    refused = hubcache.run("preload", *fake_hub.upstream_args(), "--publish", f"s3://{bucket}/ci",
                           path, env=radosgw.env())
    assert refused.returncode == 1 and "nothing published" in refused.stderr
    assert radosgw.keys(bucket) == []
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--publish", f"s3://{bucket}/ci",
                        path, env={**radosgw.env(), "HF_TOKEN": TOKEN})
    assert done.returncode == 0, done.stderr
    assert TOKEN not in "".join(radosgw.get(bucket, k).decode("latin-1")
                                for k in radosgw.keys(bucket, "ci/meta/"))
    upstream = fake_hub.url
    fake_hub.stop()
    node = serve(upstream, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 store_dir=tmp_path / "node", env=radosgw.env(ro=True))
    for name, data in repo_files(fake_hub, GATED).items():
        status, _, body = get(node.url(f"/{GATED}/resolve/main/{name}"))
        assert status == 200 and body == data


def test_issue14_a_hostile_bucket_names_nothing_outside_a_folder(
        hubcache, fake_hub, radosgw, serve, tmp_path):
    """A bucket is someone else's writing: keys and rows that climb out of a folder or name a
    blob by a path are refused where they are read, and never reach an export."""
    bucket = radosgw.new_bucket()
    publish(hubcache, fake_hub, radosgw, bucket, manifest(tmp_path, f"{BERT} include=*.json\n"))
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    folder = f"ci/meta/files/models--{BERT.replace('/', '--')}/{commit}"
    config = json.loads(radosgw.get(bucket, f"{folder}/config.json"))
    # A row at a path that climbs, a row whose etag is a path, a ref whose name climbs.
    radosgw.put(bucket, f"{folder}/../../../../escaped.json", json.dumps(config).encode())
    radosgw.put(bucket, f"{folder}/tokenizer_config.json",
                json.dumps({**config, "etag": "../../../escaped-etag"}).encode())
    radosgw.put(bucket, f"ci/refs/models--{BERT.replace('/', '--')}/../../escaped-ref",
                json.dumps({"commit": commit}).encode())
    fake_hub.stop()
    node_store = tmp_path / "node"
    node = serve(fake_hub.url, "--mode", "replay", "--remote", f"s3://{bucket}/ci",
                 store_dir=node_store, env=radosgw.env(ro=True))
    status, _, listing = get(node.url(f"/api/models/{BERT}/tree/main?recursive=True"))
    assert status == 200
    paths = [entry["path"] for entry in json.loads(listing)]
    assert "config.json" in paths and not any("escaped" in p or ".." in p for p in paths)
    status, _, body = get(node.url(f"/{BERT}/resolve/{commit}/config.json"))
    assert status == 200 and body == repo_files(fake_hub, BERT)["config.json"]
    try:
        get(node.url(f"/{BERT}/resolve/{commit}/tokenizer_config.json"))
        raise AssertionError("a row whose etag is a path was served")
    except urllib.error.HTTPError as error:
        assert error.code in (501, 502, 504)  # a miss (replay) or the remote tier refused it
    assert node.stop() == 0
    out = tmp_path / "export"
    done = hubcache.run("--store", node_store, "export", "--hf-cache", out, store=False)
    assert done.returncode == 0, done.stderr
    assert not [p for p in tmp_path.rglob("*escaped*")]
    assert not (tmp_path.parent / "escaped.json").exists()
