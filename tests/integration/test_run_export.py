"""`hubcache run` (the engine around one command) and `hubcache export --hf-cache` (issue 5)."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import CLIENT_VENVS, HfClient
from store_checks import check_invariants
from test_hub_clients import BERT, DATA, repo_files, sha

PYTHON = str(CLIENT_VENVS["hub-latest"] / "bin" / "python")
CLIENT = os.path.join(os.path.dirname(__file__), "clients", "hf_client.py")


def run_cmd(hubcache, *args, env=None):
    return hubcache.run("run", *args, env=env)


def client_cmd(actions, cache):
    return ["env", f"HF_HUB_CACHE={cache}", "HF_HUB_DISABLE_PROGRESS_BARS=1", PYTHON, CLIENT,
            json.dumps(actions)]


def test_run_records_then_replays_strictly(hubcache, fake_hub, tmp_path):
    actions = [{"op": "snapshot", "repo": BERT}, {"op": "list_files", "repo": DATA, "type": "dataset"}]
    report = tmp_path / "report.json"
    fake_hub.throttle(1, retry_after="1", path_prefix="/api/")
    done = run_cmd(hubcache, *fake_hub.upstream_args(), "--report", str(report), "--retry-floor",
                   "100ms", "--", *client_cmd(actions, tmp_path / "c1"))
    assert done.returncode == 0, done.stderr
    recorded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in recorded[0] and "error" not in recorded[1]
    summary = [line for line in done.stderr.splitlines() if " requests: " in line]
    assert len(summary) == 1
    assert re.search(r"\d+ requests: \d+ hits, [1-9]\d* stored, 0 missed", summary[0]), summary
    assert "1 retries" in summary[0]
    data = json.loads(report.read_text())
    assert data["exit_status"] == 0 and data["misses"] == 0 and data["retries"] == 1
    assert data["stored"] > 0 and data["bytes_from_upstream"] > 0
    assert any(r["url"].endswith("/resolve/main/model.safetensors") or
               "/model.safetensors" in r["url"] for r in data["served"])

    fake_hub.stop()
    done = run_cmd(hubcache, "--upstream", fake_hub.url, "--mode", "replay", "--strict", "--",
                   *client_cmd(actions, tmp_path / "c2"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == recorded
    assert "0 missed" in done.stderr


def test_issue15_replay_of_hub_files_needs_not_the_recording_upstream(hubcache, fake_hub,
                                                                       tmp_path):
    # The README's answer: Hub objects are keyed by repo, commit and path, not by host, so a
    # replay under another --upstream (here one where nothing listens) answers them all.
    actions = [{"op": "snapshot", "repo": BERT}, {"op": "auto", "repo": BERT}]
    done = run_cmd(hubcache, *fake_hub.upstream_args(), "--",
                   *client_cmd(actions, tmp_path / "c1"))
    assert done.returncode == 0, done.stderr
    recorded = json.loads(done.stdout.strip().splitlines()[-1])
    fake_hub.stop()
    done = run_cmd(hubcache, "--upstream", "http://127.0.0.1:9", "--mode", "replay", "--strict",
                   "--", *client_cmd(actions, tmp_path / "c2"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == recorded
    assert ", 0 missed" in done.stderr


def test_issue15_a_plain_url_of_the_mirror_replays_under_its_recording_upstream(
        hubcache, origin, serve):
    # ... while a plain URL through the mirror (`GET hubcache/path`) is keyed by the upstream
    # URL it stands for: replay it with the --upstream it was recorded from.
    origin.add("/hello.txt", b"hello")
    import requests
    recording = serve(origin.url())
    assert requests.get(recording.url("/hello.txt")).headers["X-Hubcache"] == "stored"
    recording.stop()
    upstream = origin.url()
    origin.stop()
    elsewhere = serve("http://127.0.0.1:9", "--mode", "replay")
    assert requests.get(elsewhere.url("/hello.txt")).status_code >= 400
    elsewhere.stop()
    same = serve(upstream, "--mode", "replay")
    answer = requests.get(same.url("/hello.txt"))
    assert (answer.status_code, answer.content) == (200, b"hello")


def test_issue15_concurrent_runs_share_one_store(hubcache_bin, hubcache, fake_hub, tmp_path):
    # The README's answer: parallel CI jobs (or several `hubcache run` at once) may share one
    # store, recording and replaying; every process sees what the others stored.
    actions = [{"op": "snapshot", "repo": BERT}, {"op": "auto", "repo": BERT},
               {"op": "list_files", "repo": DATA, "type": "dataset"}]

    def start(n, *flags):
        argv = [str(hubcache_bin), "run", "--store", str(hubcache.store), *flags, "--",
                *client_cmd(actions, tmp_path / f"cache-{flags[0]}-{n}")]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(procs):
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            outputs.append((json.loads(out.strip().splitlines()[-1]), err))
        return outputs

    hubcache.make_store()
    recorded = finish([start(n, *fake_hub.upstream_args()) for n in range(4)])
    answers = [answer for answer, _ in recorded]
    assert all(answer == answers[0] for answer in answers), answers
    assert all("error" not in part for part in answers[0]), answers[0]
    fake_hub.stop()
    replayed = finish([start(n, "--upstream", fake_hub.url, "--mode", "replay", "--strict")
                       for n in range(4)])
    for answer, err in replayed:
        assert answer == answers[0]
        assert ", 0 missed" in err, err
    verify = hubcache.run("verify")
    assert verify.returncode == 0 and ": 0 problems" in verify.stdout, verify.stdout + verify.stderr
    check_invariants(hubcache.store)


def test_run_strict_exits_3_and_names_the_miss(hubcache, fake_hub, tmp_path):
    fake_hub.stop()
    report = tmp_path / "report.json"
    script = ("import os, urllib.request, urllib.error\n"
              "try:\n"
              "    urllib.request.urlopen(os.environ['HF_ENDPOINT'] + "
              "'/hubcache-demo/tiny-bert/resolve/main/never-recorded.bin')\n"
              "except urllib.error.HTTPError as e:\n"
              "    print(e.code)\n")
    done = run_cmd(hubcache, "--upstream", fake_hub.url, "--mode", "replay", "--strict",
                   "--report", str(report), "--", sys.executable, "-c", script)
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == "501"
    assert f"GET {fake_hub.url}/hubcache-demo/tiny-bert/resolve/main/never-recorded.bin" in done.stderr
    assert "--strict: 1 request missed" in done.stderr
    missed = json.loads(report.read_text())["missed"]
    assert [m["url"] for m in missed] == [
        f"{fake_hub.url}/hubcache-demo/tiny-bert/resolve/main/never-recorded.bin"]


def test_run_exits_with_the_commands_status_and_passes_the_environment(hubcache, tmp_path):
    done = run_cmd(hubcache, "--mode", "replay", "--", sys.executable, "-c",
                   "import os, sys; print(os.environ['HF_ENDPOINT']); sys.exit(7)")
    assert done.returncode == 7, done.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", done.stdout)
    # A command killed by a signal: 128 + the signal, as a shell reports it.
    done = run_cmd(hubcache, "--mode", "replay", "--", "sh", "-c", "kill -TERM $$")
    assert done.returncode == 128 + 15
    done = run_cmd(hubcache, "--mode", "replay", "--", "no-such-command-hubcache")
    assert done.returncode == 127
    assert "cannot run 'no-such-command-hubcache'" in done.stderr


def test_run_forwards_sigterm_to_the_command(hubcache_bin, store, tmp_path):
    import signal
    import time
    ready = tmp_path / "ready"
    script = ("import signal, sys, time, pathlib\n"
              "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
              f"pathlib.Path({str(ready)!r}).write_text('x')\n"
              "time.sleep(60)\n")
    proc = subprocess.Popen([str(hubcache_bin), "run", "--store", str(store), "--mode", "replay",
                             "--", sys.executable, "-c", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not ready.exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 42, err
    assert "0 requests" in err


def git_or_lfs_etag(path, data, hub):
    repo = hub.repos[("model", BERT)]
    if repo.is_lfs(path, data):
        return sha(data)
    import hashlib
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_export_file_by_file_both_layouts_idempotent(hubcache, fake_hub, serve, tmp_path):
    served = serve(fake_hub.url, *fake_hub.allow_args())
    client = HfClient("hub-latest", CLIENT_VENVS["hub-latest"], tmp_path / "home")
    got = client.run([{"op": "snapshot", "repo": BERT},
                      {"op": "download", "repo": BERT, "file": "config.json", "revision": "v1.0"},
                      {"op": "snapshot", "repo": DATA, "type": "dataset"}], endpoint=served.base)
    assert all("error" not in g for g in got), got
    bert = fake_hub.repos[("model", BERT)]
    commit = bert.refs["main"]
    files = repo_files(fake_hub, BERT)

    out = tmp_path / "hf-cache"
    first = hubcache.json("export", "--hf-cache", str(out))
    assert first["repos"] == 2 and first["errors"] == []
    root = out / f"models--{BERT.replace('/', '--')}"
    for path, data in files.items():
        link = root / "snapshots" / commit / path
        assert link.is_symlink(), path
        etag = git_or_lfs_etag(path, data, fake_hub)
        depth = path.count("/") + 2
        assert os.readlink(link) == "/".join([".."] * depth + ["blobs", etag]), path
        assert link.read_bytes() == data, path
        assert os.stat(root / "blobs" / etag).st_nlink >= 2  # hard-linked from the store
    for ref in ("main", "v1.0"):
        assert (root / "refs" / ref).read_bytes() == commit.encode()  # 40 hex, no newline
    data_root = out / f"datasets--{DATA.replace('/', '--')}"
    data_commit = fake_hub.repos[("dataset", DATA)].refs["main"]
    assert (data_root / "snapshots" / data_commit / "docs" / "a file with space.txt").read_bytes() \
        == b"spaces are fine\n"

    again = hubcache.json("export", "--hf-cache", str(out))
    assert again["unchanged"] == again["files"] == first["files"] and again["linked"] == 0

    flat = tmp_path / "flat"
    plain = hubcache.json("export", "--hf-cache", str(flat), "--no-symlinks")
    assert plain["files"] == first["files"]
    flat_root = flat / f"models--{BERT.replace('/', '--')}"
    for path, data in files.items():
        target = flat_root / "snapshots" / commit / path
        assert not target.is_symlink() and target.read_bytes() == data, path
    assert not any(p.is_symlink() for p in flat.rglob("*"))
    assert (flat_root / "refs" / "main").read_bytes() == commit.encode()

    for folder in (out, flat):
        scanned = client.run([{"op": "scan", "dir": str(folder)}])[0]
        assert scanned["warnings"] == []
        assert scanned["repos"] == [
            ["dataset", DATA, 4, [[data_commit, ["main"]]]],
            ["model", BERT, len(files), [[commit, ["main", "v1.0"]]]],
        ]


def test_export_one_repo_and_an_unknown_one(hubcache, fake_hub, serve, tmp_path):
    served = serve(fake_hub.url, *fake_hub.allow_args())
    client = HfClient("hub-latest", CLIENT_VENVS["hub-latest"], tmp_path / "home")
    client.run([{"op": "download", "repo": BERT, "file": "config.json"},
                {"op": "download", "repo": DATA, "type": "dataset", "file": "data/test.csv"}],
               endpoint=served.base)
    out = tmp_path / "one"
    only = hubcache.json("export", "--hf-cache", str(out), "--repo", f"dataset:{DATA}")
    assert only["repos"] == 1
    assert sorted(p.name for p in out.iterdir()) == [f"datasets--{DATA.replace('/', '--')}"]
    done = hubcache.run("export", "--hf-cache", str(tmp_path / "none"), "--repo", "nobody/nothing")
    assert done.returncode == 1
    assert done.stderr.strip() == ("hubcache: error: --repo nobody/nothing: the store holds no "
                                   "files of that repo")
