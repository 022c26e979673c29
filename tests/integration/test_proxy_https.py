"""The forward proxy through CONNECT (issue 6): hubcache terminates TLS with a leaf of the
store's CA, records what comes through the tunnel like any exchange, and replays it with the
origin gone."""

import os
import socket
import subprocess

import requests

from origin import CountingListener


def start(serve, https_origin, test_ca, *args):
    # The mirror's own upstream does not matter here; the tunnel's origin must be allowed
    # (here every port of localhost: the tests use several).
    return serve(https_origin.url(), "--upstream-ca", str(test_ca["ca"]),
                 "--allow-host", "localhost:*", *args)


def bundle_for(hubcache, tmp_path):
    bundle = tmp_path / "bundle.pem"
    hubcache.make_store()
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
    assert "--allow-host https://example.invalid " in answer


def test_the_upstream_is_verified_normally(serve, https_origin, test_ca, hubcache, tmp_path):
    """Without --upstream-ca the test origin's certificate is not trusted: 502, not a body."""
    https_origin.add("/x", b"secret")
    served = serve(https_origin.url(), "--allow-host", f"https://localhost:{https_origin.port}",
                   "--retries", "0")
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


def test_hub_urls_through_connect_land_on_the_hub_object_model(serve, test_ca, hubcache,
                                                              tmp_path):
    """A client that ignores HF_ENDPOINT but honours HTTPS_PROXY: one download serves both
    routes and is stored once."""
    import ssl
    import sys
    sys.path.insert(0, str(__import__("conftest").ROOT / "tests" / "fake_hub"))
    from fake_hub import FakeHub, demo_repos
    from test_hub_clients import BERT, repo_files
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(str(test_ca["cert"]), str(test_ca["key"]))
    hub = FakeHub(tls=tls, url_host="localhost")
    try:
        demo_repos(hub)
        served = serve(hub.url, "--upstream-ca", str(test_ca["ca"]), *hub.allow_args())
        bundle = bundle_for(hubcache, tmp_path)
        proxies = {"https": served.base}
        config = repo_files(hub, BERT)["config.json"]
        direct = requests.get(f"{hub.url}/{BERT}/resolve/main/config.json", proxies=proxies,
                              verify=bundle)
        assert (direct.status_code, direct.content) == (200, config)
        assert direct.headers["X-Hubcache"] == "stored"
        endpoint = requests.get(served.url(f"/{BERT}/resolve/main/config.json"))
        assert (endpoint.headers["X-Hubcache"], endpoint.content) == ("hit", config)
        assert len(hub.requests("hub", f"/{BERT}/resolve/main/config.json")) == 1
        # A paginated listing through the tunnel points its next page at the Hub's own
        # origin, where the proxy sees it again.
        page = requests.get(f"{hub.url}/api/models/{BERT}/tree/main?recursive=true",
                            proxies=proxies, verify=bundle)
        assert page.status_code == 200
        assert page.links["next"]["url"].startswith(f"{hub.url}/api/models/{BERT}/tree/main")
        listing = hubcache.json("ls")
        assert [o["path"] for o in listing["hub_objects"]] == ["config.json"]
    finally:
        hub.stop()


def test_run_points_every_client_at_the_proxy(hubcache, test_ca, tmp_path):
    import sys
    from origin import Origin
    # Not localhost or 127.0.0.1: those are in NO_PROXY, and clients would go direct.
    https_origin = Origin(host="127.0.0.2", tls=(str(test_ca["cert"]), str(test_ca["key"])))
    body = os.urandom(200_000)
    https_origin.add("/data/sample.bin", body)
    url = https_origin.url("/data/sample.bin")
    script = ("import os, requests, subprocess\n"
              f"r = requests.get({url!r})\n"
              "curl = subprocess.run(['curl', '-sS', " + repr(url) + "], capture_output=True)\n"
              "print(r.status_code, r.headers.get('X-Hubcache'), len(r.content), len(curl.stdout))\n"
              "print(os.environ['HTTPS_PROXY'] == os.environ['https_proxy'] == "
              "os.environ['HF_ENDPOINT'], os.environ['NO_PROXY'])\n"
              "print(os.environ['PIP_CERT'] == os.environ['REQUESTS_CA_BUNDLE'] == "
              "os.environ['SSL_CERT_FILE'] == os.environ['NODE_EXTRA_CA_CERTS'])\n")
    flags = ["--allow-host", https_origin.url(), "--upstream-ca", str(test_ca["ca"])]
    done = hubcache.run("run", *flags, "--", sys.executable, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"200 stored {len(body)} {len(body)}",
                                        "True localhost,127.0.0.1,::1", "True"]
    https_origin.stop()
    replayed = hubcache.run("run", *flags, "--mode", "replay", "--strict", "--",
                            sys.executable, "-c", script)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.splitlines()[0] == f"200 hit {len(body)} {len(body)}"
