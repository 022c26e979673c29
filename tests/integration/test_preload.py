"""`hubcache preload MANIFEST` (issue 7): a curated set fetched without any client running,
then replayed by huggingface_hub, transformers and requests with the fake Hub and the origin
stopped."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from origin import CountingListener
from test_hub_clients import BERT, DATA, GATED, TOKEN, repo_files, sha


def manifest(tmp_path, text, name="models.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def far_origin(test_ca):
    """An HTTPS origin on 127.0.0.2 (outside the NO_PROXY that `run` sets)."""
    from origin import Origin
    server = Origin(host="127.0.0.2", tls=(str(test_ca["cert"]), str(test_ca["key"])))
    yield server
    server.stop()


def test_preload_then_replay_with_everything_stopped(hubcache, fake_hub, far_origin, test_ca,
                                                     serve, sentinel, hf_client, tmp_path):
    weights = os.urandom(300_000)
    far_origin.add("/whisper/tiny.pt", weights)
    image = os.urandom(5_000)
    far_origin.add("/img/cat.jpg", image)
    path = manifest(tmp_path, f"""
# the test set
{BERT} include=*.json,*.txt,*.safetensors
dataset:{DATA} exclude=docs/
{far_origin.url('/whisper/tiny.pt')} sha256={hashlib.sha256(weights).hexdigest()}
{far_origin.url('/img/cat.jpg')}
""")
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"],
                        "--json", path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    bert_files = [p for p in repo_files(fake_hub, BERT)
                  if p.endswith((".json", ".txt", ".safetensors"))]
    data_files = [p for p in repo_files(fake_hub, DATA, "dataset") if not p.startswith("docs/")]
    assert result["failed"] == 0
    assert result["files"] == len(bert_files) + len(data_files) + 2
    assert result["fetched"] == result["files"] and result["present"] == 0
    assert [r["source"] for r in result["results"]] == [f"{path}:{n}" for n in (3, 4, 5, 6)]
    bert_commit = fake_hub.repos[("model", BERT)].refs["main"]
    assert result["results"][0]["commit"] == bert_commit

    # Everything upstream goes away; replay must not even try.
    hub_ports = (fake_hub.port, fake_hub.cdn_port)
    fake_hub.stop()
    origin_port = far_origin.port
    far_origin.stop()
    watch = sentinel(*hub_ports)
    far_watch = CountingListener(origin_port, host="127.0.0.2")
    try:
        served = serve(fake_hub.url, "--mode", "replay")
        got = hf_client.run([
            {"op": "snapshot", "repo": BERT, "allow": ["*.json", "*.txt", "*.safetensors"]},
            {"op": "snapshot", "repo": DATA, "type": "dataset", "allow": ["data/*"]},
            {"op": "download", "repo": BERT, "file": "config.json", "revision": bert_commit},
            {"op": "auto", "repo": BERT},
            # Outside the globs: not fetched, so a miss, not a wrong answer.
            {"op": "download", "repo": BERT, "file": "onnx/model.onnx"},
        ], endpoint=served.url())
        bert = repo_files(fake_hub, BERT)
        assert got[0]["files"] == {p: sha(bert[p]) for p in bert_files}
        data = repo_files(fake_hub, DATA, "dataset")
        assert got[1]["files"] == {p: sha(data[p]) for p in data_files if p.startswith("data/")}
        assert got[2]["sha256"] == sha(bert["config.json"])
        assert got[3]["model_type"] == "bert" and got[3]["ids"][0] == 2, got[3]
        assert "error" in got[4]
        misses = [line for line in served.log() if line.get("cache") == "miss"]
        assert [m["url"].rsplit("/", 1)[-1] for m in misses] == ["model.onnx"] * len(misses)

        # requests through the proxy, the way a test suite fetches weights and images.
        script = f"""
import hashlib, requests
print(hashlib.sha256(requests.get({far_origin.url('/whisper/tiny.pt')!r}).content).hexdigest())
print(hashlib.sha256(requests.get({far_origin.url('/img/cat.jpg')!r}, stream=True).raw.read()).hexdigest())
"""
        replayed = hubcache.run("run", "--mode", "replay", "--strict", "--upstream", fake_hub.url,
                                "--", sys.executable, "-c", script)
        assert replayed.returncode == 0, replayed.stderr
        assert replayed.stdout.split() == [hashlib.sha256(weights).hexdigest(),
                                           hashlib.sha256(image).hexdigest()]
        assert watch.connections == 0 and far_watch.connections == 0
    finally:
        far_watch.stop()


def test_rerun_skips_what_is_present_and_a_failed_entry_spares_the_others(hubcache, fake_hub,
                                                                          tmp_path):
    path = manifest(tmp_path, f"acme/does-not-exist\n{BERT} include=*.json\n")
    first = hubcache.run("preload", *fake_hub.upstream_args(), "--json", path)
    assert first.returncode == 1
    result = json.loads(first.stdout)
    assert result["failed"] == 1
    missing, bert = result["results"]
    assert missing["ok"] is False and missing["source"] == f"{path}:1"
    assert bert["ok"] is True and bert["fetched"] == bert["files"] > 0
    cdn_before = len(fake_hub.requests(server="cdn"))
    resolves_before = len([r for r in fake_hub.requests() if "/resolve/" in r.path])

    again = hubcache.run("preload", *fake_hub.upstream_args(), "--json", path)
    assert again.returncode == 1
    bert = json.loads(again.stdout)["results"][1]
    assert bert["fetched"] == 0 and bert["present"] == bert["files"]
    assert len(fake_hub.requests(server="cdn")) == cdn_before
    assert len([r for r in fake_hub.requests() if "/resolve/" in r.path]) == resolves_before
    # People get a one-line reason naming the manifest line.
    plain = hubcache.run("preload", *fake_hub.upstream_args(), path)
    assert f"acme/does-not-exist@main ({path}:1)" in plain.stderr
    assert "1 failed" in plain.stdout


def test_a_killed_preload_resumes_where_it_stopped(hubcache, fake_hub, hubcache_bin, store,
                                                   tmp_path):
    files = {f"shard-{i}.bin": os.urandom(200_000) for i in range(4)}
    fake_hub.add_repo("acme/sharded", files)
    fake_hub.cdn_rate = 400_000  # 0.5 s a shard
    path = manifest(tmp_path, "acme/sharded\n")
    argv = [str(hubcache_bin), "preload", "--store", str(store), *fake_hub.upstream_args(),
            "--jobs", "1", str(path)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fetched = 0
    deadline = time.monotonic() + 30
    while fetched < 1 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        fetched += "fetched acme/sharded" in line
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert fetched == 1
    fake_hub.cdn_rate = None

    done = hubcache.run("preload", *fake_hub.upstream_args(), "--json", path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"][0]
    assert result["files"] == 4 and result["present"] >= 1 and result["fetched"] <= 3
    assert result["present"] + result["fetched"] == 4
    verified = hubcache.run("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_gated_repos_take_hf_token(hubcache, fake_hub, tmp_path):
    path = manifest(tmp_path, f"{GATED}\n")
    refused = hubcache.run("preload", *fake_hub.upstream_args(), path, env={"HF_TOKEN": ""})
    assert refused.returncode == 1
    assert "GatedRepo" in refused.stderr or "restricted" in refused.stderr, refused.stderr
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--json", path,
                        env={"HF_TOKEN": TOKEN})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fetched"] == len(repo_files(fake_hub, GATED))


def test_a_body_that_does_not_match_its_sha256_is_not_kept(hubcache, fake_hub, far_origin,
                                                           test_ca, tmp_path):
    far_origin.add("/w.bin", b"the real bytes")
    path = manifest(tmp_path, f"{far_origin.url('/w.bin')} sha256={'ab' * 32}\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"],
                        path)
    assert done.returncode == 1
    assert far_origin.url("/w.bin") in done.stderr
    listed = hubcache.json("ls")
    assert not any("/w.bin" in json.dumps(entry) for entry in listed.get("exchanges", [])), listed


def test_issue15_a_failed_file_names_its_cause(hubcache, fake_hub, far_origin, test_ca,
                                              tmp_path):
    # What failed and why, not a bare "502 ": the upstream's own status and reason, or the
    # connection error the engine told the operator; a URL's secret parameters never shown.
    far_origin.add("/broken.bin", b"the disk is on fire\n", status=500,
                   headers={"Content-Type": "text/plain"})
    import socket
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    gone = f"http://127.0.0.1:{port}/gone.bin?X-Amz-Signature=SECRETSIGNATURE&Expires=1"
    path = manifest(tmp_path, f"{far_origin.url('/broken.bin')}\n{gone}\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"],
                        "--retries", "0", "--json", path)
    assert done.returncode == 1
    results = json.loads(done.stdout)["results"]
    broken, refused = (r["errors"] for r in results)
    assert broken == [f"{far_origin.url('/broken.bin')}: 500 the disk is on fire"], broken
    assert len(refused) == 1 and refused[0].startswith(f"http://127.0.0.1:{port}/gone.bin")
    assert ": 502 upstream failed: GET " in refused[0]
    assert "Couldn't connect" in refused[0] or "refused" in refused[0], refused[0]
    assert "SECRETSIGNATURE" not in done.stdout + done.stderr

    # The people's form says the same on its error lines.
    plain = hubcache.run("preload", *fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"],
                         "--retries", "0", path)
    errors = [line for line in plain.stderr.splitlines() if line.startswith("hubcache: error:")]
    assert len(errors) == 2, plain.stderr
    assert errors[0] == (f"hubcache: error: {far_origin.url('/broken.bin')} ({path}:1): "
                         f"{far_origin.url('/broken.bin')}: 500 the disk is on fire"), errors
    assert "Couldn't connect" in errors[1] or "refused" in errors[1], errors


def test_a_bad_manifest_is_reported_line_by_line_and_nothing_happens(hubcache, fake_hub,
                                                                      tmp_path):
    good = manifest(tmp_path, f"{BERT}\n", "good.txt")
    bad = manifest(tmp_path, f"# fine\n{BERT} include=\nweird:acme/x\nhttps://x.org/a sha256=12\n",
                   "bad.txt")
    done = hubcache.run("preload", *fake_hub.upstream_args(), good, bad)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("hubcache: error:")]
    assert [e.split(": ")[2] for e in errors] == [f"{bad}:2", f"{bad}:3", f"{bad}:4"], errors
    assert fake_hub.requests() == []
    assert hubcache.run("preload", *fake_hub.upstream_args(), tmp_path / "none.txt").returncode == 2


def lock_lines(text, kind):
    return [line.split("\t") for line in text.splitlines() if line.startswith(kind + "\t")]


def test_lock_round_trip_and_replay_answers_only_what_the_lock_names(
        hubcache, fake_hub, far_origin, test_ca, serve, hf_client, tmp_path, hubcache_bin):
    weights = os.urandom(50_000)
    far_origin.add("/w.bin", weights)
    far_origin.add("/other.bin", b"not locked")
    path = manifest(tmp_path, f"{BERT} include=*.json,*.txt\n{far_origin.url('/w.bin')}\n"
                              f"{far_origin.url('/other.bin')}\n")
    flags = [*fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"]]
    assert hubcache.run("preload", *flags, path).returncode == 0
    lockfile = tmp_path / "hubcache.lock"
    done = hubcache.run("lock", "-o", lockfile, "--json")
    assert done.returncode == 0, done.stderr
    text = lockfile.read_text()
    bert_commit = fake_hub.repos[("model", BERT)].refs["main"]
    assert ["ref", "model", BERT, "main", bert_commit] in lock_lines(text, "ref")
    files = lock_lines(text, "file")
    bert = repo_files(fake_hub, BERT)
    assert sorted(f[6] for f in files) == sorted(p for p in bert if p.endswith((".json", ".txt")))
    assert all(f[4] == sha(bert[f[6]]) and int(f[5]) == len(bert[f[6]]) for f in files)
    assert [far_origin.url("/w.bin"), hashlib.sha256(weights).hexdigest(), "50000"] in \
        [[u[3], u[1], u[2]] for u in lock_lines(text, "url")]
    # Reviewable: sorted, and the same store gives the same bytes.
    assert hubcache.run("lock", "-o", tmp_path / "again.lock").returncode == 0
    assert (tmp_path / "again.lock").read_text() == text

    # The lock without one file and one URL: a narrower pin.
    narrow = "".join(line + "\n" for line in text.splitlines()
                     if "tokenizer.json" not in line and "/other.bin" not in line)
    narrow_lock = tmp_path / "narrow.lock"
    narrow_lock.write_text(narrow)

    # preload --lock into an empty store fetches exactly that, verified; its lock is the same.
    other_store = tmp_path / "other-store"
    done = subprocess.run([str(hubcache_bin), "preload", "--store", str(other_store), *map(str, flags),
                           "--lock", str(narrow_lock), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["fetched"] == len(lock_lines(narrow, "file")) + len(lock_lines(narrow, "url"))
    relocked = subprocess.run([str(hubcache_bin), "lock", "--store", str(other_store), "-o", "-"],
                              capture_output=True, text=True)
    assert relocked.stdout == narrow

    fake_hub.stop()
    far_origin.stop()
    served = serve(fake_hub.url, "--mode", "replay", "--lock", narrow_lock,
                   store_dir=other_store)
    got = hf_client.run([{"op": "download", "repo": BERT, "file": "config.json"},
                         {"op": "download", "repo": BERT, "file": "tokenizer.json"},
                         {"op": "model_info", "repo": BERT}],
                        endpoint=served.url(), extra_env={"HF_HUB_ETAG_TIMEOUT": "2"})
    assert got[0]["sha256"] == sha(bert["config.json"])
    assert "error" in got[1]
    assert got[2]["sha"] == bert_commit
    assert "tokenizer.json" not in got[2]["siblings"] and "config.json" in got[2]["siblings"]
    # The access log is flushed every so often: wait for the refusal's line.
    deadline = time.monotonic() + 10
    while not (refused := [line for line in served.log() if line.get("cache") == "miss"]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert refused and all("tokenizer.json" in line["url"] for line in refused)
    # URLs through the proxy: the locked one is served, the other is refused as not locked.
    script = f"""
import hashlib, requests
print(hashlib.sha256(requests.get({far_origin.url('/w.bin')!r}).content).hexdigest())
other = requests.get({far_origin.url('/other.bin')!r})
print(other.status_code, other.text.splitlines()[0])
"""
    done = subprocess.run([str(hubcache_bin), "run", "--store", str(other_store), "--mode", "replay",
                           "--lock", str(narrow_lock), "--upstream", fake_hub.url, "--",
                           sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == hashlib.sha256(weights).hexdigest()
    assert second.startswith(f"501 hubcache: not in the lock {narrow_lock}: GET "), second


def test_issue15_replay_under_a_lock_answers_the_404s_clients_probe_for(hubcache, fake_hub, tmp_path):
    # transformers asks for files the repo does not have (added_tokens.json, chat_template.jinja):
    # at a commit the lock names, the commit's complete file list says 404 EntryNotFound, as
    # the Hub does; a file the repo has but the lock leaves out is still refused.
    path = manifest(tmp_path, f"{BERT} include=*.json,*.txt,*.safetensors\n")
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    lockfile = tmp_path / "hubcache.lock"
    assert hubcache.run("lock", "-o", lockfile).returncode == 0
    narrow = tmp_path / "narrow.lock"
    narrow.write_text("".join(line + "\n" for line in lockfile.read_text().splitlines()
                              if "vocab.txt" not in line))
    fake_hub.stop()
    script = f"""
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError
from transformers import AutoTokenizer
print(AutoTokenizer.from_pretrained({BERT!r})("hello world")["input_ids"])
try:
    hf_hub_download({BERT!r}, "added_tokens.json")
except EntryNotFoundError:
    print("absent")
try:
    hf_hub_download({BERT!r}, "vocab.txt")
except LocalEntryNotFoundError:
    print("not locked")
"""
    report = tmp_path / "report.json"
    done = hubcache.run("run", "--mode", "replay", "--strict", "--lock", narrow, "--upstream",
                        fake_hub.url, "--report", report, "--", sys.executable, "-c", script,
                        env={**os.environ, "HF_HUB_CACHE": str(tmp_path / "c")})
    assert done.stdout.splitlines() == ["[2, 5, 6, 3]", "absent", "not locked"], done.stderr
    # The one miss is the file the lock leaves out, not the probes.
    missed = json.loads(report.read_text())["missed"]
    assert {m["url"].rsplit("/", 1)[1] for m in missed} == {"vocab.txt"}, missed
    assert done.returncode == 3


def test_lock_from_a_run_report_names_only_what_the_run_used(hubcache, fake_hub, tmp_path):
    path = manifest(tmp_path, f"{BERT}\n")
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    report = tmp_path / "report.json"
    script = ("from huggingface_hub import hf_hub_download as d; "
              f"d({BERT!r}, 'config.json'); d({BERT!r}, 'vocab.txt')")
    from conftest import CLIENT_VENVS
    python = str(CLIENT_VENVS["hub-latest"] / "bin" / "python")
    done = hubcache.run("run", "--mode", "replay", "--strict", "--report", report,
                        "--upstream", fake_hub.url, "--", "env", f"HF_HOME={tmp_path / 'home'}",
                        python, "-c", script)
    assert done.returncode == 0, done.stderr
    done = hubcache.run("lock", "--from-report", report, "-o", tmp_path / "used.lock")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "used.lock").read_text()
    assert sorted(f[6] for f in lock_lines(text, "file")) == ["config.json", "vocab.txt"]
    assert lock_lines(text, "ref") == [["ref", "model", BERT, "main",
                                        fake_hub.repos[("model", BERT)].refs["main"]]]
    bad = hubcache.run("lock", "--from-report", path, "-o", tmp_path / "x.lock")
    assert bad.returncode == 1 and "not a `hubcache run --report` file" in bad.stderr


def test_check_reports_a_moved_branch_and_fetches_no_body(hubcache, fake_hub, tmp_path):
    path = manifest(tmp_path, f"{BERT} include=*.json,*.txt\ndataset:{DATA}\n{BERT}@v1.0\n")
    assert hubcache.run("preload", *fake_hub.upstream_args(), path).returncode == 0
    quiet = hubcache.run("preload", "--check", *fake_hub.upstream_args(), path)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "0 of 3 branches moved" in quiet.stdout

    old = fake_hub.repos[("model", BERT)].refs["main"]
    new_config = b'{"model_type": "bert", "hidden_size": 64}'
    fake_hub.commit(BERT, {**repo_files(fake_hub, BERT), "config.json": new_config,
                           "extra.txt": b"new file\n"}, parent=old)
    new = fake_hub.repos[("model", BERT)].refs["main"]
    cdn_before = len(fake_hub.requests(server="cdn"))
    resolves_before = len([r for r in fake_hub.requests() if "/resolve/" in r.path])
    done = hubcache.run("preload", "--check", *fake_hub.upstream_args(), "--json", path)
    assert done.returncode == 3, done.stderr
    result = json.loads(done.stdout)
    assert result["moved"] == 1
    bert = result["results"][0]
    assert (bert["recorded"], bert["upstream"]) == (old, new)
    assert bert["files_changed"] == 2  # config.json changed, extra.txt added
    assert bert["bytes"] == len(new_config) + len(b"new file\n")
    assert result["results"][1]["moved"] is False and result["results"][2]["moved"] is False
    assert len(fake_hub.requests(server="cdn")) == cdn_before
    assert len([r for r in fake_hub.requests() if "/resolve/" in r.path]) == resolves_before
    # Nothing was written: replay still serves the recorded commit.
    plain = hubcache.run("preload", "--check", *fake_hub.upstream_args(), path)
    assert f"{old[:12]} -> {new[:12]}" in plain.stdout
    listing = hubcache.json("ls")
    assert [r["commit"] for r in listing["refs"] if r["repo_id"] == BERT and r["ref"] == "main"] \
        == [old]


def test_a_stored_body_is_checked_against_a_sha256_given_later(hubcache, fake_hub, far_origin,
                                                               test_ca, tmp_path):
    far_origin.add("/w.bin", b"the real bytes")
    flags = [*fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"]]
    plain = manifest(tmp_path, f"{far_origin.url('/w.bin')}\n", "plain.txt")
    assert hubcache.run("preload", *flags, plain).returncode == 0
    pinned = manifest(tmp_path, f"{far_origin.url('/w.bin')} sha256={'cd' * 32}\n", "pinned.txt")
    done = hubcache.run("preload", *flags, pinned)
    assert done.returncode == 1
    assert "the store holds other bytes" in done.stderr, done.stderr
    right = manifest(tmp_path, f"{far_origin.url('/w.bin')} sha256={sha(b'the real bytes')}\n",
                     "right.txt")
    done = hubcache.run("preload", *flags, "--json", right)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["present"] == 1


def test_preload_again_follows_a_moved_branch_and_keeps_urls_as_hits(hubcache, fake_hub,
                                                                     far_origin, test_ca,
                                                                     tmp_path):
    far_origin.add("/w.bin", b"weights")
    path = manifest(tmp_path, f"{BERT} include=*.json\n{far_origin.url('/w.bin')}\n")
    flags = [*fake_hub.upstream_args(), "--upstream-ca", test_ca["ca"]]
    assert hubcache.run("preload", *flags, path).returncode == 0
    old = fake_hub.repos[("model", BERT)].refs["main"]
    fake_hub.commit(BERT, {"config.json": b'{"model_type": "bert", "v": 2}'}, parent=old)
    done = hubcache.run("preload", *flags, "--json", path)
    assert done.returncode == 0, done.stderr
    bert, url = json.loads(done.stdout)["results"]
    assert bert["commit"] == fake_hub.repos[("model", BERT)].refs["main"] != old
    assert bert["fetched"] == 1 and bert["present"] == bert["files"] - 1  # only config.json
    assert url["present"] == 1 and far_origin.count("/w.bin") == 1
    assert hubcache.run("preload", "--check", *flags, path).returncode == 0


def test_a_file_cut_by_a_kill_resumes_from_its_partial_bytes(hubcache, fake_hub, hubcache_bin,
                                                             store, tmp_path):
    big = os.urandom(3_000_000)
    fake_hub.add_repo("acme/one-big-file", {"model.safetensors": big})
    fake_hub.cdn_rate = 1_000_000  # 3 s for the file
    path = manifest(tmp_path, "acme/one-big-file\n")
    argv = [str(hubcache_bin), "preload", "--store", str(store), *fake_hub.upstream_args(),
            str(path)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = store / "tmp" / f"partial-{sha(big)}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not partial.exists() or
                                           partial.stat().st_size < 1_000_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = partial.stat().st_size
    assert 1_000_000 <= kept < len(big)
    fake_hub.cdn_rate = None

    done = hubcache.run("preload", *fake_hub.upstream_args(), "--json", path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fetched"] == 1
    ranges = [r.headers.get("Range") for r in fake_hub.requests(server="cdn")]
    assert ranges[-1] is not None and ranges[-1].startswith("bytes=")
    assert int(ranges[-1][6:].rstrip("-")) >= 1_000_000
    assert not partial.exists()
    assert hubcache.run("verify").returncode == 0
    listing = hubcache.json("ls")
    assert [o["size"] for o in listing["hub_objects"]] == [len(big)]


def test_a_partial_file_with_wrong_bytes_is_thrown_away(hubcache, fake_hub, store, tmp_path):
    big = os.urandom(500_000)
    fake_hub.add_repo("acme/other-big-file", {"model.safetensors": big})
    hubcache.make_store()
    partial = store / "tmp" / f"partial-{sha(big)}"
    partial.write_bytes(b"not the right bytes" * 1000)
    path = manifest(tmp_path, "acme/other-big-file\n")
    first = hubcache.run("preload", *fake_hub.upstream_args(), path)
    assert first.returncode == 1, first.stderr  # the resumed body does not hash right
    assert not partial.exists(), first.stderr
    second = hubcache.run("preload", *fake_hub.upstream_args(), "--json", path)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["fetched"] == 1
