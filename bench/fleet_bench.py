"""Fleet benchmark (issue 8): a 1 GiB model read from an S3 bucket (Ceph radosgw on loopback,
a memstore OSD: the bytes sit in RAM) cold and warm, four ways in the same run:
  - curl GET of the object (signed), the physical limit of the bucket;
  - `hubcache serve --remote` (replay), a client GETting the file through it;
  - `hubcache mount --remote`, `cat` of the file;
  - `rclone mount --vfs-cache-mode full` over the same bucket, `cat` of the same object.
Cold: an empty local tier (and a fresh mount); warm: the same read again. Figures: GB/s and
the peak RSS of the process serving the bytes (hubcache, rclone, or curl itself), then the cold
bucket fills as ratios to the bare GET of the same round (issue 17's target: >= 0.7x), with
hubcache's CPU seconds during each (a steadier figure than the time on a shared machine).
Last, the lookup latency (issue 18): with 50 ms added to every bucket request (a delaying
forwarder in front of radosgw), one cold miss alone, then 32 distinct cold misses asked at
once through `serve --remote --threads 2` (one curl --parallel): their wall time should be a
few round trips, not 32 of them.

Options (all optional; the bucket, radosgw and the publish are shared by every round):
  --rounds N          N rounds of the cold trio (bare GET, serve --remote, mount), each with
                      an empty tier and a fresh mount; medians printed. Default 1.
  --baseline BINARY   also run the cold trio with another hubcache binary (an A/B run), the
                      two binaries alternating which goes first from round to round.
  --perf DIR          `perf record -g` on hubcache during each cold read of the first round,
                      into DIR/{serve,mount}-{new,old}.data.
"""

import argparse
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
sys.path.insert(0, str(ROOT / "tests" / "integration"))
HUBCACHE = os.environ.get("HUBCACHE", str(ROOT / "build" / "hubcache"))
RADOSGW = ROOT / "tests" / "integration" / "radosgw.sh"
SIZE = int(os.environ.get("FLEET_BENCH_MIB", "1024")) << 20
REPO = "bench/fleet-model"
MANY = "bench/many-files"  # the latency round's 33 small files
MANY_FILES = {f"shard-{i:02d}.bin": f"shard {i} ".encode() * 64 for i in range(33)}
DELAY = 0.05
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
    hub.add_repo(MANY, MANY_FILES)
    queue.put((hub.url, hub.allow_args(), hub.repos[("model", REPO)].refs["main"]))
    stop.wait()
    hub.stop()


def cpu_s(pid):
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


class Perf:
    """`perf record -g -p PID` around one read, or nothing."""

    def __init__(self, out):
        self.out = out
        self.proc = None

    def start(self, pid):
        if self.out:
            self.proc = subprocess.Popen(["perf", "record", "-g", "-q", "-o", str(self.out),
                                          "-p", str(pid)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # perf attaches before the read starts

    def stop(self):
        if self.proc:
            self.proc.send_signal(2)  # SIGINT: perf writes its file and exits
            self.proc.wait(timeout=120)
            self.proc = None


def serve_reads(binary, store, hub_url, bucket, env, commit, labels, perf=None):
    """(label, seconds, peak RSS MiB, hubcache CPU s) of curl GETting the model through
    `serve --remote`."""
    out = []
    node = subprocess.Popen([binary, "--store", str(store), "serve", "--mode", "replay",
                             "--upstream", hub_url, "--remote", f"s3://{bucket}/ci",
                             "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        node_port = int(node.stdout.readline().rsplit(":", 1)[1])
        url = f"http://127.0.0.1:{node_port}/{REPO}/resolve/{commit}/model.safetensors"
        for label in labels:
            if perf and label == "cold":
                perf.start(node.pid)
            before = cpu_s(node.pid)
            try:
                s, _ = timed(["curl", "-sSf", "-o", "/dev/null", url])
            finally:
                if perf and label == "cold":
                    perf.stop()
            out.append((label, s, peak_rss_mib(node.pid), cpu_s(node.pid) - before))
    finally:
        node.terminate()
        node.wait()
    return out


def mount_reads(binary, store, mnt, bucket, env, commit, labels, perf=None):
    """(label, seconds, peak RSS MiB, hubcache CPU s) of `cat` of the model from a fresh
    `mount --remote`."""
    out = []
    mnt.mkdir()
    mount = subprocess.Popen([binary, "--store", str(store), "mount", str(mnt),
                              "--remote", f"s3://{bucket}/ci"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        mount.stdout.readline()
        path = mnt / f"models--{REPO.replace('/', '--')}" / "snapshots" / commit / "model.safetensors"
        for label in labels:
            if perf and label == "cold":
                perf.start(mount.pid)
            before = cpu_s(mount.pid)
            try:
                s, _ = timed(["cat", str(path)])
            finally:
                if perf and label == "cold":
                    perf.stop()
            out.append((label, s, peak_rss_mib(mount.pid), cpu_s(mount.pid) - before))
    finally:
        mount.terminate()
        mount.wait()
    return out


def latency_reads(binary, store, hub_url, bucket, env, radosgw_port):
    """(one cold miss s, 32 distinct cold misses at once s) through `serve --remote
    --threads 2`, DELAY added to every bucket request."""
    from delay_proxy import DelayProxy
    proxy = DelayProxy(radosgw_port, DELAY)
    node = subprocess.Popen([binary, "--store", str(store), "serve", "--mode", "replay",
                             "--upstream", hub_url, "--remote", f"s3://{bucket}/ci",
                             "--s3-endpoint", proxy.url, "--threads", "2",
                             "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        node_port = int(node.stdout.readline().rsplit(":", 1)[1])
        names = sorted(MANY_FILES)

        def fetch(batch):
            args = ["curl", "-sSf", "--parallel", "--parallel-immediate", "--parallel-max", "64"]
            for name in batch:
                url = f"http://127.0.0.1:{node_port}/{MANY}/resolve/main/{name}"
                args += ["-o", "/dev/null", url]
            started = time.perf_counter()
            subprocess.run(args, check=True, capture_output=True)
            return time.perf_counter() - started

        one = fetch(names[:1])  # also learns the branch's ref
        many = fetch(names[1:])
        return one, many
    finally:
        node.terminate()
        node.wait()
        proxy.stop()


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", help="another hubcache binary for an A/B run")
    parser.add_argument("--perf", type=Path, help="perf record the cold reads into this directory")
    args = parser.parse_args()
    binaries = [("new", HUBCACHE)] + ([("old", str(Path(args.baseline).resolve()))] if args.baseline else [])
    if args.perf:
        args.perf.mkdir(parents=True, exist_ok=True)
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
        manifest.write_text(f"{REPO}\n{MANY}\n")
        t0 = time.perf_counter()
        subprocess.run([HUBCACHE, "--store", str(work / "writer"), "preload", "--upstream", hub_url,
                        *allow_cdn, "--publish", f"s3://{bucket}/ci", str(manifest)], check=True,
                       env=env,
                       capture_output=True)
        publish_s = time.perf_counter() - t0
        stop.set()
        object_url = f"{endpoint}/{bucket}/ci/blobs/sha256/{digest[:2]}/{digest}"

        # Cold rounds: a bare GET, then each binary's serve --remote and mount, every one
        # from an empty tier; the binaries take turns going first. Round 1 also reads warm.
        cold = []  # (round, what, binary label, seconds)
        for r in range(args.rounds):
            first = r == 0
            labels = ("cold", "warm") if first else ("cold",)
            for label in labels:
                s, rss = timed(["curl", "-sSf", *sign, "-o", "/dev/null", object_url])
                if first:
                    rows.append(("curl GET from the bucket", label, s, rss))
                if label == "cold":
                    cold.append((r, "bare GET", "", s, float("nan")))
            order = binaries if r % 2 == 0 else binaries[::-1]
            for name, binary in order:
                tag = f" ({name})" if args.baseline else ""
                perf = Perf(args.perf / f"serve-{name}.data") if args.perf and first else None
                store = work / f"node-{r}-{name}"
                for label, s, rss, cpu in serve_reads(binary, store, hub_url, bucket, env, commit, labels, perf):
                    if first:
                        rows.append(("hubcache serve --remote" + tag, label, s, rss))
                    if label == "cold":
                        cold.append((r, "serve --remote", name, s, cpu))
                shutil.rmtree(store, ignore_errors=True)
            for name, binary in order:
                tag = f" ({name})" if args.baseline else ""
                perf = Perf(args.perf / f"mount-{name}.data") if args.perf and first else None
                store = work / f"mount-store-{r}-{name}"
                mnt = work / f"mnt-{r}-{name}"
                for label, s, rss, cpu in mount_reads(binary, store, mnt, bucket, env, commit, labels, perf):
                    if first:
                        rows.append(("hubcache mount --remote" + tag, label, s, rss))
                    if label == "cold":
                        cold.append((r, "mount --remote", name, s, cpu))
                shutil.rmtree(store, ignore_errors=True)

        # The lookup latency (issue 18): a bucket 50 ms away, 32 distinct cold misses at once.
        latency = []  # (binary label, one miss s, 32 at once s)
        for r in range(args.rounds):
            order = binaries if r % 2 == 0 else binaries[::-1]
            for name, binary in order:
                store = work / f"latency-{r}-{name}"
                one, many = latency_reads(binary, store, hub_url, bucket, env, port)
                latency.append((name, one, many))
                shutil.rmtree(store, ignore_errors=True)

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
        print(json.dumps({"size_bytes": SIZE, "publish_s": round(publish_s, 2), "rounds": args.rounds,
                          "baseline": args.baseline}))
        print(f"{'what':38} {'read':5} {'s':>7} {'GB/s':>6} {'peak RSS MiB':>13}")
        for what, label, s, rss in rows:
            print(f"{what:38} {label:5} {s:7.2f} {SIZE / s / 1e9:6.2f} {rss:13.1f}")
        # The cold bucket fills against the bare GET of the same round.
        print()
        # The CPU column is hubcache's own (all threads) during the read: on a shared machine
        # it moves less than the wall time.
        print(f"{'cold read, ratio to the bare GET':38} {'round':>5} {'s':>7} {'GB/s':>6} {'ratio':>6} "
              f"{'CPU s':>6}")
        bare = {r: s for r, what, _, s, _ in cold if what == "bare GET"}
        ratios = {}
        for r, what, name, s, cpu in cold:
            label = what + (f" ({name})" if name and args.baseline else "")
            ratio = bare[r] / s
            if what != "bare GET":
                ratios.setdefault(label, []).append((s, ratio, cpu))
            cpu_text = "" if cpu != cpu else f"{cpu:6.2f}"  # none for curl
            print(f"{label:38} {r + 1:5} {s:7.2f} {SIZE / s / 1e9:6.2f} {ratio:5.2f}x {cpu_text:>6}")
        print()
        print(f"{'lookups, ' + str(int(DELAY * 1000)) + ' ms added per bucket request':38} "
              f"{'one cold miss s':>16} {'32 at once s':>13} {'ratio':>6}")
        for name in [n for n, _ in binaries]:
            runs = [(one, many) for n, one, many in latency if n == name]
            one, many = median([o for o, _ in runs]), median([m for _, m in runs])
            label = "serve --remote --threads 2" + (f" ({name})" if args.baseline else "")
            print(f"{label:38} {one:16.3f} {many:13.3f} {many / one:5.2f}x")
        if args.rounds > 1:
            print()
            print(f"{'median of ' + str(args.rounds) + ' rounds':38} {'':5} {'s':>7} {'GB/s':>6} {'ratio':>6} "
                  f"{'CPU s':>6}")
            s = median(list(bare.values()))
            print(f"{'bare GET':38} {'':5} {s:7.2f} {SIZE / s / 1e9:6.2f}")
            for label, values in ratios.items():
                s = median([v[0] for v in values])
                print(f"{label:38} {'':5} {s:7.2f} {SIZE / s / 1e9:6.2f} {median([v[1] for v in values]):5.2f}x "
                      f"{median([v[2] for v in values]):6.2f}")
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
