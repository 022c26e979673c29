"""Engine benchmarks (issues 4 and 17), each beside its peer in the same run:
  1. 4 KiB hits, both warm, wrk (requests/s, p99), hubcache vs nginx proxy_cache, on the plain
     path and on the paths Hub clients take: resolve by branch and by commit sha (GET and HEAD),
     model info, a revision, tree listings (what hf_hub_download, snapshot_download and
     list_repo_tree ask), each on the identical URL through both; the Hub is the suite's fake
     Hub (tests/fake_hub), HEAD is sent by bench/headload.c (wrk 4.1.0 cannot)
  2. a 1 GiB hit, plain and as a Hub resolve: hubcache vs nginx serving the bytes statically
  3. 32 clients on one cold 256 MiB file from a throttled origin: upstream requests, spread
     of first bytes, total time vs one client alone (nginx proxy_cache_lock beside it)
  4. peak RSS of hubcache while serving a 1 GiB hit to 32 clients
Run through bench/run-serve [--quick]."""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fake_hub"))
import fake_hub  # noqa: E402  (the suite's fake Hub: standard library only)

HUBCACHE = os.environ.get("HUBCACHE", str(ROOT / "build" / "hubcache"))
THROTTLE = "48m"  # nginx limit_rate for the "throttled origin": 256 MiB in about 5.6 s
REPO = "bench/data"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n


class Nginx:
    def __init__(self, work, name, server_block):
        self.dir = work / name
        self.dir.mkdir()
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
user root;
worker_processes 2;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir}/access.log;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path {self.dir}/body; proxy_temp_path {self.dir}/proxy_temp;
  fastcgi_temp_path {self.dir}/fcgi; uwsgi_temp_path {self.dir}/uwsgi; scgi_temp_path {self.dir}/scgi;
  {server_block}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise SystemExit("nginx failed: " + self.proc.stderr.read().decode())

    def pids(self):
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                  text=True).stdout.split()
        return [self.proc.pid, *map(int, children)]

    def requests_for(self, path):
        log = (self.dir / "access.log").read_text()
        return sum(1 for line in log.splitlines() if f" {path} " in line)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(timeout=30)


class Hubcache:
    def __init__(self, store, upstream, *args):
        # stderr to a file beside the store: a pipe nobody reads would stop the server once full.
        self.stderr = Path(f"{store}.stderr")
        with open(self.stderr, "a") as err:
            self.proc = subprocess.Popen(
                [HUBCACHE, "serve", "--store", str(store), "--listen", "127.0.0.1:0", "--upstream",
                 upstream, "--threads", "2", *args],
                stdout=subprocess.PIPE, stderr=err, text=True)
        self.port = int(self.proc.stdout.readline().rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def pids(self):
        return [self.proc.pid]

    def peak_rss_mib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def metric(self, name):
        out = subprocess.run(["curl", "-s", self.url + "/_hubcache/metrics"], capture_output=True,
                             text=True).stdout
        match = re.search(rf"^{name} (\d+)", out, re.M)
        return int(match.group(1)) if match else 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def curl(url, out="/dev/null", *options):
    done = subprocess.run(["curl", "-s", *options, "-o", out, "-w",
                           "%{time_starttransfer} %{time_total} %{size_download} %{http_code}", url],
                          capture_output=True, text=True, check=True)
    first, total, size, code = done.stdout.split()
    return float(first), float(total), int(size), int(code)


def head_of(url, method="GET"):
    """(status, {lower-case name: value}) of one request, body discarded."""
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-"]
                         + (["-I"] if method == "HEAD" else []) + [url],
                         capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers


def cpu_seconds(pids):
    """CPU time (user + system) the processes have used so far: the server's cost of a load
    run, steadier than its rate on a machine shared with others."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url, seconds=10, connections=32, method="GET", headload=None):
    """wrk's figures for GET `url`; with `headload` (bench/headload.c, built), that tool's for
    `method` (wrk 4.1.0 cannot send HEAD: see headload.c)."""
    if headload:
        command = [str(headload), "-t2", f"-c{connections}", f"-d{seconds}", "-m", method, url]
    else:
        assert method == "GET"
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if not rps:
        raise SystemExit(f"{command}: no answer\n{out}")
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale,
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sum(int(n) for n in sockets.groups()) if sockets else 0}


# -- the Hub-shaped origin ---------------------------------------------------------------------

def hub_files(small, big):
    """A model repo as snapshot_download sees one: a 4 KiB regular file, a 1 GiB LFS file,
    and the usual small files (config, tokenizer, card, a subfolder) for the listings."""
    return {"4k.bin": small, "1g.bin": big,
             "config.json": json.dumps({"model_type": "bert", "hidden_size": 32}).encode(),
             "generation_config.json": b'{"max_length": 64}',
             "tokenizer.json": os.urandom(3000).hex().encode(),
             "tokenizer_config.json": b'{"tokenizer_class": "BertTokenizer"}',
             "special_tokens_map.json": b'{"unk_token": "[UNK]"}',
             "vocab.txt": b"\n".join(b"tok%d" % i for i in range(500)),
             "README.md": b"---\nlicense: mit\n---\n# bench/data\n",
             ".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n",
             "onnx/model.onnx": os.urandom(2048), "onnx/config.json": b"{}"}


def hub_paths(sha):
    """(label, URL path, methods): what Hub clients ask, in the order they ask it."""
    return [
        ("resolve main", f"/{REPO}/resolve/main/4k.bin", ("GET", "HEAD")),
        ("resolve sha", f"/{REPO}/resolve/{sha}/4k.bin", ("GET", "HEAD")),
        ("model info", f"/api/models/{REPO}", ("GET",)),
        ("revision main", f"/api/models/{REPO}/revision/main", ("GET",)),
        ("tree sha", f"/api/models/{REPO}/tree/{sha}?recursive=true&expand=false", ("GET",)),
        ("tree main", f"/api/models/{REPO}/tree/main?recursive=false&expand=false", ("GET",)),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one round of 2 s per load run instead of three of 3 s (for "
                             "working on this script)")
    args = parser.parse_args()
    # Each URL: hubcache, nginx, hubcache, nginx... `rounds` times, the median kept: on a
    # machine shared with others, a burst of their load then hits one round, not one side.
    seconds, rounds = (2, 1) if args.quick else (3, 3)
    started = time.monotonic()
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "hubcache": HUBCACHE, "load_seconds": seconds, "load_rounds": rounds}
    results["load_average_before"] = os.getloadavg()[0]
    print(f"== {results['date']}  {HUBCACHE}  -t2 -c32 -d{seconds}s x {rounds} round(s); "
          f"load average {results['load_average_before']:.1f} on {os.cpu_count()} CPUs",
          flush=True)
    work = Path(tempfile.mkdtemp(prefix="hubcache-serve-bench.", dir="/var/tmp"))
    os.chmod(work, 0o755)
    files = work / "files"
    files.mkdir()
    print(f"== preparing files in {files}", flush=True)
    small = os.urandom(4096)
    big = os.urandom(1 << 30)
    (files / "4k.bin").write_bytes(small)
    write_random(files / "256m.bin", 256 << 20)
    (files / "1g.bin").write_bytes(big)
    headload = work / "headload"
    subprocess.run(["cc", "-O2", "-o", str(headload), str(ROOT / "bench" / "headload.c"),
                    "-lpthread"], check=True)

    # Two fake Hubs with the same repo (so the same commit sha): hubcache's answers small files
    # with the relative 307 to /api/resolve-cache/ as huggingface.co does since 2025 (hubcache
    # follows it on the fill and answers a hit with a 200 and the body, checked below); the one
    # behind nginx answers them with the 200 directly (the Hub's older shape), because nginx
    # does not follow redirects and would otherwise cache the 307, sending every client back
    # for a second request: this way both give the client the same 200 and body in one request.
    fake_hub.PAGE_SIZE = 1000  # one page for a repo this small, as huggingface.co answers it
    repo_files = hub_files(small, big)
    hub = fake_hub.FakeHub()
    hub.add_repo(REPO, repo_files)
    hub_for_nginx = fake_hub.FakeHub()
    hub_for_nginx.resolve_cache = False
    hub_for_nginx.add_repo(REPO, repo_files)
    sha = hub.repos[("model", REPO)].refs["main"]
    assert hub_for_nginx.repos[("model", REPO)].refs["main"] == sha

    origin_port, proxy_port, hub_proxy_port = free_port(), free_port(), free_port()
    origin = Nginx(work, "origin", f"""
  server {{ listen 127.0.0.1:{origin_port}; root {files};
           location /throttled/ {{ alias {files}/; limit_rate {THROTTLE}; }} }}""")
    proxy = Nginx(work, "proxy", f"""
  proxy_cache_path {work}/proxy/cache levels=1:2 keys_zone=hc:10m max_size=20g inactive=1d use_temp_path=off;
  server {{ listen 127.0.0.1:{proxy_port};
           location / {{ proxy_pass http://127.0.0.1:{origin_port}; proxy_cache hc;
                        proxy_cache_valid 200 1d; proxy_cache_lock on; proxy_cache_lock_timeout 600s;
                        proxy_http_version 1.1; proxy_set_header Connection ""; }} }}""")
    # nginx proxy_cache in front of the fake Hub. proxy_cache_convert_head (on by default,
    # stated here) makes a HEAD miss fetch with GET and a HEAD hit come from the GET's entry;
    # the cache key has no method. Its log says HIT or MISS per request (buffered, so that
    # the check costs nginx little).
    hub_proxy = Nginx(work, "hub-proxy", f"""
  log_format cachestatus '$request_method "$request_uri" $status $upstream_cache_status';
  proxy_cache_path {work}/hub-proxy/cache levels=1:2 keys_zone=hub:10m max_size=20g inactive=1d use_temp_path=off;
  server {{ listen 127.0.0.1:{hub_proxy_port};
           access_log {work}/hub-proxy/cache.log cachestatus buffer=256k flush=1s;
           location / {{ proxy_pass http://127.0.0.1:{hub_for_nginx.port}; proxy_cache hub;
                        proxy_cache_valid 200 1d; proxy_cache_convert_head on;
                        proxy_cache_methods GET HEAD; proxy_cache_lock on;
                        proxy_http_version 1.1; proxy_set_header Connection ""; }} }}""")
    plain = Hubcache(work / "store", f"http://127.0.0.1:{origin_port}")
    hubc = Hubcache(work / "store-hub", hub.url, *hub.allow_args())
    servers = [plain, hubc, origin, proxy, hub_proxy]
    try:
        # 1. 4 KiB hits, both warm, on the identical URL.
        nginx_hub = f"http://127.0.0.1:{hub_proxy_port}"
        # (label, URL path, method, tool, hubcache, nginx): wrk for GET; HEAD needs headload,
        # which also measures one GET beside wrk's so that the two tools can be compared.
        rows = [("plain /4k.bin", "/4k.bin", "GET", "wrk", plain.url,
                 f"http://127.0.0.1:{proxy_port}")]
        for label, path, methods in hub_paths(sha):
            for method in methods:
                if method == "HEAD":
                    rows.append((label, path, "GET", "headload", hubc.url, nginx_hub))
                rows.append((label, path, method, "wrk" if method == "GET" else "headload",
                             hubc.url, nginx_hub))
            if label == "resolve sha":  # one calibration row is enough
                del rows[-2]
        for _, path, method, _, ours, theirs in rows:
            for base in (ours, theirs):
                for _ in range(2):
                    head_of(base + path, "GET")
                    head_of(base + path, method)
        # What a client gets on a hit: hubcache's answers are one 200 each (no 307 to follow).
        answers = set()
        for label, path, method, _, ours, _ in rows:
            status, headers = head_of(ours + path, method)
            answers.add(f"{status} X-Hubcache: {headers.get('x-hubcache')}")
            if status != 200 or "location" in headers:
                print(f"!! hubcache answers {method} {path} ({label}) on a hit with {status} "
                      f"{headers.get('location', '')}", flush=True)
        print(f"== hubcache's answers to the URLs below, warm: {', '.join(sorted(answers))}")
        results["hubcache_hit_answers"] = sorted(answers)
        print(f"== 4 KiB hits and Hub answers, warm, 32 connections (wrk -t2 -c32; HEAD: "
              f"headload -t2 -c32): on each URL hubcache then nginx proxy_cache, {seconds} s "
              f"each, {rounds} round(s), medians", flush=True)
        nginx_log = work / "hub-proxy" / "cache.log"
        time.sleep(1.5)  # the buffered log is flushed: what follows is the timed windows'
        logged = len(nginx_log.read_text().splitlines())
        def origin_requests(fake, path):
            """Requests the origin saw: the fake Hub's record (Hub and CDN), or for the plain
            path the static nginx's access log."""
            if path == "/4k.bin":
                return origin.requests_for(path)
            return len(fake.requests("hub")) + len(fake.requests("cdn"))

        server_of = {plain.url: plain, hubc.url: hubc, f"http://127.0.0.1:{proxy_port}": proxy,
                     nginx_hub: hub_proxy}
        table = []
        for label, path, method, tool, ours, theirs in rows:
            row = {"path": label, "url": path, "method": method, "tool": tool}
            measured = {"hubcache": [], "nginx": []}
            for _ in range(rounds):
                for name, base, asked in (("hubcache", ours, hub),
                                          ("nginx", theirs, hub_for_nginx)):
                    before = origin_requests(asked, path)
                    pids = server_of[base].pids()
                    cpu_before = cpu_seconds(pids)
                    one = wrk(base + path, seconds, method=method,
                              headload=headload if tool == "headload" else None)
                    one["cpu_us_per_request"] = ((cpu_seconds(pids) - cpu_before) * 1e6 /
                                                 (one["rps"] * seconds))
                    one["origin_requests"] = origin_requests(asked, path) - before
                    measured[name].append(one)
            for name, runs in measured.items():
                row[name] = {"rps": statistics.median(r["rps"] for r in runs),
                             "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                             "cpu_us": statistics.median(r["cpu_us_per_request"] for r in runs),
                             **{key: sum(r[key] for r in runs)
                                for key in ("non_2xx", "socket_errors", "origin_requests")},
                             "rounds": [[r["rps"], r["p99_ms"]] for r in runs]}
            row["ratio_rps"] = row["hubcache"]["rps"] / row["nginx"]["rps"]
            row["ratio_p99"] = row["hubcache"]["p99_ms"] / row["nginx"]["p99_ms"]
            row["ratio_cpu"] = row["hubcache"]["cpu_us"] / row["nginx"]["cpu_us"]
            table.append(row)
        time.sleep(1.5)
        nginx_misses = [line for line in nginx_log.read_text().splitlines()[logged:]
                        if not line.endswith(" HIT")]
        resolve = [r["hubcache"]["rps"] for r in table if r["path"].startswith("resolve")
                   and (r["tool"] == "wrk") == (r["method"] == "GET")]
        resolve_rps = statistics.mean(resolve)
        for row in table:
            if row["path"] in ("model info", "revision main", "tree sha", "tree main"):
                row["vs_resolve"] = row["hubcache"]["rps"] / resolve_rps
        print(f"{'path':14s} {'method':6s} {'tool':8s} | {'hubcache req/s':>14s} {'p99 ms':>7s} {'non2xx':>6s} "
              f"{'origin':>6s} | {'nginx req/s':>11s} {'p99 ms':>7s} {'non2xx':>6s} {'origin':>6s} "
              f"| {'req/s':>6s} {'p99':>5s} | {'CPU us/req':>16s} | {'vs resolve':>10s}")
        for row in table:
            ours, theirs = row["hubcache"], row["nginx"]
            vs = f"{row['vs_resolve']:9.2f}x" if "vs_resolve" in row else ""
            print(f"{row['path']:14s} {row['method']:6s} {row['tool']:8s} | {ours['rps']:14.0f} {ours['p99_ms']:7.2f} "
                  f"{ours['non_2xx']:6d} {ours['origin_requests']:6d} | {theirs['rps']:11.0f} "
                  f"{theirs['p99_ms']:7.2f} {theirs['non_2xx']:6d} {theirs['origin_requests']:6d} | "
                  f"{row['ratio_rps']:5.2f}x {row['ratio_p99']:4.2f}x | "
                  f"{ours['cpu_us']:4.1f} {theirs['cpu_us']:4.1f} {row['ratio_cpu']:4.2f}x | {vs:>10s}")
            for name in ("hubcache", "nginx"):
                if row[name]["socket_errors"]:
                    print(f"   {name}: {row[name]['socket_errors']} socket errors")
        print("req/s and p99 ratios: hubcache / nginx proxy_cache on the same URL, same tool; "
              "vs resolve: hubcache's rate / the mean of its four resolve rows (GET by wrk, HEAD "
              f"by headload: {resolve_rps:.0f} req/s); "
              "origin: requests the origin (the fake Hub and its CDN; for /4k.bin the static nginx) "
              "saw during the timed window; CPU us/req: the server's CPU time (user + system, "
              "from /proc, nginx's master and workers) per request answered, hubcache, nginx, "
              "ratio (lower is cheaper)")
        print(f"nginx proxy_cache answers not logged as HIT during the timed windows: "
              f"{len(nginx_misses)}" + (f" (first: {nginx_misses[0]})" if nginx_misses else ""))
        for label, path, _ in hub_paths(sha):
            print(f"  {label:14s} {path}")
        plain_row = table[0]
        results["hits_4k"] = {"hubcache_rps": plain_row["hubcache"]["rps"],
                              "hubcache_p99_ms": plain_row["hubcache"]["p99_ms"],
                              "nginx_rps": plain_row["nginx"]["rps"],
                              "nginx_p99_ms": plain_row["nginx"]["p99_ms"]}
        results["hub_paths"] = table
        results["hub_resolve_mean_rps"] = resolve_rps
        results["hub_nginx_not_hit"] = len(nginx_misses)

        # 2. A 1 GiB hit, one client: plain, and as a Hub resolve (curl -L, as a client
        # follows whatever it is answered), vs nginx serving the same bytes from a file.
        print("== 1 GiB hit, one client (curl -o /dev/null), best of 3, interleaved", flush=True)
        hub_1g = f"/{REPO}/resolve/main/1g.bin"
        fill = time.monotonic()
        _, _, size, code = curl(hubc.url + hub_1g, "/dev/null", "-L")
        assert (size, code) == (1 << 30, 200), (size, code)
        fill = time.monotonic() - fill
        curl(plain.url + "/1g.bin")
        speeds = {"plain": [], "hub": [], "static": []}
        before = len(hub.requests("hub")) + len(hub.requests("cdn"))
        for _ in range(3):
            for name, url, options in (("plain", plain.url + "/1g.bin", ()),
                                       ("hub", hubc.url + hub_1g, ("-L",)),
                                       ("static", f"http://127.0.0.1:{origin_port}/1g.bin", ())):
                _, total, size, code = curl(url, "/dev/null", *options)
                assert (size, code) == (1 << 30, 200), (name, size, code)
                speeds[name].append((1 << 30) / total / 1e9)
        hub_asked = len(hub.requests("hub")) + len(hub.requests("cdn")) - before
        hub_speed, plain_speed, ngx_speed = (max(speeds[n]) for n in ("hub", "plain", "static"))
        print(f"hubcache plain hit   {plain_speed:6.2f} GB/s  ({plain_speed / ngx_speed:.2f}x static)")
        print(f"hubcache Hub hit     {hub_speed:6.2f} GB/s  ({hub_speed / ngx_speed:.2f}x static; "
              f"curl -L {hub_1g}; origin requests {hub_asked}; the cold fill took {fill:.1f} s)")
        print(f"nginx static         {ngx_speed:6.2f} GB/s")
        results["hit_1g"] = {"hubcache_gbps": plain_speed, "nginx_static_gbps": ngx_speed}
        results["hub_hit_1g"] = {"hubcache_gbps": hub_speed, "nginx_static_gbps": ngx_speed,
                                 "ratio": hub_speed / ngx_speed, "origin_requests": hub_asked,
                                 "cold_fill_s": fill}

        # 4. Peak RSS while 32 clients read the 1 GiB hit.
        plain.stop()
        plain = Hubcache(work / "store", f"http://127.0.0.1:{origin_port}")
        servers[0] = plain
        print("== 32 clients reading the 1 GiB hit at once", flush=True)
        with ThreadPoolExecutor(32) as pool:
            outcomes = list(pool.map(lambda _: curl(plain.url + "/1g.bin"), range(32)))
        assert all(o[2] == 1 << 30 for o in outcomes)
        rss = plain.peak_rss_mib()
        wall = max(o[1] for o in outcomes)
        print(f"hubcache peak RSS {rss:6.1f} MiB  ({32 * (1 << 30) / wall / 1e9:.2f} GB/s in all)")
        results["rss_32x1g_mib"] = rss
        plain.stop()

        # 3. 32 clients on one cold 256 MiB file from a throttled origin.
        print(f"== 32 clients on one cold 256 MiB file, origin limited to {THROTTLE}B/s", flush=True)
        path = "/throttled/256m.bin"
        alone_store = work / "store-alone"
        single = Hubcache(alone_store, f"http://127.0.0.1:{origin_port}")
        alone = curl(single.url + path)[1]
        single.stop()
        shutil.rmtree(alone_store)
        before = origin.requests_for(path)
        cold = Hubcache(work / "store-cold", f"http://127.0.0.1:{origin_port}")
        with ThreadPoolExecutor(32) as pool:
            outcomes = list(pool.map(lambda _: curl(cold.url + path), range(32)))
        upstream = origin.requests_for(path) - before
        firsts = [o[0] for o in outcomes]
        total = max(o[1] for o in outcomes)
        assert all(o[2] == 256 << 20 for o in outcomes)
        cold.stop()
        before = origin.requests_for(path)
        with ThreadPoolExecutor(32) as pool:
            ngx = list(pool.map(lambda _: curl(f"http://127.0.0.1:{proxy_port}{path}"), range(32)))
        ngx_upstream = origin.requests_for(path) - before
        ngx_firsts = [o[0] for o in ngx]
        print(f"one client alone  {alone:6.2f} s")
        print(f"hubcache x32      {total:6.2f} s ({total / alone:.2f}x alone)  upstream requests "
              f"{upstream}  first bytes within {max(firsts) - min(firsts):.3f} s")
        print(f"nginx x32         {max(o[1] for o in ngx):6.2f} s  upstream requests {ngx_upstream}  "
              f"first bytes within {max(ngx_firsts) - min(ngx_firsts):.3f} s (proxy_cache_lock)")
        results["cold_32x256m"] = {"alone_s": alone, "hubcache_s": total,
                                   "hubcache_upstream_requests": upstream,
                                   "hubcache_first_byte_spread_s": max(firsts) - min(firsts),
                                   "nginx_s": max(o[1] for o in ngx),
                                   "nginx_upstream_requests": ngx_upstream,
                                   "nginx_first_byte_spread_s": max(ngx_firsts) - min(ngx_firsts)}
    finally:
        for server in servers:
            try:
                server.stop()
            except Exception:
                pass
        for fake in (hub, hub_for_nginx):
            fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["run_s"] = time.monotonic() - started
    results["load_average_after"] = os.getloadavg()[0]
    print(f"== the run took {results['run_s']:.0f} s; load average "
          f"{results['load_average_after']:.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
