"""Issue 14: nothing from outside names a file, aliases a key or leaks what another credential
recorded. A hostile upstream (crafted ETags and commits), a crafted archive (rows that climb
out of a folder, a NUL inside a name), Vary, HEADs, presigned URLs, gated repos, exports."""

import io
import json
import os
import sqlite3
import stat
import subprocess
import tarfile

import requests

from test_bake_import import bake, preload
from test_hub_clients import BERT, GATED, TOKEN, repo_files

COMMIT = "c0ffee" + "0" * 34


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_issue14_an_upstream_etag_or_commit_never_names_a_file_outside_the_export(
        serve, origin, hubcache, tmp_path):
    """An upstream that says it is a Hub, with an ETag or a commit that is a path."""
    escape = tmp_path / "escaped"
    hostile = {
        "/evil/repo/resolve/main/relative.json": {"X-Repo-Commit": COMMIT, "ETag": '"../../../../escaped"'},
        "/evil/repo/resolve/main/absolute.json": {"X-Repo-Commit": COMMIT, "ETag": f'"{escape}"'},
        "/evil/repo/resolve/main/commit.json": {"X-Repo-Commit": "../../../escaped", "ETag": '"abc"'},
        "/evil/repo/resolve/main/lfs.bin": {"X-Repo-Commit": COMMIT, "X-Linked-Etag": '"../x"',
                                            "X-Linked-Size": "4"},
    }
    for path, headers in hostile.items():
        origin.add(path, b"evil", headers=headers, etag=False)
    origin.add("/evil/repo/resolve/main/fine.json", b"fine",
               headers={"X-Repo-Commit": COMMIT}, etag=True)
    served = serve(origin.url())
    for path in [*hostile, "/evil/repo/resolve/main/fine.json"]:
        answer = requests.get(served.url(path))
        assert answer.status_code == 200, path
    served.stop()

    out = tmp_path / "export"
    for flags in ([], ["--no-symlinks"]):
        done = hubcache.run("export", "--hf-cache", out, *flags)
        assert done.returncode == 0, done.stderr
    assert not escape.exists()
    assert not (tmp_path.parent / "escaped").exists()
    assert not [p for p in tmp_path.rglob("*escaped*")]
    # Only the file whose names are a Hub's became a Hub file.
    assert [o["path"] for o in hubcache.json("ls")["hub_objects"]] == ["fine.json"]
    assert all(".." not in name for name in files_under(out))


def crafted_archive(archive, out, rows):
    """`archive` with its index.db's rows changed by `rows(connection)`."""
    raw = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    members = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isfile() else None
            members.append((member, data))
    db = out.with_suffix(".db")
    db.write_bytes(next(data for member, data in members if member.name == "index.db"))
    with sqlite3.connect(db) as connection:
        rows(connection)
    connection.close()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        for member, data in members:
            if member.name == "index.db":
                data = db.read_bytes()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    out.write_bytes(subprocess.run(["zstd", "-c"], input=tar_bytes.getvalue(), capture_output=True,
                                   check=True).stdout)


def test_issue14_a_crafted_archive_names_nothing_outside_and_no_nul_aliases(
        hubcache, hubcache_bin, fake_hub, serve, tmp_path):
    source = tmp_path / "source"
    preload(hubcache_bin, source, fake_hub, tmp_path, f"{BERT} include=config.json\n")
    archive = tmp_path / "cache.tar.zst"
    assert bake(hubcache_bin, source, archive).returncode == 0

    def rows(db):
        blob, commit = db.execute("SELECT blob, commit_sha FROM hub_objects").fetchone()
        insert = ("INSERT INTO hub_objects (repo_type, repo_id, commit_sha, path, credential, blob, "
                  "size, etag, lfs, stored_at, last_access) VALUES (?, ?, ?, ?, '', ?, 1, ?, 0, 0, 0)")
        db.execute(insert, ("model", BERT, commit, "../../../../escaped-path", blob, "e"))
        db.execute(insert, ("model", BERT, commit, "ok.json", blob, "../../escaped-etag"))
        db.execute(insert, ("model", BERT, "../escaped-commit", "x.json", blob, "e"))
        db.execute(insert, ("model", BERT, commit, "a\0b.json", blob, "e"))  # NUL inside
        db.execute("INSERT INTO refs (repo_type, repo_id, name, credential, commit_sha, learned_at) "
                   "VALUES ('model', ?, '../../escaped-ref', '', ?, 0)", (BERT, commit))
        return commit

    crafted = tmp_path / "crafted.tar.zst"
    crafted_archive(archive, crafted, rows)
    done = hubcache.run("import", crafted)
    assert done.returncode == 1
    assert done.stderr.count("not imported") == 5, done.stderr
    listing = hubcache.json("ls")
    assert [o["path"] for o in listing["hub_objects"]] == ["config.json"]
    assert [r["ref"] for r in listing["refs"]] == ["main"]

    out = tmp_path / "export"
    assert hubcache.run("export", "--hf-cache", out).returncode == 0
    assert not any("escaped" in p.name for p in tmp_path.rglob("*") if "crafted" not in p.name)
    # A NUL never makes "a\0b.json" answer as "a".
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    config = repo_files(fake_hub, BERT)["config.json"]
    fake_hub.stop()
    replay = serve(fake_hub.url, "--mode", "replay")
    aliased = requests.get(replay.url(f"/{BERT}/resolve/{commit}/a"))
    assert aliased.status_code in (404, 501) and aliased.content != config
    assert requests.get(replay.url(f"/{BERT}/resolve/{commit}/a%00b.json")).status_code == 400


def test_issue14_a_nul_in_a_hub_path_is_refused_not_recorded(serve, fake_hub, hubcache):
    served = serve(*fake_hub.upstream_args()[1:])
    refused = requests.get(served.url(f"/{BERT}/resolve/main/config.json%00.txt"))
    assert refused.status_code == 400 and "not a path in a repository" in refused.text
    assert requests.get(served.url(f"/{BERT}/resolve/main/..%2f..%2fetc%2fpasswd")).status_code == 400
    served.stop()
    assert fake_hub.requests() == []
    assert hubcache.json("ls")["hub_objects"] == []


def test_issue14_what_a_token_recorded_tells_no_one_else_which_files_exist(
        hubcache, fake_hub, serve, tmp_path):
    manifest = tmp_path / "gated.txt"
    manifest.write_text(f"{GATED}\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), manifest, env={"HF_TOKEN": TOKEN})
    assert done.returncode == 0, done.stderr
    fake_hub.stop()
    replay = serve(fake_hub.url, "--mode", "replay")
    with_token = {"Authorization": f"Bearer {TOKEN}"}
    # The token holder gets the Hub's own answers, 404 for a file that is not there included.
    missing = requests.get(replay.url(f"/{GATED}/resolve/main/missing.txt"), headers=with_token)
    assert (missing.status_code, missing.headers["X-Error-Code"]) == (404, "EntryNotFound")
    assert requests.get(replay.url(f"/{GATED}/resolve/main/config.json"), headers=with_token).ok
    # Anyone else: the same refusal for a file that exists and one that does not, no commit.
    for path in ("config.json", "missing.txt"):
        answer = requests.get(replay.url(f"/{GATED}/resolve/main/{path}"))
        assert (answer.status_code, answer.headers["X-Error-Code"]) == (401, "GatedRepo"), path
        assert "X-Repo-Commit" not in answer.headers
    replay.stop()
    # Nothing gated is baked, the file list included.
    archive = tmp_path / "cache.tar.zst"
    assert bake(hubcache.binary, hubcache.store, archive).returncode == 0
    raw = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        db = tmp_path / "baked.db"
        db.write_bytes(tar.extractfile("index.db").read())
    with sqlite3.connect(db) as connection:
        keys = [k for (k,) in connection.execute("SELECT key FROM exchanges")]
    assert not any("gated" in key for key in keys), keys


def test_issue14_an_answer_that_varies_is_keyed_or_not_recorded(serve, origin, hubcache):
    origin.add("/greeting", b"", script=[
        {"status": 200, "body": b"bonjour", "headers": {"Vary": "Accept-Language"}},
        {"status": 200, "body": b"hallo", "headers": {"Vary": "Accept-Language"}}])
    served = serve(origin.url())
    fr = requests.get(served.url("/greeting"), headers={"Accept-Language": "fr"})
    de = requests.get(served.url("/greeting"), headers={"Accept-Language": "de"})
    assert (fr.text, de.text) == ("bonjour", "hallo")
    again = requests.get(served.url("/greeting"), headers={"Accept-Language": "fr"})
    assert (again.text, again.headers["X-Hubcache"]) == ("bonjour", "hit")
    assert origin.count("/greeting") == 2

    # User-Agent is never sent on: whatever the client, the upstream saw hubcache's own.
    origin.add("/by-agent", b"", script=[
        {"status": 200, "body": b"for hubcache", "headers": {"Vary": "User-Agent"}}])
    first = requests.get(served.url("/by-agent"), headers={"User-Agent": "one"})
    second = requests.get(served.url("/by-agent"), headers={"User-Agent": "other"})
    assert (first.headers["X-Hubcache"], second.headers["X-Hubcache"]) == ("stored", "hit")
    assert origin.requests_for("/by-agent")[0].headers["User-Agent"].startswith("hubcache/")

    # Vary: * says no key will do: served, never recorded.
    origin.add("/anything", b"", script=[{"status": 200, "body": b"one", "headers": {"Vary": "*"}}])
    once = requests.get(served.url("/anything"))
    assert (once.text, once.headers["X-Hubcache"]) == ("one", "miss")
    served.stop()
    assert not [e for e in hubcache.json("ls")["exchanges"] if "/anything" in e["url"]]


def test_issue14_a_head_on_a_hub_file_fetches_no_body(fake_hub, serve, hubcache):
    served = serve(*fake_hub.upstream_args()[1:])
    path = f"/{BERT}/resolve/main/model.safetensors"
    size = len(repo_files(fake_hub, BERT)["model.safetensors"])
    head = requests.head(served.url(path))
    assert (head.status_code, head.headers["Content-Length"]) == (200, str(size))
    assert head.headers["X-Hubcache"] == "stored"
    assert {s.method for s in fake_hub.requests("hub")} == {"HEAD"}
    assert {s.method for s in fake_hub.requests("cdn")} <= {"HEAD"}
    assert requests.head(served.url(path)).headers["X-Hubcache"] == "hit"
    served.stop()
    assert hubcache.json("stats")["blobs"] == 0
    fake_hub.stop()
    replay = serve(fake_hub.url, "--mode", "replay")
    again = requests.head(replay.url(path))
    assert (again.status_code, again.headers["Content-Length"]) == (200, str(size))
    assert requests.get(replay.url(path)).status_code == 501  # the body was never recorded


def test_issue14_export_no_symlinks_shares_no_inode_with_the_store(fake_hub, serve, hubcache,
                                                                   tmp_path):
    served = serve(*fake_hub.upstream_args()[1:])
    assert requests.get(served.url(f"/{BERT}/resolve/main/config.json")).ok
    served.stop()
    out = tmp_path / "plain"
    assert hubcache.run("export", "--hf-cache", out, "--no-symlinks").returncode == 0
    (exported,) = out.rglob("config.json")
    (blob,) = [p for p in (hubcache.store / "blobs").rglob("*") if p.is_file()]
    assert os.stat(exported).st_ino != os.stat(blob).st_ino
    assert stat.S_IMODE(os.stat(blob).st_mode) == 0o444
    original = blob.read_bytes()
    exported.write_bytes(b"edited by a user")
    assert blob.read_bytes() == original
    assert hubcache.json("verify")["problems"] == []
