"""The allow-list is scheme + host + port (issue 14, finding 4, and the replay CONNECT rule of
finding 9): with the upstream on 127.0.0.1:A, nothing reaches 127.0.0.1:B unless B is allowed;
redirects never go from https to http; credentials stay with the exact origin they were sent
to; a failed upstream is "upstream failed" to the client, never curl's words about sockets."""

import socket
import time

import requests

from origin import CountingListener, Origin


def free_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listener():
    """A CountingListener on a free loopback port, and that port."""
    watch = CountingListener(0)
    return watch, watch.sock.getsockname()[1]


def connect(port, target):
    """Sends `CONNECT target` to hubcache; returns its answer's head (and body when refused)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            while chunk := sock.recv(4096):
                answer += chunk
    return answer.decode("latin-1")


def test_issue14_the_proxy_reaches_no_other_port_of_the_upstreams_host(serve, origin):
    origin.add("/ok", b"the upstream itself")
    served = serve(origin.url(), "--retries", "0")
    proxies = {"http": served.base}
    assert requests.get(origin.url("/ok"), proxies=proxies).content == b"the upstream itself"
    watch, other = listener()
    try:
        refused = requests.get(f"http://127.0.0.1:{other}/admin", proxies=proxies)
        assert refused.status_code == 403
        # It says how to allow exactly that origin.
        assert f"--allow-host http://127.0.0.1:{other}" in refused.text
        tunnel = connect(served.port, f"127.0.0.1:{other}")
        assert tunnel.startswith("HTTP/1.1 403")
        assert f"--allow-host https://127.0.0.1:{other}" in tunnel
        # The upstream's own port, as https, is another origin too.
        assert connect(served.port, f"127.0.0.1:{origin.port}").startswith("HTTP/1.1 403")
        time.sleep(0.5)  # a connection hubcache made would have been counted by now
        assert watch.connections == 0
    finally:
        watch.stop()


def test_issue14_a_malformed_connect_target_is_refused(serve, origin):
    served = serve(origin.url(), "--allow-host", "*:*")
    for target in ("a,DNS:*.example.com:443", "user@127.0.0.1:443", "127.0.0.1:0",
                   "127.0.0.1:99999"):
        assert connect(served.port, target).startswith("HTTP/1.1 400"), target


def test_issue14_a_redirect_to_another_port_is_followed_only_when_allowed(serve, origin):
    other = Origin()
    try:
        other.add("/blob", b"from the other port")
        origin.add("/w.bin", redirect_to=other.url("/blob"))
        served = serve(origin.url())
        passed = requests.get(served.url("/w.bin"), allow_redirects=False)
        assert passed.status_code == 302
        assert passed.headers["Location"].startswith(other.url("/blob?"))
        assert other.count("/blob") == 0
        served.stop()

        allowed = serve(origin.url(), "--allow-host", f"127.0.0.1:{other.port}")
        got = requests.get(allowed.url("/w.bin"), allow_redirects=False,
                           headers={"Authorization": "Bearer secret"})
        assert (got.status_code, got.content) == (200, b"from the other port")
        # The credential stayed with the origin it was sent to: another port is another one.
        assert origin.requests_for("/w.bin")[-1].headers["Authorization"] == "Bearer secret"
        assert "Authorization" not in other.requests_for("/blob")[0].headers
    finally:
        other.stop()


def test_issue14_an_https_upstream_redirecting_to_http_is_not_followed(serve, https_origin,
                                                                       test_ca):
    plain = Origin()
    try:
        plain.add("/blob", b"over plain http")
        https_origin.add("/w.bin", redirect_to=plain.url("/blob"))
        # Even with the http origin allowed: no downgrade.
        served = serve(https_origin.url(), "--upstream-ca", str(test_ca["ca"]),
                       "--allow-host", plain.url())
        passed = requests.get(served.url("/w.bin"), allow_redirects=False,
                              headers={"Authorization": "Bearer secret"})
        assert passed.status_code == 302
        assert passed.headers["Location"].startswith(plain.url("/blob?"))
        assert plain.count("/blob") == 0
    finally:
        plain.stop()


def test_issue14_authorization_does_not_follow_a_change_of_scheme(serve, test_ca):
    """http://127.0.0.1:A redirects to https://127.0.0.1:A: same host and port, another
    origin, so the credential is not sent there."""
    both = Origin(tls=(str(test_ca["cert"]), str(test_ca["key"])), plain_too=True)
    try:
        both.add("/blob", b"over https")
        both.add("/w.bin", redirect_to=both.url("/blob"))
        http_url = f"http://127.0.0.1:{both.port}"
        served = serve(http_url, "--upstream-ca", str(test_ca["ca"]),
                       "--allow-host", f"https://127.0.0.1:{both.port}")
        got = requests.get(served.url("/w.bin"), headers={"Authorization": "Bearer secret"})
        assert (got.status_code, got.content) == (200, b"over https")
        assert both.requests_for("/w.bin")[0].headers["Authorization"] == "Bearer secret"
        assert "Authorization" not in both.requests_for("/blob")[0].headers
    finally:
        both.stop()


def test_issue14_an_unreachable_upstream_is_upstream_failed_without_socket_detail(serve,
                                                                                 origin):
    closed = free_port()
    served = serve(f"http://127.0.0.1:{closed}", "--retries", "0")
    failed = requests.get(served.url("/x.bin"))
    assert failed.status_code == 502
    assert failed.text == f"hubcache: upstream failed: GET http://127.0.0.1:{closed}/x.bin\n"
    # Through the proxy, to an allowed port that is closed: the same words.
    proxy = serve(origin.url(), "--retries", "0", "--allow-host", f"127.0.0.1:{closed}")
    via_proxy = requests.get(f"http://127.0.0.1:{closed}/y", proxies={"http": proxy.base})
    assert via_proxy.status_code == 502
    assert via_proxy.text == f"hubcache: upstream failed: GET http://127.0.0.1:{closed}/y\n"
    # The operator still learns why.
    for server in (served, proxy):
        assert "upstream failed: GET" in server.stderr
        assert "onnect" in server.stderr  # curl's "Couldn't connect", "Connection refused"


def test_issue14_replay_tunnels_only_to_origins_the_store_knows(serve, https_origin, origin,
                                                                test_ca, hubcache, tmp_path):
    https_origin.add("/data.bin", b"recorded through a tunnel")
    url = f"https://localhost:{https_origin.port}/data.bin"
    bundle = tmp_path / "bundle.pem"
    hubcache.make_store()
    assert hubcache.run("ca", "--bundle", str(bundle)).returncode == 0
    recording = serve(origin.url(), "--upstream-ca", str(test_ca["ca"]),
                      "--allow-host", f"https://localhost:{https_origin.port}")
    got = requests.get(url, proxies={"https": recording.base}, verify=str(bundle))
    assert (got.headers["X-Hubcache"], got.content) == ("stored", b"recorded through a tunnel")
    recording.stop()

    # Replay, no --allow-host: a tunnel to what the store holds, nothing else.
    replay = serve(origin.url(), "--mode", "replay")
    again = requests.get(url, proxies={"https": replay.base}, verify=str(bundle))
    assert (again.headers["X-Hubcache"], again.content) == ("hit", b"recorded through a tunnel")
    assert connect(replay.port, f"localhost:{https_origin.port}").startswith("HTTP/1.1 200")
    for unknown in (f"localhost:{free_port()}", f"127.0.0.1:{https_origin.port}",
                    "unknown.example:443"):
        refused = connect(replay.port, unknown)
        assert refused.startswith("HTTP/1.1 403"), unknown
    # Plain absolute-form requests are still answered for any origin (from the store).
    miss = requests.get("http://unknown.example/x", proxies={"http": replay.base})
    assert (miss.status_code, miss.headers["X-Hubcache"]) == (501, "miss")
    # --allow-host opens a tunnel in replay too (its requests are misses, nothing goes out).
    allowed = serve(origin.url(), "--mode", "replay", "--allow-host", "https://unknown.example")
    assert connect(allowed.port, "unknown.example:443").startswith("HTTP/1.1 200")
