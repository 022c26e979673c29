"""Proxy benchmarks (issue 6), each beside a peer measured in the same run:

  1. small hits through CONNECT: hubcache replay vs mitmproxy's server replay of the same
     recorded set (curl, 8 tunnels in parallel, 4 KiB objects: requests/s and p99);
  2. the same recorded responses from Python: requests through hubcache vs requests-cache
     replaying them in-process (the seed approach hubcache replaces);
  3. a 1 GiB download through CONNECT, cold (recording) and warm: GB/s and hubcache's peak
     RSS, beside mitmproxy recording the same download;
  4. cold 1 GiB misses from an unthrottled nginx origin (issue 17): curl straight from the
     origin, a miss through `hubcache serve` as a mirror (plain http), and a miss through it
     as a proxy (CONNECT to the origin's https), each with its ratio to the direct rate.
     A fresh store for every miss; each figure is the median of --rounds runs. Beside them,
     curl saving the origin's file to the store's disk (`-o`, no hash, no client, no fsync):
     a cache that keeps what it serves writes every byte at least so, so this is the ceiling
     the machine puts on the cold ratio, and hubcache's share of it is printed.

Origins are local HTTPS servers with a CA of the bench's own, on 127.0.0.2.

  bench/run-proxy                  sections 1 to 4
  bench/run-proxy --cold           section 4 only
      --rounds N                   runs per figure (default 3)
      --against OLD_HUBCACHE       also time this binary, interleaved with $HUBCACHE (A/B)
      --perf DIR                   perf record -g each miss of $HUBCACHE into DIR
"""

import argparse
import hashlib
import os
import statistics
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from origin import Origin  # noqa: E402
from serve_bench import write_random  # noqa: E402  (bench/, beside this file)

HUBCACHE = os.environ.get("HUBCACHE", str(ROOT / "build" / "hubcache"))
BIN = Path(sys.executable).parent
SMALL = 200          # distinct 4 KiB objects
ROUNDS = 10          # each fetched this many times per measurement
BIG = 1 << 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def make_ca(work):
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.2")
    (work / "ext").write_text("subjectAltName=IP:127.0.0.2\nbasicConstraints=CA:FALSE\n"
                              "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext")


class Process:
    def __init__(self, argv, port, log):
        self.proc = subprocess.Popen(argv, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        wait_port(port)
        self.port = port

    def peak_rss_mib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def hubcache(work, mode, store, ca):
    port = free_port()
    return Process([HUBCACHE, "serve", "--store", str(store), "--listen", f"127.0.0.1:{port}",
                    "--upstream", "https://127.0.0.2", "--upstream-ca", str(ca), "--allow-host",
                    "https://127.0.0.2:*", "--mode", mode, "--log", str(work / "hubcache.ndjson")],
                   port, work / f"hubcache-{mode}.log")


def mitmdump(work, flows, replay, ca):
    port = free_port()
    argv = [str(BIN / "mitmdump"), "--listen-host", "127.0.0.1", "--listen-port", str(port),
            "--set", f"confdir={work / 'mitm'}", "--set", f"ssl_verify_upstream_trusted_ca={ca}",
            "-q"]
    argv += (["--server-replay", str(flows), "--server-replay-reuse",
              "--set", "server_replay_extra=kill"] if replay else ["-w", str(flows)])
    return Process(argv, port, work / f"mitm-{'replay' if replay else 'record'}.log")


def curl_load(proxy, cacert, urls, parallel=8):
    """Fetches `urls` through `proxy` with one curl, `parallel` transfers (and tunnels) at a
    time; returns (requests/s, p99 seconds, failures)."""
    config = "".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls)
    started = time.perf_counter()
    done = subprocess.run(["curl", "-sS", "--parallel", "--parallel-max", str(parallel),
                           "--proxy", proxy, "--cacert", str(cacert), "-w",
                           "%{http_code} %{time_total}\n", "--config", "-"],
                          input=config, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    lines = [l.split() for l in done.stdout.splitlines() if l.strip()]
    times = sorted(float(t) for _, t in lines)
    failures = sum(1 for code, _ in lines if code != "200") + (len(urls) - len(lines))
    return len(urls) / elapsed, times[int(len(times) * 0.99) - 1], failures


def timed_download(proxy, cacert, url):
    """Seconds for curl to fetch `url` through `proxy` to /dev/null; checks the length."""
    started = time.perf_counter()
    size = subprocess.run(["curl", "-sS", "--proxy", proxy, "--cacert", str(cacert), "-o",
                           "/dev/null", "-w", "%{size_download}", url],
                          capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - started
    assert int(size) == BIG, f"got {size} bytes"
    return seconds


def sha256_via(proxy, cacert, url):
    return subprocess.run(f"curl -sS --proxy {proxy} --cacert {cacert} {url} | sha256sum",
                          shell=True, capture_output=True, text=True, check=True).stdout.split()[0]


def python_load(session, urls, **kwargs):
    times = []
    started = time.perf_counter()
    for url in urls:
        t = time.perf_counter()
        r = session.get(url, **kwargs)
        r.content
        assert r.status_code == 200, r.status_code
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    times.sort()
    return len(urls) / elapsed, times[int(len(times) * 0.99) - 1]


class Nginx:
    """A static nginx on loopback: plain http on 127.0.0.1 and https (the bench's own CA) on
    127.0.0.2, both unthrottled, serving `root`."""

    def __init__(self, work, root):
        self.dir = work / "nginx"
        self.dir.mkdir()
        self.http_port, self.https_port = free_port(), free_port()
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
user root;
worker_processes 2;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  default_type application/octet-stream;
  client_body_temp_path {self.dir}/body; proxy_temp_path {self.dir}/proxy_temp;
  fastcgi_temp_path {self.dir}/fcgi; uwsgi_temp_path {self.dir}/uwsgi; scgi_temp_path {self.dir}/scgi;
  server {{ listen 127.0.0.1:{self.http_port}; root {root}; }}
  server {{ listen 127.0.0.2:{self.https_port} ssl; root {root};
           ssl_certificate {work / "leaf.pem"}; ssl_certificate_key {work / "leaf.key"}; }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.http_port)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(timeout=30)


def curl_seconds(url, *args):
    """Seconds for one curl of `url` to /dev/null; checks the status and the length."""
    started = time.perf_counter()
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                          *args, url], capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - started
    code, size = out.split()
    assert code == "200" and int(size) == BIG, f"{url}: {code}, {size} bytes"
    return seconds


def curl_to_file_seconds(url, path):
    """Seconds for one curl of `url` into the file `path` (removed after), and curl's CPU
    seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen(["curl", "-sS", "-o", str(path), url])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0 and path.stat().st_size == BIG, f"{url}: curl exit {proc.returncode}"
    path.unlink()
    return seconds, usage.ru_utime + usage.ru_stime


def cpu_seconds(stat):
    """CPU seconds (user + system) in a /proc stat file."""
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_cpu(pid):
    """CPU seconds of each live thread of `pid`, by thread id."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[task.name] = cpu_seconds(task / "stat")
        except OSError:
            continue
    return out


def cold_miss(binary, work, nginx, path, perf_to=None):
    """One cold miss of /1g.bin through a fresh `binary serve` with an empty store: as a mirror
    of nginx's http (path "mirror") or as a proxy, CONNECT to its https (path "connect").
    Returns the seconds curl took, hubcache's peak RSS, its CPU seconds during the miss and
    those of its busiest thread; with `perf_to`, perf records the server during the miss."""
    store = work / "cold-store"
    shutil.rmtree(store, ignore_errors=True)
    port = free_port()
    upstream = (f"http://127.0.0.1:{nginx.http_port}" if path == "mirror"
                else f"https://127.0.0.2:{nginx.https_port}")
    server = Process([binary, "serve", "--store", str(store), "--listen", f"127.0.0.1:{port}",
                      "--upstream", upstream, "--upstream-ca", str(work / "ca.pem"),
                      "--allow-host", "https://127.0.0.2:*", "--log", str(work / "cold.ndjson")],
                     port, work / "hubcache-cold.log")
    perf = None
    try:
        if path == "mirror":
            url, args = f"http://127.0.0.1:{port}/1g.bin", []
        else:
            subprocess.run([binary, "ca", "--store", str(store), "--bundle",
                            str(work / "bundle.pem")], check=True, capture_output=True)
            url = f"https://127.0.0.2:{nginx.https_port}/1g.bin"
            args = ["--proxy", f"http://127.0.0.1:{port}", "--cacert", str(work / "bundle.pem")]
        if perf_to:
            perf = subprocess.Popen(["perf", "record", "-g", "-o", str(perf_to), "-p",
                                     str(server.proc.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        # The process's figure counts threads that ended too; the busiest thread is the
        # busiest of those still there at the end (the fetching thread is one of the pool's).
        stat = f"/proc/{server.proc.pid}/stat"
        before, threads_before = cpu_seconds(stat), threads_cpu(server.proc.pid)
        seconds = curl_seconds(url, *args)
        time.sleep(0.2)  # the store's last steps after curl's last byte
        after, threads_after = cpu_seconds(stat), threads_cpu(server.proc.pid)
        busiest = max(cpu - threads_before.get(t, 0.0) for t, cpu in threads_after.items())
        return seconds, server.peak_rss_mib(), after - before, busiest
    finally:
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=60)
        server.stop()
        shutil.rmtree(store, ignore_errors=True)


def cold_section(args):
    print("== 4. cold 1 GiB miss, unthrottled nginx origin on loopback, curl to /dev/null "
          f"(median of {args.rounds}; 2 cores shared by origin, hubcache and curl)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="hubcache-cold-bench.", dir="/var/tmp"))
    os.chmod(work, 0o755)
    nginx = None
    try:
        make_ca(work)
        files = work / "files"
        files.mkdir()
        os.chmod(files, 0o755)
        write_random(files / "1g.bin", BIG)
        nginx = Nginx(work, files)
        plain = f"http://127.0.0.1:{nginx.http_port}"
        tls = f"https://127.0.0.2:{nginx.https_port}"
        binaries = [("", HUBCACHE)] + ([(" (against)", args.against)] if args.against else [])
        direct = {"http": [], "https": []}
        misses = {(label, path): [] for label, _ in binaries for path in ("mirror", "connect")}
        rss = {}
        cpu = {key: [] for key in misses}
        saved = []  # curl into a file on the store's disk: (seconds, curl's CPU seconds)
        curl_seconds(plain + "/1g.bin")  # the file into the page cache
        for round_ in range(args.rounds):
            direct["http"].append(curl_seconds(plain + "/1g.bin"))
            saved.append(curl_to_file_seconds(plain + "/1g.bin", work / "saved.bin"))
            direct["https"].append(curl_seconds(tls + "/1g.bin", "--cacert", str(work / "ca.pem")))
            order = binaries if round_ % 2 == 0 else binaries[::-1]
            for label, binary in order:
                for path in ("mirror", "connect"):
                    perf_to = (Path(args.perf) / f"{path}-{round_}.data"
                               if args.perf and not label else None)
                    seconds, peak, total, busiest = cold_miss(binary, work, nginx, path, perf_to)
                    misses[(label, path)].append(seconds)
                    cpu[(label, path)].append((total, busiest))
                    rss[(label, path)] = max(rss.get((label, path), 0.0), peak)
        rate = {k: BIG / statistics.median(v) / 1e9 for k, v in direct.items()}
        print(f"direct from nginx, http       {rate['http']:5.2f} GB/s")
        print(f"direct from nginx, https      {rate['https']:5.2f} GB/s")
        ceiling = BIG / statistics.median(v[0] for v in saved) / 1e9
        print(f"curl -o a file on the store's disk {ceiling:5.2f} GB/s  {ceiling / rate['http']:4.2f}x direct http"
              f" (the ceiling)  curl CPU per GiB {statistics.median(v[1] for v in saved):.2f} s  runs "
              + " ".join(f"{BIG / v[0] / 1e9:.2f}" for v in saved), flush=True)
        for label, _ in binaries:
            for path, peer in (("mirror", "http"), ("connect", "https")):
                speed = BIG / statistics.median(misses[(label, path)]) / 1e9
                name = "mirror miss (plain)" if path == "mirror" else "proxy miss (CONNECT)"
                print(f"hubcache {name + label:21} {speed:5.2f} GB/s  {speed / rate[peer]:4.2f}x "
                      f"direct {peer}  {speed / ceiling:4.2f}x the ceiling  "
                      f"peak RSS {rss[(label, path)]:6.1f} MiB  runs "
                      + " ".join(f"{BIG / s / 1e9:.2f}" for s in misses[(label, path)]),
                      flush=True)
                total = statistics.median(c[0] for c in cpu[(label, path)])
                busiest = statistics.median(c[1] for c in cpu[(label, path)])
                print(f"  hubcache CPU per GiB: {total:.2f} s in all, {busiest:.2f} s on its busiest "
                      "thread", flush=True)
    finally:
        if nginx:
            nginx.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true", help="section 4 only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against")
    parser.add_argument("--perf")
    args = parser.parse_args()
    if not args.cold:
        proxy_sections()
    cold_section(args)


def proxy_sections():
    import requests
    import requests_cache
    work = Path(tempfile.mkdtemp(prefix="hubcache-proxy-bench-"))
    try:
        make_ca(work)
        origin = Origin(host="127.0.0.2", tls=(str(work / "leaf.pem"), str(work / "leaf.key")))
        for i in range(SMALL):
            origin.add(f"/small/{i}.bin", os.urandom(4096))
        urls = [origin.url(f"/small/{i}.bin") for i in range(SMALL)]
        load = urls * ROUNDS
        store = work / "store"

        # Record the set through both proxies.
        rec = hubcache(work, "record", store, work / "ca.pem")
        subprocess.run([HUBCACHE, "ca", "--store", str(store), "--bundle", str(work / "bundle.pem")],
                       check=True, capture_output=True)
        curl_load(f"http://127.0.0.1:{rec.port}", work / "bundle.pem", urls)
        rec.stop()
        flows = work / "flows"
        mrec = mitmdump(work, flows, False, work / "ca.pem")
        mitm_ca = work / "mitm" / "mitmproxy-ca-cert.pem"
        curl_load(f"http://127.0.0.1:{mrec.port}", mitm_ca, urls)
        mrec.stop()

        print(f"== 1. {SMALL} x 4 KiB, {len(load)} requests through CONNECT, curl --parallel-max 8",
              flush=True)
        rep = hubcache(work, "replay", store, work / "ca.pem")
        curl_load(f"http://127.0.0.1:{rep.port}", work / "bundle.pem", urls)  # warm up
        h_rps, h_p99, h_fail = curl_load(f"http://127.0.0.1:{rep.port}", work / "bundle.pem", load)
        mrep = mitmdump(work, flows, True, work / "ca.pem")
        curl_load(f"http://127.0.0.1:{mrep.port}", mitm_ca, urls)
        m_rps, m_p99, m_fail = curl_load(f"http://127.0.0.1:{mrep.port}", mitm_ca, load)
        mrep.stop()
        print(f"hubcache replay      {h_rps:8.0f} req/s  p99 {h_p99 * 1000:6.1f} ms  failures {h_fail}")
        print(f"mitmproxy replay     {m_rps:8.0f} req/s  p99 {m_p99 * 1000:6.1f} ms  failures {m_fail}")
        print(f"ratio                {h_rps / m_rps:8.2f}x", flush=True)

        print(f"== 2. the same {len(load)} responses from Python requests (one session)", flush=True)
        with requests.Session() as s:
            kwargs = {"proxies": {"https": f"http://127.0.0.1:{rep.port}"},
                      "verify": str(work / "bundle.pem")}
            python_load(s, urls, **kwargs)
            p_rps, p_p99 = python_load(s, load, **kwargs)
        cached = requests_cache.CachedSession(str(work / "rc"), backend="sqlite")
        python_load(cached, urls, verify=str(work / "ca.pem"))  # fill it from the origin
        c_rps, c_p99 = python_load(cached, load, verify=str(work / "ca.pem"))
        print(f"requests via hubcache {p_rps:7.0f} req/s  p99 {p_p99 * 1000:6.2f} ms")
        print(f"requests-cache        {c_rps:7.0f} req/s  p99 {c_p99 * 1000:6.2f} ms (in-process, sqlite)")
        print(f"ratio                 {p_rps / c_rps:7.2f}x", flush=True)
        rep.stop()

        print("== 3. 1 GiB through CONNECT", flush=True)
        big = os.urandom(BIG)
        digest = hashlib.sha256(big).hexdigest()
        origin.add("/big.bin", big)
        big_url = origin.url("/big.bin")
        shutil.rmtree(store)
        for label, mode in (("cold (recording)", "record"), ("warm (replay)", "replay")):
            hc = hubcache(work, mode, store, work / "ca.pem")
            subprocess.run([HUBCACHE, "ca", "--store", str(store), "--bundle",
                            str(work / "bundle.pem")], check=True, capture_output=True)
            seconds = timed_download(f"http://127.0.0.1:{hc.port}", work / "bundle.pem", big_url)
            if mode == "replay":  # and the bytes are the origin's (checked untimed)
                assert sha256_via(f"http://127.0.0.1:{hc.port}", work / "bundle.pem",
                                  big_url) == digest, "hubcache: bytes differ"
            print(f"hubcache {label:18} {BIG / seconds / 1e9:5.2f} GB/s  peak RSS "
                  f"{hc.peak_rss_mib():7.1f} MiB", flush=True)
            hc.stop()
        m = mitmdump(work, work / "big.flows", False, work / "ca.pem")
        seconds = timed_download(f"http://127.0.0.1:{m.port}", mitm_ca, big_url)
        print(f"mitmproxy recording       {BIG / seconds / 1e9:5.2f} GB/s  peak RSS "
              f"{m.peak_rss_mib():7.1f} MiB", flush=True)
        m.stop()
        origin.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
