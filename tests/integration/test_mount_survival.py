"""A mount that survives its daemon (issue 19): when `hubcache mount` is killed, readers get an
error rather than a hang, and a new daemon started over the dead mountpoint replaces it (the
classic FUSE failure of Kubernetes DaemonSets: "transport endpoint is not connected"). Also
what a DaemonSet's probes read: --ready-file and --metrics-listen; and a clear error without
/dev/fuse."""

import errno
import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from test_fleet import Mounted, is_mounted
from test_hub_clients import BERT

pytestmark = pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def preloaded(hubcache, fake_hub, tmp_path):
    manifest = tmp_path / "models.txt"
    manifest.write_text(f"{BERT}\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), manifest)
    assert done.returncode == 0, done.stderr
    return hubcache


@pytest.fixture
def mounts(tmp_path):
    started = []
    yield started
    for m in started:
        m.stop()
    for path in {p for p in tmp_path.iterdir() if p.name.startswith("mnt")}:
        if is_mounted(path):  # a test that failed half way: leave no mount behind
            subprocess.run(["umount", "-l", str(path)], check=False)


# Holds a file of the mount open, and reads it only when told to: after its daemon is killed.
READER = textwrap.dedent("""
    import errno, os, sys
    fd = os.open(sys.argv[1], os.O_RDONLY)
    print("open", flush=True)
    sys.stdin.readline()
    try:
        data = os.pread(fd, 4096, 0)
        print("read", len(data), flush=True)
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, e.errno), flush=True)
""")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read().decode()


def test_issue19_a_killed_mount_fails_its_readers_and_a_new_daemon_replaces_it(preloaded, mounts, tmp_path):
    hubcache = preloaded
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    ready = tmp_path / "ready"
    port = free_port()
    first = Mounted(hubcache, hubcache.store, mountpoint, {}, "--ready-file", ready, "--metrics-listen",
                    f"127.0.0.1:{port}")
    mounts.append(first)
    assert ready.read_text().startswith("mounted "), "written once the view is loaded"
    status, health = get(f"http://127.0.0.1:{port}/_hubcache/health")
    assert status == 200 and json.loads(health)["mode"] == "mount"
    _, metrics = get(f"http://127.0.0.1:{port}/_hubcache/metrics")
    assert "hubcache_store_blobs " in metrics

    snapshot = next((mountpoint / f"models--{BERT.replace('/', '--')}" / "snapshots").iterdir())
    config = snapshot / "config.json"
    expected = config.read_bytes()
    vocab = snapshot / "vocab.txt"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(vocab)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"

    first.proc.kill()  # SIGKILL: no unmount, the mountpoint is left dead
    first.proc.wait(timeout=10)
    out, _ = reader.communicate("go\n", timeout=20)  # an error, never a hang
    assert out.split()[0] == "error" and out.split()[1] in ("ENOTCONN", "ECONNABORTED", "EIO"), out
    with pytest.raises(OSError) as dead:
        os.listdir(mountpoint)
    assert dead.value.errno == errno.ENOTCONN
    assert ready.exists(), "a killed daemon cannot remove it; the next one does"

    second = Mounted(hubcache, hubcache.store, mountpoint, {}, "--ready-file", ready)
    mounts.append(second)
    assert f"replaced the stale mount at {mountpoint} (its daemon had gone)" in second.stderr
    assert config.read_bytes() == expected
    assert vocab.read_bytes()
    assert ready.exists()
    assert second.stop() == 0, second.stderr
    assert not ready.exists(), "removed on exit"
    assert not is_mounted(mountpoint)
    assert list(mountpoint.iterdir()) == []


def test_issue19_mount_flags_are_checked_before_anything_is_mounted(preloaded, tmp_path):
    hubcache = preloaded
    mountpoint = tmp_path / "mnt-flags"
    mountpoint.mkdir()
    for args, message in (
            (["--metrics-listen", "localhost"], "--metrics-listen: expected HOST:PORT, got localhost"),
            (["--ready-file", tmp_path / "nowhere" / "ready"], f"the folder of {tmp_path}/nowhere/ready does not exist")):
        done = hubcache.run("mount", mountpoint, *args, timeout=20)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert not is_mounted(mountpoint)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a mount namespace")
def test_issue19_without_dev_fuse_the_mount_says_how_to_pass_the_device(preloaded, tmp_path):
    hubcache = preloaded
    mountpoint = tmp_path / "mnt-nodev"
    mountpoint.mkdir()
    # A private mount namespace whose /dev has no fuse node, as a container started without it.
    script = 'mount -t tmpfs none /dev && exec "$@"'
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                           str(hubcache.binary), "mount", "--store", str(hubcache.store), str(mountpoint)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        "hubcache: error: cannot open /dev/fuse: No such file or directory (load the fuse module; in a "
        "container, pass the device: docker --device /dev/fuse --cap-add SYS_ADMIN, or a privileged pod)")
