"""One retry policy, and never a corrupt byte (issue 4): 429 with both Retry-After forms and
the body fallback, truncation, resume, stalls and checksum mismatches."""

import email.utils
import hashlib
import os
import random
import subprocess
import time

import pytest
import requests


def throttled_then_ok(origin, path, body, first):
    origin.add(path, body, script=[first])


def test_retry_after_delta_seconds_is_honoured(serve, origin):
    body = os.urandom(1000)
    throttled_then_ok(origin, "/t", body, {"status": 429, "headers": {"Retry-After": "1"}})
    served = serve(origin.url())
    response = requests.get(served.url("/t"))
    assert response.status_code == 200 and response.content == body
    seen = origin.requests_for("/t")
    assert len(seen) == 2
    assert seen[1].at - seen[0].at >= 0.95  # no retry before the wait is over
    served.stop()
    (event,) = served.log("throttle")
    assert event["status"] == 429 and event["source"] == "retry-after"
    assert event["wait_s"] == 1.0 and event["attempt"] == 1
    assert event["url"] == origin.url("/t")


def test_retry_after_http_date_is_honoured(serve, origin):
    # A whole second, so the header names exactly this instant (the format has no fraction).
    retry_at = int(time.time()) + 4
    when = email.utils.formatdate(retry_at, usegmt=True)
    throttled_then_ok(origin, "/d", b"ok", {"status": 503, "headers": {"Retry-After": when}})
    served = serve(origin.url())
    assert requests.get(served.url("/d")).text == "ok"
    seen = origin.requests_for("/d")
    # The origin stamps requests with the monotonic clock; map the retry onto wall time.
    retried_at = time.time() - (time.monotonic() - seen[1].at)
    assert retried_at >= retry_at - 0.05  # no retry before the date the origin named
    assert seen[1].at - seen[0].at >= 1.0
    served.stop()
    assert served.log("throttle")[0]["source"] == "retry-after"


def test_retry_after_found_in_the_body(serve, origin):
    throttled_then_ok(origin, "/b", b"ok",
                      {"status": 429, "body": b'{"error": "Rate limited. Retry after 1 seconds."}'})
    served = serve(origin.url())
    assert requests.get(served.url("/b")).text == "ok"
    seen = origin.requests_for("/b")
    assert seen[1].at - seen[0].at >= 0.95
    served.stop()
    assert served.log("throttle")[0]["source"] == "body"


def test_backoff_without_hints_then_the_last_answer_unchanged(serve, origin):
    origin.add("/busy", b"", script=[{"status": 503, "body": b"busy"}] * 3 +
               [{"status": 429, "headers": {"X-Why": "quota"}, "body": b"still throttled"}])
    served = serve(origin.url(), "--retries", "3", "--retry-floor", "100ms")
    response = requests.get(served.url("/busy"))
    # Out of retries: the upstream's own last answer, passed on as it came.
    assert response.status_code == 429
    assert response.text == "still throttled" and response.headers["X-Why"] == "quota"
    assert response.headers["X-Hubcache"] == "miss"
    assert origin.count("/busy") == 4
    waits = [t["wait_s"] for t in served.log("throttle")]
    assert [t["source"] for t in served.log("throttle")] == ["backoff"] * 3
    # 0.1, 0.2, 0.4 s ± 10 %.
    for wait, base in zip(waits, (0.1, 0.2, 0.4)):
        assert base * 0.89 <= wait <= base * 1.11
    # Nothing was stored: the next request asks upstream again.
    origin.add("/busy", b"fine")
    assert requests.get(served.url("/busy")).text == "fine"


@pytest.mark.parametrize("seed", range(5))
def test_truncation_at_random_offsets_stores_nothing(serve, origin, hubcache, seed):
    body = os.urandom(400_000)
    cut = random.Random(seed).randrange(1, len(body) - 1)
    # No ETag and no ranges: the break cannot be resumed.
    origin.add("/cut", body, etag=False, ranges=False, truncate_at=cut, truncate_times=10)
    served = serve(origin.url(), "--retries", "1", "--retry-floor", "50ms")
    done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}",
                           served.url("/cut")], capture_output=True, text=True)
    assert done.returncode != 0, "curl saw a clean end of a truncated body"
    assert int(done.stdout) < len(body)
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(served.url("/cut")).raise_for_status()
    served.stop()
    stats = hubcache.json("stats")
    assert stats["blobs"] == 0 and stats["exchanges"] == 0 and stats["tmp_files"] == 0
    aborted = [line for line in served.log("access") if line["url"] == "/cut"]
    assert all(line.get("aborted") for line in aborted)


def test_a_reset_is_resumed_with_range_and_if_range(serve, origin, hubcache):
    body = os.urandom(1_000_000)
    origin.add("/resume", body, truncate_at=300_000)
    served = serve(origin.url(), "--retry-floor", "50ms")
    response = requests.get(served.url("/resume"))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(body).digest()
    first, second = origin.requests_for("/resume")
    assert "Range" not in first.headers
    # Resumed from what arrived before the reset (the kernel drops what was in flight).
    resumed_at = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 300_000
    assert second.headers["If-Range"] == '"' + hashlib.sha1(body).hexdigest() + '"'
    served.stop()
    assert hubcache.json("stats")["blob_bytes"] == len(body)
    assert hubcache.json("verify")["problems"] == []


def test_a_resume_refused_because_the_object_changed_aborts(serve, origin, hubcache):
    body = os.urandom(500_000)
    # The object changes between the break and the resume: If-Range no longer matches, the
    # origin sends the new object whole, and the old one cannot be completed.
    origin.add("/changing", body, truncate_at=100_000, replace_after_cut=os.urandom(500_000))
    served = serve(origin.url(), "--retry-floor", "50ms")
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(served.url("/changing"))
    resumed = origin.requests_for("/changing")[1]
    assert "If-Range" in resumed.headers
    served.stop()
    assert hubcache.json("stats")["blobs"] == 0


def test_a_stalled_transfer_is_aborted_and_resumed(serve, origin):
    body = os.urandom(600_000)
    origin.add("/stall", body, stall_at=200_000, stall_seconds=10)
    served = serve(origin.url(), "--min-rate", "10k", "--stall-time", "1s",
                   "--retry-floor", "50ms")
    started = time.monotonic()
    response = requests.get(served.url("/stall"))
    assert response.content == body
    assert time.monotonic() - started < 4
    assert origin.requests_for("/stall")[1].headers["Range"] == "bytes=200000-"
    served.stop()
    (event,) = served.log("throttle")
    assert event["error"].startswith("stalled: under 10000 bytes/s for 1 s")


def test_a_wrong_announced_sha256_is_refused(serve, origin, hubcache):
    body = os.urandom(200_000)
    origin.add("/lfs", body, headers={"X-Linked-Etag": '"' + "0" * 64 + '"'})
    served = serve(origin.url())
    done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}",
                           served.url("/lfs")], capture_output=True, text=True)
    assert done.returncode != 0
    assert int(done.stdout) < len(body)  # the last byte was never given out
    served.stop()
    assert hubcache.json("stats")["blobs"] == 0
    assert "sha256 mismatch" in served.stderr


def test_a_right_announced_sha256_is_accepted(serve, origin):
    body = os.urandom(200_000)
    digest = hashlib.sha256(body).hexdigest()
    origin.add("/lfs-ok", body, headers={"X-Linked-Etag": f'"{digest}"'})
    served = serve(origin.url())
    assert requests.get(served.url("/lfs-ok")).content == body
    assert requests.get(served.url("/lfs-ok")).headers["X-Hubcache"] == "hit"


def test_chunked_upstream_bodies_are_stored_when_they_end_properly(serve, origin):
    body = os.urandom(100_000)
    origin.add("/chunked", body, chunked=True, etag=False, ranges=False)
    served = serve(origin.url())
    first = requests.get(served.url("/chunked"))
    assert first.content == body
    second = requests.get(served.url("/chunked"))
    assert second.headers["X-Hubcache"] == "hit" and second.content == body
    assert second.headers["Content-Length"] == str(len(body))
