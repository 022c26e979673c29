"""`hubcache bake` / `import` (issue 7): a reproducible archive of a store, the same bytes for
the same content, that extracted is a store, and that imports with every hash verified."""

import io
import json
import subprocess
import tarfile
import time

import pytest

from test_hub_clients import BERT, DATA, repo_files, sha


def preload(hubcache_bin, store, hub, tmp_path, text):
    manifest = tmp_path / f"manifest-{abs(hash(text))}.txt"
    manifest.write_text(text)
    done = subprocess.run([str(hubcache_bin), "preload", "--store", str(store), "--upstream",
                           hub.url, *hub.allow_args(), str(manifest)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def bake(hubcache_bin, store, out, *args, env=None):
    import os
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([str(hubcache_bin), "bake", "--store", str(store), "-o", str(out), *args],
                          capture_output=True, text=True, env=full_env)


def tar_listing(archive):
    raw = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return [(m.name, m.mode, m.uid, m.gid, m.mtime, m.isdir()) for m in tar.getmembers()]


def test_bake_is_reproducible_and_extracts_to_a_store(hubcache, hubcache_bin, fake_hub,
                                                      tmp_path):
    text = f"{BERT} include=*.json,*.txt\ndataset:{DATA}\n"
    first_store, second_store = tmp_path / "one", tmp_path / "two"
    preload(hubcache_bin, first_store, fake_hub, tmp_path, text)
    time.sleep(1.1)  # another second: every recorded time differs
    preload(hubcache_bin, second_store, fake_hub, tmp_path, text)
    a, b, c = tmp_path / "a.tar.zst", tmp_path / "b.tar.zst", tmp_path / "c.tar.zst"
    done = bake(hubcache_bin, first_store, a, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert bake(hubcache_bin, first_store, b).returncode == 0
    assert bake(hubcache_bin, second_store, c).returncode == 0
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()
    assert summary["archive_sha256"] == sha(a.read_bytes())
    assert summary["archive_bytes"] == a.stat().st_size

    listing = tar_listing(a)
    names = [name for name, *_ in listing]
    assert names == sorted(names) and names[-1] == "index.db"
    assert all(uid == 0 and gid == 0 and mtime == 0 for _, _, uid, gid, mtime, _ in listing)
    assert all(mode == (0o755 if is_dir else 0o644) for _, mode, _, _, _, is_dir in listing)
    # SOURCE_DATE_EPOCH sets the mtime.
    dated = tmp_path / "dated.tar.zst"
    assert bake(hubcache_bin, first_store, dated, env={"SOURCE_DATE_EPOCH": "1700000000"}).returncode == 0
    assert {mtime for *_, mtime, _ in tar_listing(dated)} == {1700000000}

    # Extracted, the archive is a store: verify passes and replay serves from it.
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    subprocess.run(["tar", "--zstd", "-xf", str(a), "-C", str(extracted)], check=True)
    verified = subprocess.run([str(hubcache_bin), "verify", "--store", str(extracted), "--json"],
                              capture_output=True, text=True)
    assert verified.returncode == 0 and json.loads(verified.stdout)["problems"] == []
    stats = json.loads(subprocess.run([str(hubcache_bin), "stats", "--store", str(extracted),
                                       "--json"], capture_output=True, text=True).stdout)
    assert stats["hub_objects"] == summary["hub_objects"] and stats["refs"] == summary["refs"]


def test_import_into_an_empty_store_then_replay(hubcache, hubcache_bin, fake_hub, serve, sentinel,
                                                hf_client, tmp_path):
    source = tmp_path / "source"
    preload(hubcache_bin, source, fake_hub, tmp_path, f"{BERT} include=*.json,*.txt\n")
    archive = tmp_path / "cache.tar.zst"
    assert bake(hubcache_bin, source, archive, "--repo", BERT).returncode == 0
    done = hubcache.run("import", archive, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["errors"] == [] and result["refs"] == 1
    again = hubcache.json("import", archive)  # idempotent
    assert again["errors"] == []
    assert hubcache.json("stats")["hub_objects"] == result["hub_objects"]

    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    served = serve(fake_hub.url, "--mode", "replay")
    got = hf_client.run([{"op": "download", "repo": BERT, "file": "config.json"},
                         {"op": "auto", "repo": BERT}], endpoint=served.url())
    assert got[0]["sha256"] == sha(repo_files(fake_hub, BERT)["config.json"])
    assert got[1]["model_type"] == "bert"
    assert watch.connections == 0


def test_repo_filter_and_private_content_are_left_out(hubcache, hubcache_bin, fake_hub, tmp_path):
    store = tmp_path / "source"
    preload(hubcache_bin, store, fake_hub, tmp_path, f"{BERT} include=config.json\ndataset:{DATA}\n")
    archive = tmp_path / "bert.tar.zst"
    done = bake(hubcache_bin, store, archive, "--repo", BERT, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hub_objects"] == 1
    bad = bake(hubcache_bin, store, archive, "--repo", "weird:x/y")
    assert bad.returncode == 2 and "--repo 'weird:x/y'" in bad.stderr


def test_a_tampered_or_damaged_archive_is_refused(hubcache, hubcache_bin, fake_hub, tmp_path):
    store = tmp_path / "source"
    preload(hubcache_bin, store, fake_hub, tmp_path, f"{BERT} include=config.json\n")
    archive = tmp_path / "cache.tar.zst"
    assert bake(hubcache_bin, store, archive).returncode == 0
    raw = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    config = repo_files(fake_hub, BERT)["config.json"]
    at = raw.index(config)
    tampered_tar = raw[:at] + config.replace(b"bert", b"BERT") + raw[at + len(config):]
    tampered = tmp_path / "tampered.tar.zst"
    tampered.write_bytes(subprocess.run(["zstd", "-c"], input=tampered_tar, capture_output=True,
                                        check=True).stdout)
    done = hubcache.run("import", tampered)
    assert done.returncode == 1
    assert "sha256 mismatch" in done.stderr and "config.json: its blob was not verified" in done.stderr
    assert hubcache.json("stats")["hub_objects"] == 0
    # Issue 14: nor a ref to a commit none of whose files came in.
    assert "no file of that commit was imported" in done.stderr
    assert hubcache.json("ls")["refs"] == []

    truncated = tmp_path / "truncated.tar.zst"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    done = hubcache.run("import", truncated)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("hubcache: error: ")
    assert hubcache.json("stats")["hub_objects"] == 0
