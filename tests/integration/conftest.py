"""Fixtures shared by the integration tests: the real hubcache binary, the store test tool,
and a fresh store directory per test."""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from radosgw import radosgw  # noqa: F401  (the session's S3 engine, for the fleet tests)

# Tests talk only to 127.0.0.0/8: no hubcache the suite starts asks the link-local instance
# metadata service for credentials (issue 18); a test that wants one names its own on loopback.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

ROOT = Path(__file__).resolve().parents[2]


def _binary(env_name: str, default: Path) -> Path:
    path = Path(os.environ.get(env_name, default))
    if not path.exists():
        pytest.exit(f"{path} does not exist; run ./scripts/setup (or set {env_name})", 2)
    return path


@pytest.fixture(scope="session")
def hubcache_bin() -> Path:
    return _binary("HUBCACHE", ROOT / "build" / "hubcache")


@pytest.fixture(scope="session")
def store_tool_bin() -> Path:
    return _binary("HUBCACHE_STORE_TOOL", ROOT / "build" / "tests" / "store_tool")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


class Hubcache:
    """Runs `hubcache` with a given store and checks what it prints."""

    def __init__(self, binary: Path, store: Path):
        self.binary = binary
        self.store = store

    def run(self, *args, env=None, store=True, timeout=120):
        args = list(map(str, args))
        if store:
            # Before a "--": what follows it is `run`'s command, verbatim.
            at = args.index("--") if "--" in args else len(args)
            args[at:at] = ["--store", str(self.store)]
        argv = [str(self.binary), *args]
        full_env = dict(os.environ)
        full_env.pop("HUBCACHE_STORE", None)
        full_env.update(env or {})
        return subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=timeout)

    def json(self, *args, expect_rc=0):
        done = self.run(*args, "--json")
        assert done.returncode == expect_rc, done.stderr
        return json.loads(done.stdout)

    def make_store(self):
        """An empty store, made as a user makes one: by a command that starts the engine."""
        done = self.run("run", "--", "true")
        assert done.returncode == 0, done.stderr


@pytest.fixture
def hubcache(hubcache_bin: Path, store: Path) -> Hubcache:
    return Hubcache(hubcache_bin, store)


class StoreTool:
    """Drives tests/tools/store_tool.cpp: writes, puts and pins from another process."""

    def __init__(self, binary: Path, store: Path):
        self.binary = binary
        self.store = store

    def argv(self, *args):
        return [str(self.binary), args[0], str(self.store), *map(str, args[1:])]

    def put(self, size: int, seed: int, check=True):
        done = subprocess.run(self.argv("put", size, seed), capture_output=True, text=True,
                              timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def write(self, count: int, seed: int, distinct: int, max_bytes: int):
        done = subprocess.run(self.argv("write", count, seed, distinct, max_bytes),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done


@pytest.fixture
def store_tool(store_tool_bin: Path, store: Path) -> StoreTool:
    return StoreTool(store_tool_bin, store)


class Served:
    """A running `hubcache serve`, stopped at the end of the test."""

    def __init__(self, binary: Path, store: Path, upstream: str, args, workdir: Path, env=None):
        self.log_path = workdir / f"hubcache-{id(self)}.ndjson"
        self.port_file = workdir / f"port-{id(self)}"
        self.argv = [str(binary), "serve", "--store", str(store), "--listen", "127.0.0.1:0",
                     "--upstream", upstream, "--port-file", str(self.port_file),
                     "--log", str(self.log_path), *map(str, args)]
        # stderr to a file: a pipe nobody reads would fill up and block the server.
        self.stderr_path = workdir / f"stderr-{id(self)}"
        with open(self.stderr_path, "w") as stderr:
            self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=stderr,
                                         text=True, env={**os.environ, **(env or {})})
        line = self.proc.stdout.readline()
        if not line.startswith("listening on http://127.0.0.1:"):
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line!r} {self.stderr}")
        self.listening_line = line.strip()
        self.port = int(line.rsplit(":", 1)[1])
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path=""):
        return self.base + path

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("hubcache did not stop in time")
        return self.proc.returncode

    @property
    def stderr(self):
        return self.stderr_path.read_text()

    def log(self, event=None):
        if not self.log_path.exists():
            return []
        lines = [json.loads(line) for line in self.log_path.read_text().splitlines() if line]
        return [line for line in lines if event is None or line.get("event") == event]

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(self.url("/_hubcache/stats"), timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture
def serve(hubcache_bin, store, tmp_path):
    started = []

    def start(upstream, *args, store_dir=None, env=None):
        served = Served(hubcache_bin, store_dir or store, upstream, args, tmp_path, env)
        started.append(served)
        return served

    yield start
    # Every server ends cleanly: SIGTERM, exit 0, and (in the sanitizer pass) no report.
    problems = []
    for served in started:
        if served.proc.poll() is None:
            rc = served.stop()
            if rc != 0:
                problems.append(f"hubcache serve exited {rc}")
        stderr = served.stderr
        if "Sanitizer" in stderr or "runtime error:" in stderr:
            problems.append(stderr[-3000:])
    assert not problems, "\n".join(problems)


@pytest.fixture
def origin():
    from origin import Origin
    server = Origin()
    yield server
    server.stop()


@pytest.fixture
def fake_hub():
    """The fake Hub of tests/fake_hub with the demo repositories, in this process."""
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "fake_hub"))
    from fake_hub import FakeHub, demo_repos
    hub = FakeHub()
    demo_repos(hub)
    yield hub
    hub.stop()


class PortSentinel:
    """Counting listeners (origin.CountingListener) on the ports a stopped server used."""

    def __init__(self, ports, host="127.0.0.1"):
        from origin import CountingListener
        self.listeners = [CountingListener(port, host=host) for port in ports]

    @property
    def connections(self):
        return sum(listener.connections for listener in self.listeners)

    def close(self):
        for listener in self.listeners:
            listener.stop()


@pytest.fixture
def sentinel():
    made = []

    def watch(*ports, host="127.0.0.1"):
        s = PortSentinel(ports, host=host)
        made.append(s)
        return s

    yield watch
    for s in made:
        s.close()


# The Python clients our users run, each in its own venv (scripts/setup makes both):
# huggingface_hub's newest release (httpx) and its newest 0.x (requests, with transformers 4).
CLIENT_VENVS = {"hub-latest": ROOT / ".venv", "hub-0.x": ROOT / ".venv-hub0"}


class HfClient:
    """Runs tests/integration/clients/hf_client.py in one client venv."""

    def __init__(self, name, venv: Path, home: Path):
        self.name = name
        self.python = venv / "bin" / "python"
        if not self.python.exists():
            pytest.exit(f"{self.python} does not exist; run ./scripts/setup", 2)
        self.home = home

    def run(self, actions, endpoint=None, cache=None, offline=False, timeout=300, extra_env=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_"))}
        env["HF_HOME"] = str(self.home)
        env["HF_HUB_CACHE"] = str(cache or self.home / "hub")
        env["HF_HUB_DISABLE_TELEMETRY"] = "1"
        env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        env["HF_HUB_ETAG_TIMEOUT"] = "30"
        env["HF_HUB_DOWNLOAD_TIMEOUT"] = "30"
        env["TRANSFORMERS_VERBOSITY"] = "error"
        if endpoint:
            env["HF_ENDPOINT"] = endpoint
        else:
            env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens: any request fails
        if offline:
            env["HF_HUB_OFFLINE"] = "1"
        env.update(extra_env or {})
        script = ROOT / "tests" / "integration" / "clients" / "hf_client.py"
        done = subprocess.run([str(self.python), str(script), json.dumps(actions)],
                              capture_output=True, text=True, env=env, timeout=timeout)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(params=sorted(CLIENT_VENVS))
def hf_client(request, tmp_path):
    return HfClient(request.param, CLIENT_VENVS[request.param], tmp_path / "hf-home")


class JsClient:
    """Runs tests/integration/clients/js_client.mjs with the pinned node_modules."""

    def __init__(self, home: Path):
        self.home = home
        if not (ROOT / "node_modules" / "@huggingface" / "hub").exists():
            pytest.exit("node_modules/@huggingface/hub is missing; run ./scripts/setup", 2)

    def run(self, actions, endpoint, cache, timeout=300):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        env.update({"HF_ENDPOINT": endpoint, "HF_HUB_CACHE": str(cache), "HOME": str(self.home)})
        script = ROOT / "tests" / "integration" / "clients" / "js_client.mjs"
        done = subprocess.run(["node", str(script), json.dumps(actions)], capture_output=True,
                              text=True, env=env, timeout=timeout, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def js_client(tmp_path):
    return JsClient(tmp_path / "js-home")


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    """A CA of the test suite's own and a leaf it signed for localhost and 127.0.0.1-2: what a
    local HTTPS origin presents (hubcache trusts it through --upstream-ca)."""
    d = tmp_path_factory.mktemp("test-ca")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=hubcache test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    # 127.0.0.2: a loopback address outside NO_PROXY, which `run` sets to localhost,127.0.0.1.
    (d / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2\n"
                           "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext")
    return {"ca": d / "ca.pem", "cert": d / "leaf.pem", "key": d / "leaf.key"}


@pytest.fixture
def https_origin(test_ca):
    from origin import Origin
    server = Origin(tls=(str(test_ca["cert"]), str(test_ca["key"])))
    yield server
    server.stop()
