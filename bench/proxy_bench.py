"""Proxy benchmarks (issue 6), each beside a peer measured in the same run:

  1. small hits through CONNECT: hubcache replay vs mitmproxy's server replay of the same
     recorded set (curl, 8 tunnels in parallel, 4 KiB objects: requests/s and p99);
  2. the same recorded responses from Python: requests through hubcache vs requests-cache
     replaying them in-process (the seed approach hubcache replaces);
  3. a 1 GiB download through CONNECT, cold (recording) and warm: GB/s and hubcache's peak
     RSS, beside mitmproxy recording the same download.

Origins are local HTTPS servers with a CA of the bench's own, on 127.0.0.2.
"""

import hashlib
import os
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


def main():
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
