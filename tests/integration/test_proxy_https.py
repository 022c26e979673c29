"""The forward proxy through CONNECT (issue 6): hubcache terminates TLS with a leaf of the
store's CA, records what comes through the tunnel like any exchange, and replays it with the
origin gone."""

import os
import socket
import subprocess

import requests

from origin import CountingListener


def start(serve, https_origin, test_ca, *args):
    # The mirror's own upstream does not matter here; the tunnel's host must be allowed.
    return serve(https_origin.url(), "--upstream-ca", str(test_ca["ca"]),
                 "--allow-host", "localhost", *args)


def bundle_for(hubcache, tmp_path):
    bundle = tmp_path / "bundle.pem"
    done = hubcache.run("ca", "--bundle", str(bundle))
    assert done.returncode == 0, done.stderr
    return str(bundle)


def test_record_through_connect_then_replay_with_the_origin_gone(
        serve, https_origin, test_ca, hubcache, tmp_path):
    body = os.urandom(3_000_000)
    https_origin.add("/weights/model.bin", body)
    https_origin.add("/fonts/a.ttf", b"\0\1\0\0font" * 100)
    served = start(serve, https_origin, test_ca)
    bundle = bundle_for(hubcache, tmp_path)
    proxies = {"https": served.base}
    url = f"https://localhost:{https_origin.port}/weights/model.bin"
    with requests.get(url, proxies=proxies, verify=bundle, stream=True) as first:
        assert first.status_code == 200
        assert first.headers["X-Hubcache"] == "stored"
        assert first.raw.read() == body
    # Many requests on one kept-alive tunnel.
    with requests.Session() as session:
        for _ in range(20):
            again = session.get(url, proxies=proxies, verify=bundle)
            assert (again.headers["X-Hubcache"], again.content) == ("hit", body)
        font = session.get(f"https://localhost:{https_origin.port}/fonts/a.ttf",
                           proxies=proxies, verify=bundle)
        assert font.content == b"\0\1\0\0font" * 100
    assert https_origin.count("/weights/model.bin") == 1
    assert served.stop() == 0

    port = https_origin.port
    https_origin.stop()
    watch = CountingListener(port)
    try:
        replay = start(serve, https_origin, test_ca, "--mode", "replay")
        curl = subprocess.run(["curl", "-sS", "--noproxy", "", "-x", replay.base, "--cacert",
                               bundle, url], capture_output=True, timeout=60)
        assert curl.returncode == 0, curl.stderr
        assert curl.stdout == body
        assert watch.connections == 0
    finally:
        watch.stop()


def test_connect_to_a_host_outside_the_allow_list_is_refused(serve, https_origin, test_ca,
                                                             hubcache, tmp_path):
    served = start(serve, https_origin, test_ca)
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid:443\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        answer = answer.decode()
    assert answer.startswith("HTTP/1.1 403")
    assert "--allow-host example.invalid" in answer


def test_the_upstream_is_verified_normally(serve, https_origin, test_ca, hubcache, tmp_path):
    """Without --upstream-ca the test origin's certificate is not trusted: 502, not a body."""
    https_origin.add("/x", b"secret")
    served = serve(https_origin.url(), "--allow-host", "localhost", "--retries", "0")
    bundle = bundle_for(hubcache, tmp_path)
    answer = requests.get(f"https://localhost:{https_origin.port}/x",
                          proxies={"https": served.base}, verify=bundle)
    assert answer.status_code == 502
    assert b"secret" not in answer.content
    assert https_origin.count("/x") == 0


def test_a_port_that_does_not_speak_tls_and_a_client_that_aborts(serve, https_origin, origin,
                                                                  test_ca, hubcache, tmp_path):
    origin.add("/plain", b"plain http")
    served = start(serve, https_origin, test_ca, "--retries", "0")
    bundle = bundle_for(hubcache, tmp_path)
    # CONNECT to a plain-HTTP port: our side of TLS works; the upstream's does not: 502.
    answer = requests.get(f"https://localhost:{origin.port}/plain",
                          proxies={"https": served.base}, verify=bundle)
    assert answer.status_code == 502
    # A client that says CONNECT, then sends garbage instead of a TLS handshake and leaves.
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(f"CONNECT localhost:{https_origin.port} HTTP/1.1\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.sendall(b"this is not TLS\r\n\r\n")
    # The server goes on serving.
    https_origin.add("/ok", b"fine")
    ok = requests.get(f"https://localhost:{https_origin.port}/ok",
                      proxies={"https": served.base}, verify=bundle)
    assert ok.content == b"fine"
    metrics = requests.get(served.url("/_hubcache/metrics")).text
    assert "hubcache_tunnel_handshake_failures_total 1" in metrics
