"""Fixtures shared by the integration tests: the real hubcache binary, the store test tool,
and a fresh store directory per test."""

import json
import os
import subprocess
from pathlib import Path

import pytest

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
        argv = [str(self.binary), *args]
        if store:
            argv += ["--store", str(self.store)]
        full_env = dict(os.environ)
        full_env.pop("HUBCACHE_STORE", None)
        full_env.update(env or {})
        return subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=timeout)

    def json(self, *args, expect_rc=0):
        done = self.run(*args, "--json")
        assert done.returncode == expect_rc, done.stderr
        return json.loads(done.stdout)


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
