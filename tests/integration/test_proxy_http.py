"""The forward proxy, plain HTTP part (issue 6): absolute-form requests from any client that
honours HTTP_PROXY are recorded and replayed; only allowed hosts are proxied; the Hub's URLs
land on the Hub object model."""

import os
import subprocess

import requests

from origin import CountingListener
from test_hub_clients import BERT, repo_files


def test_requests_stream_through_the_proxy_then_replay(serve, origin, tmp_path):
    image = os.urandom(700_000)
    origin.add("/images/cat.jpg", image, headers={"Content-Type": "image/jpeg"})
    proxies = {"http": None}
    recording = serve(origin.url())
    proxies["http"] = recording.base
    url = origin.url("/images/cat.jpg")
    with requests.get(url, proxies=proxies, stream=True) as first:
        assert first.headers["X-Hubcache"] == "stored"
        assert first.raw.read() == image
    second = requests.get(url, proxies=proxies)
    assert (second.headers["X-Hubcache"], second.content) == ("hit", image)
    assert origin.count("/images/cat.jpg") == 1
    assert recording.stop() == 0

    port = origin.port
    origin.stop()
    watch = CountingListener(port)
    try:
        replay = serve(f"http://127.0.0.1:{port}", "--mode", "replay")
        curl = subprocess.run(["curl", "-sS", "--noproxy", "", "-x", replay.base, url],
                              capture_output=True, timeout=60)
        assert curl.returncode == 0, curl.stderr
        assert curl.stdout == image
        assert watch.connections == 0
    finally:
        watch.stop()


def test_hosts_outside_the_allow_list_are_refused(serve, origin):
    served = serve(origin.url())
    refused = requests.get("http://example.invalid/model.bin", proxies={"http": served.base})
    assert refused.status_code == 403
    assert "--allow-host http://example.invalid " in refused.text
    # Allowed by pattern: the same request is then attempted (and fails to resolve: 502).
    allowed = serve(origin.url(), "--allow-host", "*.invalid", "--retries", "0")
    tried = requests.get("http://example.invalid/model.bin", proxies={"http": allowed.base})
    assert tried.status_code in (502, 504)
    assert "not proxying" not in tried.text
    # Issue 14: what failed is said, not how (no resolver or socket detail).
    assert tried.text.startswith("hubcache: upstream failed")
    assert "resolve" not in tried.text.lower()


def test_hub_urls_through_the_proxy_share_the_hub_object_model(fake_hub, serve, hubcache):
    served = serve(fake_hub.url, *fake_hub.allow_args())
    config = repo_files(fake_hub, BERT)["config.json"]
    via_proxy = requests.get(f"{fake_hub.url}/{BERT}/resolve/main/config.json",
                             proxies={"http": served.base})
    assert (via_proxy.status_code, via_proxy.content) == (200, config)
    assert via_proxy.headers["X-Hubcache"] == "stored"
    via_endpoint = requests.get(served.url(f"/{BERT}/resolve/main/config.json"))
    assert (via_endpoint.headers["X-Hubcache"], via_endpoint.content) == ("hit", config)
    assert len(fake_hub.requests("hub", f"/{BERT}/resolve/main/config.json")) == 1
    listing = hubcache.json("ls")
    assert [o["path"] for o in listing["hub_objects"]] == ["config.json"]
    assert not any("config.json" in e["url"] for e in listing["exchanges"])


def test_ignored_query_names_stay_out_of_keys(serve, origin):
    origin.add("/data.json", b'{"rows": 3}')
    served = serve(origin.url(), "--ignore-query", "cachebust", "--ignore-query", "t")
    proxies = {"http": served.base}
    first = requests.get(origin.url("/data.json?cachebust=1&page=2&t=99"), proxies=proxies)
    second = requests.get(origin.url("/data.json?page=2&cachebust=7"), proxies=proxies)
    other = requests.get(origin.url("/data.json?page=3&cachebust=7"), proxies=proxies)
    assert [r.headers["X-Hubcache"] for r in (first, second, other)] == ["stored", "hit", "stored"]
    assert origin.count("/data.json") == 2


def test_posts_are_keyed_by_their_body(serve, origin):
    served = serve(origin.url())
    proxies = {"http": served.base}
    url = origin.url("/v1/embed")
    answers = [requests.post(url, data=body, proxies=proxies) for body in (b"a", b"b", b"a")]
    assert [r.content for r in answers] == [b"posted:a", b"posted:b", b"posted:a"]
    assert [r.headers["X-Hubcache"] for r in answers] == ["stored", "stored", "hit"]
    assert origin.count("/v1/embed") == 2
    assert served.stop() == 0
    replay = serve(origin.url(), "--mode", "replay")
    again = requests.post(url, data=b"b", proxies={"http": replay.base})
    assert (again.headers["X-Hubcache"], again.content) == ("hit", b"posted:b")
    unseen = requests.post(url, data=b"c", proxies={"http": replay.base})
    assert unseen.status_code == 501
