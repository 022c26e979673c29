"""record, replay and refresh (issue 4): replay never opens an outbound connection; refresh
falls back to the stored answer when the upstream fails."""

import os
import time

import requests

from origin import CountingListener, Origin


def test_replay_serves_hits_and_never_connects_out(serve, hubcache, tmp_path):
    origin = Origin()
    body = os.urandom(100_000)
    origin.add("/model/w.bin", body)
    origin.add("/model/config.json", b'{"a": 1}')
    recorder = serve(origin.url())
    assert requests.get(recorder.url("/model/w.bin")).content == body
    assert requests.get(recorder.url("/model/config.json")).status_code == 200
    assert requests.get(recorder.url("/model/missing")).status_code == 404  # recorded too
    assert recorder.stop() == 0
    port = origin.port
    origin.stop()

    # The upstream's port now only counts connection attempts.
    listener = CountingListener(port)
    try:
        replayer = serve(f"http://127.0.0.1:{port}", "--mode", "replay")
        hit = requests.get(replayer.url("/model/w.bin"))
        assert hit.status_code == 200 and hit.content == body
        assert hit.headers["X-Hubcache"] == "hit"
        assert requests.head(replayer.url("/model/config.json")).headers["Content-Length"] == "8"
        assert requests.get(replayer.url("/model/missing")).status_code == 404
        miss = requests.get(replayer.url("/model/never-recorded.bin?x=1"))
        assert miss.status_code == 501
        assert miss.headers["X-Hubcache"] == "miss"
        assert f"http://127.0.0.1:{port}/model/never-recorded.bin?x=1" in miss.text
        assert "--mode record" in miss.text
        time.sleep(0.3)
        assert listener.connections == 0
        assert replayer.stop() == 0
        assert "replay miss: GET" in replayer.stderr
        misses = [line for line in replayer.log("access") if line["cache"] == "miss"]
        assert [line["url"] for line in misses] == ["/model/never-recorded.bin?x=1"]
    finally:
        listener.stop()


def test_refresh_asks_upstream_first_and_falls_back_to_stale(serve, origin):
    origin.add("/ref/main", b"commit-1")
    recorder = serve(origin.url())
    assert requests.get(recorder.url("/ref/main")).text == "commit-1"
    recorder.stop()

    origin.add("/ref/main", b"commit-2")
    refresher = serve(origin.url(), "--mode", "refresh", "--retries", "0")
    fresh = requests.get(refresher.url("/ref/main"))
    assert fresh.text == "commit-2" and fresh.headers["X-Hubcache"] == "stored"

    origin.add("/ref/main", b"", script=[{"status": 503, "body": b"down"}])
    stale = requests.get(refresher.url("/ref/main"))
    assert stale.status_code == 200
    assert stale.text == "commit-2" and stale.headers["X-Hubcache"] == "stale"
    refresher.stop()

    # Unreachable upstream: stale as well.
    port = origin.port
    origin.stop()
    offline = serve(f"http://127.0.0.1:{port}", "--mode", "refresh", "--retries", "0")
    gone = requests.get(offline.url("/ref/main"))
    assert gone.text == "commit-2" and gone.headers["X-Hubcache"] == "stale"
    # Nothing stored and no upstream: the failure itself.
    assert requests.get(offline.url("/ref/other")).status_code == 502


def test_record_reports_an_unreachable_upstream_as_502(serve, tmp_path):
    origin = Origin()
    port = origin.port
    origin.stop()
    served = serve(f"http://127.0.0.1:{port}", "--retries", "2", "--retry-floor", "50ms")
    response = requests.get(served.url("/x"))
    assert response.status_code == 502
    assert response.headers["X-Hubcache"] == "miss"
    # What failed, for the client; why (a closed port), for the operator only (issue 14).
    assert response.text == f"hubcache: upstream failed: GET http://127.0.0.1:{port}/x\n"
    served.stop()
    assert "Couldn't connect" in served.stderr or "refused" in served.stderr.lower()
    throttles = served.log("throttle")
    assert [t["attempt"] for t in throttles] == [1, 2]
    assert all(t["source"] == "backoff" and t["status"] is None for t in throttles)
    assert all("onnect" in t["error"] for t in throttles)
