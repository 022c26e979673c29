"""A failing bucket is marked and skipped for a cool-down (issue 16), like ccache's
Storage::mark_backend_as_failed: while radosgw is stopped, a node asks it once (that request
and its retries), then answers every lookup from the upstream without a request to the bucket,
with one notice line, `hubcache_remote_backend_failed` 1 in /metrics while it is skipped and
`hubcache_remote_backend_failed_total` counting the markings.

The bucket's connections are counted by a small TCP forwarder in front of the real radosgw
(the node's --s3-endpoint): every connection hubcache opens is one it counts, and while
radosgw is stopped the forwarder closes it, as the stopped engine's port would refuse it."""

import time

import pytest

from delay_proxy import DelayProxy
from test_fleet import get, metrics

REPO = "issue16/many-small-files"
FILES = {f"file-{i:02d}.txt": f"content of file {i}\n".encode() for i in range(8)}
MARKED = "failed; not asked for"


@pytest.fixture
def forwarder(radosgw):
    f = DelayProxy(radosgw.port, 0.0)  # no delay: only counting
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
