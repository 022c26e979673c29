"""Engine benchmarks (issue 4), each beside its peer in the same run:
  1. 4 KiB hits, both warm: hubcache vs nginx proxy_cache (wrk: requests/s, p99)
  2. a 1 GiB hit: hubcache vs nginx serving the file statically (GB/s)
  3. 32 clients on one cold 256 MiB file from a throttled origin: upstream requests, spread
     of first bytes, total time vs one client alone (nginx proxy_cache_lock beside it)
  4. peak RSS of hubcache while serving a 1 GiB hit to 32 clients
Run through bench/run-serve."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUBCACHE = os.environ.get("HUBCACHE", str(ROOT / "build" / "hubcache"))
THROTTLE = "48m"  # nginx limit_rate for the "throttled origin": 256 MiB in about 5.6 s


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

    def requests_for(self, path):
        log = (self.dir / "access.log").read_text()
        return sum(1 for line in log.splitlines() if f" {path} " in line)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(timeout=30)


class Hubcache:
    def __init__(self, store, upstream, *args):
        self.proc = subprocess.Popen(
            [HUBCACHE, "serve", "--store", str(store), "--listen", "127.0.0.1:0", "--upstream",
             upstream, "--threads", "2", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"

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


def curl(url, out="/dev/null"):
    done = subprocess.run(["curl", "-s", "-o", out, "-w",
                           "%{time_starttransfer} %{time_total} %{size_download} %{http_code}", url],
                          capture_output=True, text=True, check=True)
    first, total, size, code = done.stdout.split()
    return float(first), float(total), int(size), int(code)


def wrk(url, seconds=10, connections=32):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def main():
    results = {}
    work = Path(tempfile.mkdtemp(prefix="hubcache-serve-bench.", dir="/var/tmp"))
    os.chmod(work, 0o755)
    files = work / "files"
    files.mkdir()
    print(f"== preparing files in {files}", flush=True)
    write_random(files / "4k.bin", 4096)
    write_random(files / "256m.bin", 256 << 20)
    write_random(files / "1g.bin", 1 << 30)
    origin_port, proxy_port = free_port(), free_port()
    origin = Nginx(work, "origin", f"""
  server {{ listen 127.0.0.1:{origin_port}; root {files};
           location /throttled/ {{ alias {files}/; limit_rate {THROTTLE}; }} }}""")
    proxy = Nginx(work, "proxy", f"""
  proxy_cache_path {work}/proxy/cache levels=1:2 keys_zone=hc:10m max_size=20g inactive=1d use_temp_path=off;
  server {{ listen 127.0.0.1:{proxy_port};
           location / {{ proxy_pass http://127.0.0.1:{origin_port}; proxy_cache hc;
                        proxy_cache_valid 200 1d; proxy_cache_lock on; proxy_cache_lock_timeout 600s;
                        proxy_http_version 1.1; proxy_set_header Connection ""; }} }}""")
    hub = Hubcache(work / "store", f"http://127.0.0.1:{origin_port}")
    try:
        # 1. 4 KiB hits.
        for base in (hub.url, f"http://127.0.0.1:{proxy_port}"):
            curl(base + "/4k.bin")
            curl(base + "/4k.bin")
        print("== 4 KiB hits, 32 connections, 10 s (wrk -t2 -c32)", flush=True)
        hub_rps, hub_p99, hub_err = wrk(hub.url + "/4k.bin")
        ngx_rps, ngx_p99, ngx_err = wrk(f"http://127.0.0.1:{proxy_port}/4k.bin")
        print(f"hubcache          {hub_rps:10.0f} req/s  p99 {hub_p99:7.2f} ms  non-2xx {hub_err}")
        print(f"nginx proxy_cache {ngx_rps:10.0f} req/s  p99 {ngx_p99:7.2f} ms  non-2xx {ngx_err}")
        print(f"ratio             {hub_rps / ngx_rps:10.2f}x req/s  p99 {hub_p99 / ngx_p99:.2f}x")
        results["hits_4k"] = {"hubcache_rps": hub_rps, "hubcache_p99_ms": hub_p99,
                              "nginx_rps": ngx_rps, "nginx_p99_ms": ngx_p99}

        # 2. A 1 GiB hit, one client.
        print("== 1 GiB hit, one client (curl -o /dev/null), best of 3", flush=True)
        curl(hub.url + "/1g.bin")
        hub_speed = max((1 << 30) / curl(hub.url + "/1g.bin")[1] for _ in range(3)) / 1e9
        ngx_speed = max((1 << 30) / curl(f"http://127.0.0.1:{origin_port}/1g.bin")[1]
                        for _ in range(3)) / 1e9
        print(f"hubcache hit      {hub_speed:6.2f} GB/s")
        print(f"nginx static      {ngx_speed:6.2f} GB/s")
        print(f"ratio             {hub_speed / ngx_speed:6.2f}x")
        results["hit_1g"] = {"hubcache_gbps": hub_speed, "nginx_static_gbps": ngx_speed}

        # 4. Peak RSS while 32 clients read the 1 GiB hit.
        hub.stop()
        hub = Hubcache(work / "store", f"http://127.0.0.1:{origin_port}")
        print("== 32 clients reading the 1 GiB hit at once", flush=True)
        with ThreadPoolExecutor(32) as pool:
            outcomes = list(pool.map(lambda _: curl(hub.url + "/1g.bin"), range(32)))
        assert all(o[2] == 1 << 30 for o in outcomes)
        rss = hub.peak_rss_mib()
        wall = max(o[1] for o in outcomes)
        print(f"hubcache peak RSS {rss:6.1f} MiB  ({32 * (1 << 30) / wall / 1e9:.2f} GB/s in all)")
        results["rss_32x1g_mib"] = rss
        hub.stop()

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
        for server in (hub, origin, proxy):
            try:
                server.stop()
            except Exception:
                pass
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
