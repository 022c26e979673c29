"""Fleet benchmark (issue 8): a 1 GiB model read from an S3 bucket (Ceph radosgw on loopback,
a memstore OSD: the bytes sit in RAM) cold and warm, four ways in the same run:
  - curl GET of the object (signed), the physical limit of the bucket;
  - `hubcache serve --remote` (replay), a client GETting the file through it;
  - `hubcache mount --remote`, `cat` of the file;
  - `rclone mount --vfs-cache-mode full` over the same bucket, `cat` of the same object.
Cold: an empty local tier (and a fresh mount); warm: the same read again. Figures: GB/s and
the peak RSS of the process serving the bytes (hubcache, rclone, or curl itself).
"""

import hashlib
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fake_hub"))
HUBCACHE = os.environ.get("HUBCACHE", str(ROOT / "build" / "hubcache"))
RADOSGW = ROOT / "tests" / "integration" / "radosgw.sh"
SIZE = int(os.environ.get("FLEET_BENCH_MIB", "1024")) << 20
REPO = "bench/fleet-model"
KEY, SECRET = "CIACCESSKEY", "CISECRETKEY"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def serve_hub(queue, stop, data):
    from fake_hub import FakeHub
    hub = FakeHub()
    hub.add_repo(REPO, {"model.safetensors": data, "config.json": b'{"model_type": "bert"}'})
    queue.put((hub.url, hub.allow_args(), hub.repos[("model", REPO)].refs["main"]))
    stop.wait()
    hub.stop()


def timed(argv, env=None, stdout=subprocess.DEVNULL):
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
    rss = 0.0
    while proc.poll() is None:
        rss = max(rss, peak_rss_mib(proc.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{argv}: {proc.stderr.read().decode()[-500:]}")
    return elapsed, rss


def wait_for(path, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out")


def is_mounted(path):
    return any(line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines())


def main():
    work = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    s3dir = work / "radosgw"
    port, mon = free_port(), free_port()
    subprocess.run([str(RADOSGW), "start", str(s3dir), str(port), str(mon)], check=True,
                   capture_output=True)
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    sign = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{KEY}:{SECRET}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    bucket = "fleet-bench"
    subprocess.run(["curl", "-sSf", "-X", "PUT", *sign, f"{endpoint}/{bucket}"], check=True)
    rows = []
    procs = []
    stop = multiprocessing.Event()
    hub_proc = None
    try:
        data = os.urandom(SIZE)
        digest = hashlib.sha256(data).hexdigest()
        queue = multiprocessing.get_context("spawn").Queue()
        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        hub_proc = ctx.Process(target=serve_hub, args=(queue, stop, data), daemon=True)
        hub_proc.start()
        hub_url, allow_cdn, commit = queue.get(timeout=120)
        del data
        manifest = work / "fleet.txt"
        manifest.write_text(f"{REPO}\n")
        t0 = time.perf_counter()
        subprocess.run([HUBCACHE, "--store", str(work / "writer"), "preload", "--upstream", hub_url,
                        *allow_cdn, "--publish", f"s3://{bucket}/ci", str(manifest)], check=True,
                       env=env,
                       capture_output=True)
        publish_s = time.perf_counter() - t0
        stop.set()
        object_url = f"{endpoint}/{bucket}/ci/blobs/sha256/{digest[:2]}/{digest}"

        # 1. curl straight from the bucket.
        for label in ("cold", "warm"):
            s, rss = timed(["curl", "-sSf", *sign, "-o", "/dev/null", object_url])
            rows.append(("curl GET from the bucket", label, s, rss))

        # 2. hubcache serve --remote.
        node_store = work / "node"
        node = subprocess.Popen([HUBCACHE, "--store", str(node_store), "serve", "--mode", "replay",
                                 "--upstream", hub_url, "--remote", f"s3://{bucket}/ci",
                                 "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, text=True)
        procs.append(node)
        node_port = int(node.stdout.readline().rsplit(":", 1)[1])
        url = f"http://127.0.0.1:{node_port}/{REPO}/resolve/{commit}/model.safetensors"
        for label in ("cold", "warm"):
            s, _ = timed(["curl", "-sSf", "-o", "/dev/null", url])
            rows.append(("hubcache serve --remote", label, s, peak_rss_mib(node.pid)))
        node.terminate()
        node.wait()

        # 3. hubcache mount --remote.
        mnt = work / "mnt"
        mnt.mkdir()
        mount = subprocess.Popen([HUBCACHE, "--store", str(work / "mount-store"), "mount", str(mnt),
                                  "--remote", f"s3://{bucket}/ci"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=env, text=True)
        procs.append(mount)
        mount.stdout.readline()
        path = mnt / f"models--{REPO.replace('/', '--')}" / "snapshots" / commit / "model.safetensors"
        for label in ("cold", "warm"):
            s, _ = timed(["cat", str(path)])
            rows.append(("hubcache mount --remote", label, s, peak_rss_mib(mount.pid)))
        mount.terminate()
        mount.wait()

        # 4. rclone mount --vfs-cache-mode full of the same bucket.
        if shutil.which("rclone"):
            rmnt = work / "rclone-mnt"
            rmnt.mkdir()
            renv = {**env, "RCLONE_CONFIG_B_TYPE": "s3", "RCLONE_CONFIG_B_PROVIDER": "Ceph",
                    "RCLONE_CONFIG_B_ACCESS_KEY_ID": KEY, "RCLONE_CONFIG_B_SECRET_ACCESS_KEY": SECRET,
                    "RCLONE_CONFIG_B_ENDPOINT": endpoint, "RCLONE_CONFIG_B_REGION": "us-east-1"}
            renv.pop("AWS_CA_BUNDLE", None)  # rclone's SDK refuses a CA bundle with its transport
            rclone = subprocess.Popen(["rclone", "mount", f"b:{bucket}/ci", str(rmnt), "--read-only",
                                       "--vfs-cache-mode", "full", "--cache-dir", str(work / "rclone-cache"),
                                       "--vfs-cache-max-size", "2G"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=renv)
            procs.append(rclone)
            wait_for(lambda: is_mounted(rmnt))
            rpath = rmnt / "blobs" / "sha256" / digest[:2] / digest
            for label in ("cold", "warm"):
                s, _ = timed(["cat", str(rpath)])
                rows.append(("rclone mount --vfs-cache-mode full", label, s, peak_rss_mib(rclone.pid)))
            subprocess.run(["fusermount3", "-u", str(rmnt)], capture_output=True)
            rclone.wait(timeout=30)
        print(json.dumps({"size_bytes": SIZE, "publish_s": round(publish_s, 2)}))
        print(f"{'what':38} {'read':5} {'s':>7} {'GB/s':>6} {'peak RSS MiB':>13}")
        for what, label, s, rss in rows:
            print(f"{what:38} {label:5} {s:7.2f} {SIZE / s / 1e9:6.2f} {rss:13.1f}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        stop.set()
        if hub_proc:
            hub_proc.join(timeout=10)
        subprocess.run([str(RADOSGW), "stop", str(s3dir)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
