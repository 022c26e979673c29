"""Bad input never crashes the server: malformed requests, oversized heads, slow clients, a
connection cap; SIGTERM lets in-flight responses finish (issue 4, "Seeing what it does")."""

import os
import signal
import socket
import struct
import threading
import time

import requests


def raw(served, data, read=True, timeout=5):
    with socket.create_connection(("127.0.0.1", served.port), timeout=timeout) as sock:
        sock.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_malformed_requests_get_400_and_the_connection_closed(serve, origin):
    served = serve(origin.url())
    for garbage in (b"NONSENSE\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                    b"\x00\x01\x02\x03\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"):
        answer = raw(served, garbage)
        assert answer.split(b" ", 2)[1] in (b"400", b"505"), garbage
    assert requests.get(served.url("/_hubcache/health")).status_code == 200
    metrics = requests.get(served.url("/_hubcache/metrics")).text
    assert 'hubcache_bad_requests_total{status="400"}' in metrics


def test_oversized_heads_are_refused(serve, origin):
    served = serve(origin.url())
    huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    assert raw(served, huge).startswith(b"HTTP/1.1 431")
    many = b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n"
    assert raw(served, many).startswith(b"HTTP/1.1 431")
    assert requests.get(served.url("/_hubcache/health")).status_code == 200


def test_a_client_too_slow_to_send_its_request_is_cut_off(serve, origin):
    served = serve(origin.url(), "--client-timeout", "1s")
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n")  # and never the end of the head
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert 0.9 < time.monotonic() - started < 4
    assert requests.get(served.url("/_hubcache/health")).status_code == 200


def test_clients_hanging_up_mid_body_do_not_hurt_the_server(serve, origin):
    body = os.urandom(8_000_000)
    origin.add("/big.bin", body)
    served = serve(origin.url())
    assert len(requests.get(served.url("/big.bin")).content) == len(body)  # stored: a hit now
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", served.port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            sock.recv(1000)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # closed with RST while the server is still sending
    time.sleep(0.2)
    assert served.proc.poll() is None, "the server died"
    assert requests.get(served.url("/big.bin")).content == body


def test_keep_alive_serves_many_requests_on_one_connection(serve, origin):
    origin.add("/k", b"keep")
    served = serve(origin.url())
    with requests.Session() as session:
        for _ in range(20):
            assert session.get(served.url("/k")).text == "keep"
    served.stop()  # the log is flushed on exit (and every 200 ms)
    accesses = [line for line in served.log() if line.get("url") == "/k"]
    assert len(accesses) == 20


def test_connections_over_the_cap_get_503(serve, origin):
    served = serve(origin.url(), "--max-connections", "2", "--client-timeout", "5s")
    held = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(2)]
    time.sleep(0.2)
    try:
        answer = raw(served, b"GET /_hubcache/health HTTP/1.1\r\nHost: a\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert requests.get(served.url("/_hubcache/health")).status_code == 200


def test_sigterm_lets_a_transfer_in_flight_finish_and_exits_0(serve, origin):
    body = os.urandom(2_000_000)
    origin.add("/slow.bin", body, throttle=1_500_000)
    served = serve(origin.url())
    result = {}

    def download():
        result["body"] = requests.get(served.url("/slow.bin")).content

    thread = threading.Thread(target=download)
    thread.start()
    time.sleep(0.4)
    served.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    # No new connections once stopping.
    try:
        socket.create_connection(("127.0.0.1", served.port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    thread.join(timeout=30)
    assert result["body"] == body
    assert served.proc.wait(timeout=30) == 0
    assert refused


def test_sigterm_drain_is_bounded(serve, origin):
    body = os.urandom(3_000_000)
    origin.add("/slower.bin", body, throttle=300_000)  # 10 s: longer than the drain
    served = serve(origin.url(), "--drain-timeout", "1s")
    outcome = {}

    def download():
        try:
            outcome["len"] = len(requests.get(served.url("/slower.bin")).content)
        except requests.exceptions.RequestException as error:
            outcome["error"] = error

    thread = threading.Thread(target=download)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 4
    thread.join(timeout=10)
    assert "error" in outcome, "the client was given a clean end of a cut body"
