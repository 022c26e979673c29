"""One fetch per object, streamed to everyone (issue 4)."""

import hashlib
import os
import threading
import time

import requests


def test_fifty_clients_on_one_cold_object_cause_one_upstream_request(serve, origin):
    body = os.urandom(4_000_000)
    origin.add("/cold.bin", body, throttle=2_000_000)  # about 2 s upstream
    served = serve(origin.url())
    results = [None] * 50
    started = time.monotonic()

    def client(i):
        if i >= 25:
            time.sleep(0.6)  # late joiners: the fetch is well under way
        begin = time.monotonic()
        with requests.get(served.url("/cold.bin"), stream=True) as response:
            chunks = response.iter_content(65536)
            first = next(chunks)
            first_byte = time.monotonic()
            rest = b"".join(chunks)
        results[i] = (begin, first_byte, time.monotonic(), hashlib.sha256(first + rest).digest(),
                      response.headers["X-Hubcache"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(results), "a client did not finish"
    assert origin.count("/cold.bin") == 1
    assert {r[3] for r in results} == {hashlib.sha256(body).digest()}
    fetch_end = min(r[2] for r in results)  # no one can finish before the fetch has
    late = results[25:]
    assert all(r[1] < fetch_end - 0.3 for r in late), "late joiners waited for the whole fetch"
    assert all(r[1] - r[0] < 0.5 for r in late), "a late joiner did not start at once"
    assert fetch_end - started > 1.0  # the fetch really was slow enough to join
    assert {r[4] for r in results} <= {"stored", "hit"}


def test_ranges_of_an_object_in_flight_arrive_before_the_fetch_ends(serve, origin):
    body = os.urandom(3_000_000)
    origin.add("/inflight.bin", body, throttle=1_500_000)
    served = serve(origin.url())
    whole = threading.Thread(target=requests.get, args=(served.url("/inflight.bin"),))
    whole.start()
    time.sleep(0.3)
    begin = time.monotonic()
    part = requests.get(served.url("/inflight.bin"), headers={"Range": "bytes=1000-1999"})
    took = time.monotonic() - begin
    whole.join()
    assert part.status_code == 206 and part.content == body[1000:2000]
    assert took < 0.5
    assert origin.count("/inflight.bin") == 1


def test_concurrent_upstream_requests_per_host_are_capped(serve, origin):
    for i in range(6):
        origin.add(f"/p{i}", os.urandom(400_000), throttle=1_000_000)
    served = serve(origin.url(), "--max-upstream-per-host", "2")
    threads = [threading.Thread(target=requests.get, args=(served.url(f"/p{i}"),))
               for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each answer takes 0.4 s: three at once for 50 ms would be a breach, not the noting lag.
    assert origin.max_overlap(slack=0.05) == 2
    assert all(origin.count(f"/p{i}") == 1 for i in range(6))
