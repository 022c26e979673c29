"""The one HTTP client box (issue 16): `preload --check`, which asks the Hub itself, goes
through the one retry policy like every other upstream call, so a Hub that answers 503 once
is asked again instead of failing the check."""

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_hub_clients import BERT, DATA
from test_preload import manifest


class FlakyFront:
    """In front of the fake Hub: the first GET of each path gets a 503 (Retry-After: 0), the
    next ones are passed on to the Hub as they are."""

    def __init__(self, hub_url):
        self.hub_url = hub_url
        self.asked = {}  # path -> times asked
        self.lock = threading.Lock()
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with front.lock:
                    front.asked[self.path] = front.asked.get(self.path, 0) + 1
                    first = front.asked[self.path] == 1
                if first:
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                request = urllib.request.Request(front.hub_url + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, sent, body = answer.status, answer.headers.items(), answer.read()
                except urllib.error.HTTPError as error:
                    status, sent, body = error.code, error.headers.items(), error.read()
                self.send_response(status)
                for name, value in sent:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky_hub(fake_hub):
    front = FlakyFront(fake_hub.url)
    yield front
    front.stop()


def test_issue16_preload_check_retries_a_hub_that_answers_503_once(
        hubcache, fake_hub, flaky_hub, tmp_path):
    path = manifest(tmp_path, f"{BERT} include=*.json,*.txt\ndataset:{DATA}\n")
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    done = hubcache.run("preload", "--check", "--upstream", flaky_hub.url,
                        *fake_hub.allow_args(), path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 of 2 branches moved" in done.stdout
    assert flaky_hub.asked and all(n == 2 for n in flaky_hub.asked.values()), flaky_hub.asked


def test_issue16_preload_check_takes_its_retries_from_the_retries_flag(
        hubcache, fake_hub, flaky_hub, tmp_path):
    path = manifest(tmp_path, f"{BERT} include=*.json,*.txt\n")
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    done = hubcache.run("preload", "--check", "--retries", "0", "--upstream", flaky_hub.url,
                        *fake_hub.allow_args(), path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "503" in done.stderr
    assert all(n == 1 for n in flaky_hub.asked.values()), flaky_hub.asked
