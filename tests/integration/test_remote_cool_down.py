"""A failing bucket is marked and skipped for a cool-down (issue 16), like ccache's
Storage::mark_backend_as_failed: while radosgw is stopped, a node asks it once (that request
and its retries), then answers every lookup from the upstream without a request to the bucket,
with one notice line, `hubcache_remote_backend_failed` 1 in /metrics while it is skipped and
`hubcache_remote_backend_failed_total` counting the markings.

The bucket's connections are counted by a small TCP forwarder in front of the real radosgw
(the node's --s3-endpoint): every connection hubcache opens is one it counts, and while
radosgw is stopped the forwarder closes it, as the stopped engine's port would refuse it."""

import socket
import threading
import time
import urllib.request

import pytest

from test_fleet import get, metrics

REPO = "issue16/many-small-files"
FILES = {f"file-{i:02d}.txt": f"content of file {i}\n".encode() for i in range(8)}
MARKED = "failed; not asked for"


class CountingForwarder:
    """Accepts on a free loopback port, counts each connection, and pipes it to `target`."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.connections = 0
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return self.connections

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()  # the engine is down: the client sees its connection end
            return
        upstream.settimeout(None)

        def pipe(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        other = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        other.start()
        pipe(client, upstream)
        other.join(timeout=30)
        client.close()
        upstream.close()

    def stop(self):
        self.server.close()


@pytest.fixture
def forwarder(radosgw):
    f = CountingForwarder(radosgw.port)
    yield f
    f.stop()


def start_node(serve, fake_hub, radosgw, forwarder, bucket, *extra):
    fake_hub.add_repo(REPO, FILES)
    return serve(fake_hub.url, "--remote", f"s3://{bucket}/ci", "--s3-endpoint", forwarder.url,
                 *extra, env=radosgw.env(ro=True))


def fetch_all_from_the_upstream(node, names):
    for name in names:
        status, headers, body = get(node.url(f"/{REPO}/resolve/main/{name}"))
        assert status == 200 and body == FILES[name], name


def test_issue16_a_failing_bucket_is_asked_once_per_cool_down(
        fake_hub, radosgw, forwarder, serve):
    bucket = radosgw.new_bucket()
    node = start_node(serve, fake_hub, radosgw, forwarder, bucket)
    assert forwarder.count() >= 1  # the opening probe went through the forwarder
    with radosgw.outage():
        before = forwarder.count()
        fetch_all_from_the_upstream(node, sorted(FILES))  # 8 distinct files, none in the bucket
        asked = forwarder.count() - before
        # One request with its retries (the S3 client's 2): not one per file.
        assert 1 <= asked <= 3, f"{asked} connections to the bucket for {len(FILES)} files"
        values = metrics(node)
        assert values.get("hubcache_remote_backend_failed") == 1
        assert values.get("hubcache_remote_backend_failed_total") == 1
        assert node.stderr.count(MARKED) == 1, node.stderr


def test_issue16_the_bucket_is_asked_again_after_the_cool_down(
        fake_hub, radosgw, forwarder, serve):
    bucket = radosgw.new_bucket()
    node = start_node(serve, fake_hub, radosgw, forwarder, bucket, "--remote-cool-down", "2s")
    names = sorted(FILES)
    with radosgw.outage():
        fetch_all_from_the_upstream(node, names[:2])
        marked_at = time.monotonic()
        assert metrics(node).get("hubcache_remote_backend_failed") == 1
    # Back, but still within its cool-down (restarting radosgw takes a moment; skip if not).
    during = forwarder.count()
    fetch_all_from_the_upstream(node, names[2:3])
    if time.monotonic() - marked_at < 1.5:
        assert forwarder.count() == during, "the bucket was asked during its cool-down"
    time.sleep(max(0.0, 2.2 - (time.monotonic() - marked_at)))
    fetch_all_from_the_upstream(node, names[3:5])
    assert forwarder.count() > during, "the bucket was not asked again after its cool-down"
    assert "answers again" in node.stderr
    assert node.stderr.count(MARKED) == 1, node.stderr
    values = metrics(node)
    assert values.get("hubcache_remote_backend_failed") == 0  # answering again
    assert values.get("hubcache_remote_backend_failed_total") == 1
