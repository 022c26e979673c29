"""`git clone` of a Hub-shaped repository through `hubcache run`'s proxy (issue 15): smart HTTP
(info/refs, git-upload-pack) and the git-lfs batch API with its CDN downloads, served by
Debian's `git http-backend` (git_server.py). Each clone is recorded, then replayed `--strict`
into a fresh directory with both servers stopped and their ports watched: the same commit,
the same files, the LFS file's real content, and no connection attempt.

How the clients reach a loopback server through the proxy: `run` sets NO_PROXY to
localhost,127.0.0.1,::1, so the servers listen on 127.0.0.2, as the proxy tests' origins do.
That is enough for git (libcurl), but git-lfs (Go's x/net/http/httpproxy) never proxies an
address it parses as loopback, whatever NO_PROXY says. So the URLs spell 127.0.0.2 as one
decimal number, 2130706434: not an address to Go (so git-lfs uses the proxy), 127.0.0.2 to
libcurl and to hubcache's resolver. libcurl normalizes it, so git warns "redirecting to
http://127.0.0.2:..." and goes on; git-lfs keeps the spelling. Against huggingface.co none of
this arises."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from git_server import HTTP_BACKEND, GitServer

if not Path(HTTP_BACKEND).exists() or shutil.which("git-lfs") is None:
    pytest.skip("needs git http-backend and git-lfs (Debian's git and git-lfs; ./scripts/setup "
                "installs them)", allow_module_level=True)

# 127.0.0.2 as one decimal number (see above).
PROXIED_LOOPBACK = "2130706434"
HOST = "127.0.0.2"


@pytest.fixture
def git_env(tmp_path):
    """git's environment: its own HOME with the LFS filters installed, no system config, and
    fixed identities and dates so a repository's commits are the same on every run."""
    home = tmp_path / "git-home"
    home.mkdir()
    env = {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "GIT_AUTHOR_NAME": "hubcache tests", "GIT_AUTHOR_EMAIL": "tests@hubcache.invalid",
           "GIT_COMMITTER_NAME": "hubcache tests",
           "GIT_COMMITTER_EMAIL": "tests@hubcache.invalid",
           "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z"}
    git(env, "lfs", "install", "--skip-repo")
    return env


def git(env, *args, cwd=None):
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def make_repo(root, env, org, name, branches=0):
    """A bare repository ROOT/org/name.git with real commits: a config, a README, and an
    LFS-tracked weights file (.gitattributes `*.bin filter=lfs`), plus `branches` branches of
    a commit each. Returns the files a clone must hold: path -> bytes."""
    work = root.parent / f"work-{org}-{name}"
    work.mkdir(parents=True)
    git(env, "init", "-q", "-b", "main", cwd=work)
    git(env, "lfs", "track", "*.bin", cwd=work)
    files = {"config.json": b'{"model_type": "tiny", "hidden_size": 8}\n',
             "README.md": b"# tiny\n\nA model for hubcache's tests.\n"}
    for path, data in files.items():
        (work / path).write_bytes(data)
    git(env, "add", ".", cwd=work)
    git(env, "commit", "-q", "-m", "config", cwd=work)
    weights = hashlib.sha256(b"weights").digest() * 10_000  # 320 kB, the same every run
    (work / "model.bin").write_bytes(weights)
    git(env, "add", "model.bin", cwd=work)
    git(env, "commit", "-q", "-m", "weights", cwd=work)
    for i in range(branches):
        git(env, "checkout", "-q", "-b", f"experiment-{i:02}", "main", cwd=work)
        (work / "notes.txt").write_text(f"experiment {i}\n")
        git(env, "add", "notes.txt", cwd=work)
        git(env, "commit", "-q", "-m", f"experiment {i}", cwd=work)
    git(env, "checkout", "-q", "main", cwd=work)
    bare = root / org / f"{name}.git"
    git(env, "clone", "-q", "--bare", str(work), str(bare))
    # Where git-lfs keeps a bare repository's objects; the batch API serves them from there.
    shutil.copytree(work / ".git" / "lfs" / "objects", bare / "lfs" / "objects")
    files[".gitattributes"] = (work / ".gitattributes").read_bytes()
    files["model.bin"] = weights
    return files


def checkout(directory, env):
    """What a clone holds: its HEAD commit and each tracked file's sha256 as checked out."""
    paths = git(env, "ls-files", cwd=directory).splitlines()
    return (git(env, "rev-parse", "HEAD", cwd=directory).strip(),
            {p: hashlib.sha256((directory / p).read_bytes()).hexdigest() for p in paths})


def digests(files):
    return {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}


def record_then_replay(hubcache, server, sentinel, env, url, tmp_path, flags=(), replays=1):
    """Clones `url` under `run` online, stops the servers, clones it again `replays` times,
    each into a fresh directory, replayed --strict with a listener on each of their ports.
    Returns the recorded checkout and the last replayed one, after checking that every
    replayed checkout is alike."""
    allow = ["--allow-host", f"{server.scheme}://{HOST}:{server.port}",
             "--allow-host", f"{server.scheme}://{HOST}:{server.cdn.port}"]
    recorded = hubcache.run("run", "--mode", "record", *allow, *flags, "--",
                            "git", "clone", url, str(tmp_path / "recorded"), env=env, timeout=300)
    assert recorded.returncode == 0, recorded.stderr[-3000:]
    server.stop()
    watch = sentinel(server.port, server.cdn.port, host=HOST)
    checkouts = []
    for i in range(replays):
        target = tmp_path / f"replayed-{i}"
        replayed = hubcache.run("run", "--mode", "replay", "--strict", *flags, "--",
                                "git", "clone", url, str(target), env=env, timeout=300)
        assert replayed.returncode == 0, replayed.stderr[-3000:]
        checkouts.append(checkout(target, env))
    assert watch.connections == 0
    assert all(c == checkouts[0] for c in checkouts)
    return checkout(tmp_path / "recorded", env), checkouts[-1]


def test_issue15_git_clone_with_lfs_records_and_replays_strict(hubcache, git_env, sentinel,
                                                              tmp_path):
    files = make_repo(tmp_path / "repos", git_env, "acme", "tiny-model")
    server = GitServer(tmp_path / "repos", host=HOST, url_host=PROXIED_LOOPBACK)
    try:
        # The Hub's own shape: no .git in the clone URL.
        # Two fresh clones: each git-lfs run orders its batch request anew.
        recorded, replayed = record_then_replay(hubcache, server, sentinel, git_env,
                                                server.url("/acme/tiny-model"), tmp_path,
                                                replays=2)
    finally:
        server.stop()
    assert recorded[1] == digests(files)  # model.bin is the LFS content, not its pointer
    assert replayed == recorded
    # Everything went through the proxy (the listeners prove replay asked nothing).
    for seen in server.seen + server.cdn.seen:
        assert seen.headers.get("User-Agent", "").startswith("hubcache/"), seen.path
    assert len(server.requests("info/lfs/objects/batch")) == 1
    assert len(server.cdn.seen) == 1


def test_issue15_a_gzipped_upload_pack_request_is_forwarded_and_replayed(
        hubcache, git_env, sentinel, tmp_path):
    """Many branches make git's want list larger than 1 KiB, which git sends gzipped: the
    upstream must be told (Content-Encoding), and replay must find it. Also the `.git` URL."""
    files = make_repo(tmp_path / "repos", git_env, "acme", "many-branches", branches=30)
    server = GitServer(tmp_path / "repos", host=HOST, url_host=PROXIED_LOOPBACK)
    try:
        recorded, replayed = record_then_replay(hubcache, server, sentinel, git_env,
                                                server.url("/acme/many-branches.git"), tmp_path)
    finally:
        server.stop()
    assert [s.content_encoding for s in server.requests("git-upload-pack")] == ["gzip"]
    assert recorded[1] == digests(files)
    assert replayed == recorded
    branches = git(git_env, "branch", "-r", cwd=tmp_path / "replayed-0")
    assert "origin/experiment-29" in branches


def test_issue15_a_git_lfs_batch_request_in_another_order_replays(hubcache, git_env, sentinel,
                                                                  tmp_path):
    """git-lfs lists its transfer adapters in Go's random map order, so each clone's batch
    request differs (cache/body_key.hpp keys it canonically). With three adapters, the default,
    most runs share one order; with a few custom transfer agents configured (as git-xet's
    install configures one) hardly two runs do, so every replay here would miss without it."""
    for name in ("xet", "folderstore", "agent-a", "agent-b", "agent-c", "agent-d"):
        git(git_env, "config", "--global", f"lfs.customtransfer.{name}.path", "/bin/false")
    files = make_repo(tmp_path / "repos", git_env, "acme", "tiny-model")
    server = GitServer(tmp_path / "repos", host=HOST, url_host=PROXIED_LOOPBACK)
    try:
        recorded, replayed = record_then_replay(hubcache, server, sentinel, git_env,
                                                server.url("/acme/tiny-model"), tmp_path,
                                                replays=3)
    finally:
        server.stop()
    assert b'"agent-d"' in server.requests("info/lfs/objects/batch")[0].body
    assert recorded[1] == digests(files)
    assert replayed == recorded


def test_issue15_git_clone_over_https_records_and_replays_strict(hubcache, git_env, sentinel,
                                                                 test_ca, tmp_path):
    """https://: git tunnels through run's proxy (CONNECT) and trusts run's CA, which it reads
    from GIT_SSL_CAINFO only. LFS content is skipped here: on loopback git-lfs would go around
    the proxy (it never proxies a loopback address), and the decimal spelling that takes it
    through over http is no DNS name, which a CONNECT target must be. The http tests cover
    the batch API and the CDN."""
    files = make_repo(tmp_path / "repos", git_env, "acme", "tiny-model")
    server = GitServer(tmp_path / "repos", host=HOST,
                       tls=(str(test_ca["cert"]), str(test_ca["key"])))
    env = {**git_env, "GIT_LFS_SKIP_SMUDGE": "1"}
    try:
        recorded, replayed = record_then_replay(hubcache, server, sentinel, env,
                                                server.url("/acme/tiny-model"), tmp_path,
                                                flags=("--upstream-ca", str(test_ca["ca"])))
    finally:
        server.stop()
    pointer = recorded[1].pop("model.bin")
    assert pointer != digests(files).pop("model.bin")  # the LFS pointer, as asked
    assert recorded[1] == {p: d for p, d in digests(files).items() if p != "model.bin"}
    assert replayed[0] == recorded[0]
    assert replayed[1].pop("model.bin") == pointer
    assert replayed[1] == recorded[1]
    assert not server.requests("info/lfs/objects/batch")
