"""`hubcache serve` as a mirror: what a client sees on misses and hits, Range, HEAD, the
admin routes and the access log (issue 4, "What the user sees")."""

import hashlib
import json
import os
import subprocess

import requests


def test_listening_line_and_port_file(serve, origin):
    served = serve(origin.url())
    assert served.listening_line == f"listening on http://127.0.0.1:{served.port}"
    assert served.port_file.read_text().strip() == str(served.port)
    assert served.stop() == 0


def test_miss_is_fetched_once_stored_and_then_a_hit(serve, origin, hubcache):
    body = os.urandom(300_000)
    origin.add("/files/model.bin", body, headers={"X-Custom": "kept"})
    served = serve(origin.url())
    first = requests.get(served.url("/files/model.bin?rev=main"))
    assert first.status_code == 200
    assert first.headers["X-Hubcache"] == "stored"
    assert first.content == body
    assert first.headers["X-Custom"] == "kept"
    second = requests.get(served.url("/files/model.bin?rev=main"))
    assert second.headers["X-Hubcache"] == "hit"
    assert second.content == body
    assert second.headers["Content-Length"] == str(len(body))
    assert origin.count("/files/model.bin") == 1
    # The query is part of the key: another query is another object.
    third = requests.get(served.url("/files/model.bin?rev=other"))
    assert third.headers["X-Hubcache"] == "stored"
    assert origin.count("/files/model.bin") == 2
    served.stop()
    blobs = hubcache.json("stats")["blobs"]
    assert blobs == 1  # the same bytes, stored once


def test_hop_by_hop_headers_are_not_forwarded_either_way(serve, origin):
    origin.add("/h", b"x", headers={"Keep-Alive": "timeout=5", "X-End-To-End": "yes"})
    served = serve(origin.url())
    response = requests.get(served.url("/h"), headers={"Connection": "keep-alive, X-Secret",
                                                       "X-Secret": "hop", "X-Client": "e2e"})
    assert "Keep-Alive" not in response.headers
    assert response.headers["X-End-To-End"] == "yes"
    seen = origin.requests_for("/h")[0].headers
    # Issue 14: a header that is neither keyed nor a credential never goes upstream, so no
    # client's header makes an answer that another client is then served.
    assert "X-Secret" not in seen and "X-Client" not in seen
    assert seen.get("Accept-Encoding") == "identity"


def test_head_gives_the_real_length(serve, origin):
    body = os.urandom(12345)
    origin.add("/f", body)
    served = serve(origin.url())
    miss = requests.head(served.url("/f"))
    assert miss.status_code == 200 and miss.headers["Content-Length"] == "12345"
    assert miss.headers["X-Hubcache"] == "stored"
    requests.get(served.url("/f"))
    hit = requests.head(served.url("/f"))
    assert hit.headers["Content-Length"] == "12345" and hit.headers["X-Hubcache"] == "hit"


def test_ranges_from_the_store(serve, origin):
    body = bytes(range(256)) * 40  # 10240 bytes
    origin.add("/r", body)
    served = serve(origin.url())
    requests.get(served.url("/r"))
    cases = {"bytes=0-0": (0, 0), "bytes=10-19": (10, 19), "bytes=10240-": None,
             "bytes=10000-": (10000, 10239), "bytes=-16": (10224, 10239),
             "bytes=100-999999": (100, 10239)}
    for header, expected in cases.items():
        response = requests.get(served.url("/r"), headers={"Range": header})
        if expected is None:
            assert response.status_code == 416, header
            assert response.headers["Content-Range"] == "bytes */10240"
            continue
        first, last = expected
        assert response.status_code == 206, header
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/10240"
        assert response.content == body[first:last + 1], header
    # Several ranges at once are not served as multipart: the whole body comes back.
    whole = requests.get(served.url("/r"), headers={"Range": "bytes=0-1,5-6"})
    assert whole.status_code == 200 and whole.content == body


def test_range_on_a_miss_stores_the_whole_object_once(serve, origin, hubcache):
    body = os.urandom(2_000_000)
    origin.add("/big", body, throttle=4_000_000)
    served = serve(origin.url())
    response = requests.get(served.url("/big"), headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.content == body[100:200]
    full = requests.get(served.url("/big"))
    assert full.headers["X-Hubcache"] in ("hit", "stored")
    assert hashlib.sha256(full.content).digest() == hashlib.sha256(body).digest()
    assert origin.count("/big") == 1
    served.stop()
    assert hubcache.json("stats")["blob_bytes"] == len(body)


def test_curl_sees_the_same_bytes(serve, origin):
    body = os.urandom(70_000)
    origin.add("/c", body)
    served = serve(origin.url())
    for _ in range(2):
        out = subprocess.run(["curl", "-sf", served.url("/c")], capture_output=True, check=True)
        assert out.stdout == body


def test_admin_routes(serve, origin):
    origin.add("/a", b"abc")
    served = serve(origin.url())
    requests.get(served.url("/a"))
    requests.get(served.url("/a"))
    health = requests.get(served.url("/_hubcache/health")).json()
    assert health["status"] == "ok" and health["mode"] == "record"
    metrics = requests.get(served.url("/_hubcache/metrics")).text
    assert 'hubcache_requests_total{cache="hit"} 1' in metrics
    assert 'hubcache_requests_total{cache="stored"} 1' in metrics
    assert "hubcache_upstream_requests_total 1" in metrics
    assert 'hubcache_served_bytes_total{source="store"} 3' in metrics
    assert 'hubcache_served_bytes_total{source="upstream"} 3' in metrics
    assert "hubcache_store_bytes 3" in metrics and "hubcache_store_exchanges 1" in metrics
    assert "hubcache_upstream_retries_total 0" in metrics
    stats = served.stats()
    assert stats["hubcache_requests_total"]["cache=hit"] == 1
    assert stats["mode"] == "record"
    assert requests.get(served.url("/_hubcache/nope")).status_code == 404


def test_access_log_has_a_line_per_response(serve, origin):
    origin.add("/l", b"12345")
    served = serve(origin.url())
    requests.get(served.url("/l"))
    requests.get(served.url("/l"))
    served.stop()
    lines = [line for line in served.log("access") if line["url"] == "/l"]
    assert [line["cache"] for line in lines] == ["stored", "hit"]
    for line in lines:
        assert set(line) >= {"ts", "method", "url", "status", "cache", "bytes", "ms",
                             "upstream_ms"}
        assert line["status"] == 200 and line["bytes"] == 5 and line["method"] == "GET"
    assert isinstance(lines[0]["upstream_ms"], int) and lines[1]["upstream_ms"] is None


def test_issue14_a_presigned_urls_answer_is_served_only_to_that_signed_url(serve, origin, hubcache):
    origin.add("/s", b"signed content")
    served = serve(origin.url())
    signed = "/s?a=1&X-Amz-Date=2026&X-Amz-Signature=SIGsecretQ&X-Amz-Security-Token=TOKsecretQ&Expires=1"
    a = requests.get(served.url(signed))
    again = requests.get(served.url(signed.replace("X-Amz-Date=2026", "X-Amz-Date=2027")))
    assert a.headers["X-Hubcache"] == "stored" and again.headers["X-Hubcache"] == "hit"
    # Without the signature, or with another one, the answer is not handed out.
    unsigned = requests.get(served.url("/s?a=1"))
    other = requests.get(served.url("/s?X-Amz-Signature=OTHERsecretQ&a=1"))
    assert unsigned.headers["X-Hubcache"] == "stored" and other.headers["X-Hubcache"] == "stored"
    assert origin.count("/s") == 3
    served.stop()
    # The secrets are written nowhere: not the access log, not the index. (The secrets hold
    # letters no hex digest has, so a blob's sha256 cannot contain one by chance.)
    secrets = ("SIGsecretQ", "TOKsecretQ", "OTHERsecretQ")
    logged = served.log_path.read_text()
    assert not [s for s in secrets if s in logged]
    listed = json.dumps(hubcache.json("ls"))
    assert "X-Amz-Signature" not in listed and not [s for s in secrets if s in listed]


def test_issue14_share_private_serves_a_presigned_answer_to_any_signature(serve, origin):
    origin.add("/s", b"signed content")
    served = serve(origin.url(), "--share-private")
    a = requests.get(served.url("/s?a=1&X-Amz-Signature=abc&Expires=1"))
    b = requests.get(served.url("/s?X-Amz-Signature=zzz&a=1&Expires=2"))
    assert a.headers["X-Hubcache"] == "stored" and b.headers["X-Hubcache"] == "hit"
    assert origin.count("/s") == 1


def test_redirects_are_followed_for_allowed_hosts_only(serve, origin):
    from origin import Origin
    cdn = Origin(host="127.0.0.2")
    try:
        body = os.urandom(50_000)
        cdn.add("/blob/abc", body)
        origin.add("/resolve/main/w.bin", redirect_to=cdn.url("/blob/abc"),
                   redirect_headers={"X-Linked-Size": str(len(body))})
        served = serve(origin.url())
        passed = requests.get(served.url("/resolve/main/w.bin"), allow_redirects=False)
        assert passed.status_code == 302
        assert passed.headers["Location"].startswith(cdn.url("/blob/abc?"))
        assert cdn.count("/blob/abc") == 0
        served.stop()

        allowed = serve(origin.url(), "--allow-host", cdn.url())
        got = requests.get(allowed.url("/resolve/main/w.bin"), allow_redirects=False,
                           headers={"Authorization": "Bearer secret"})
        assert got.status_code == 200 and got.content == body
        # The credential went to the upstream, not to the CDN it redirected to.
        assert origin.requests_for("/resolve/main/w.bin")[-1].headers["Authorization"] == \
            "Bearer secret"
        assert "Authorization" not in cdn.requests_for("/blob/abc")[0].headers
    finally:
        cdn.stop()


def test_credentials_scope_what_they_fetched(serve, origin, hubcache):
    origin.add("/private", b"for token holders")
    served = serve(origin.url())
    with_token = requests.get(served.url("/private"), headers={"Authorization": "Bearer t1"})
    assert with_token.headers["X-Hubcache"] == "stored"
    again = requests.get(served.url("/private"), headers={"Authorization": "Bearer t1"})
    assert again.headers["X-Hubcache"] == "hit"
    other = requests.get(served.url("/private"), headers={"Authorization": "Bearer t2"})
    assert other.headers["X-Hubcache"] == "stored"  # not served from t1's recording
    anonymous = requests.get(served.url("/private"))
    assert anonymous.headers["X-Hubcache"] == "stored"
    served.stop()
    store_text = b"".join(p.read_bytes() for p in hubcache.store.rglob("*") if p.is_file())
    assert b"Bearer t1" not in store_text and b"Bearer t2" not in store_text


def test_methods_other_than_get_and_head_are_refused(serve, origin):
    served = serve(origin.url())
    response = requests.post(served.url("/x"), data=b"1")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
