"""Command-line Hub clients through `hubcache run` (issue 15): the `hf` CLI (and 0.36's
`huggingface-cli`) downloading a file at a tag and a snapshot with --include, and
huggingface_hub 0.36 with hf_transfer's parallel ranged GETs. Each is recorded, replayed
--strict with the fake Hub stopped (a listener on its ports counts 0 connection attempts) into
a fresh HF_HOME, and loaded offline from `hubcache export`. Also the Hub's current redirect
shape for small files, a relative 307 to /api/resolve-cache/ (hf-protocol.md §11.1), which the
fake Hub answers by default."""

import hashlib
import json
import random
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import CLIENT_VENVS
from test_hub_clients import BERT, repo_files

BIG = "hubcache-demo/big"
# hf_transfer takes over above 5 download chunks of 10 MiB (huggingface_hub 0.36's http_get);
# the odd tail makes the last range end one byte past the end of the file.
BIG_SIZE = 5 * 10 * 1024 * 1024 + 4321

# (venv, program): the `hf` CLI in both client generations, and 0.36's older name for it.
CLIS = {"hub-latest/hf": ("hub-latest", "hf"), "hub-0.x/hf": ("hub-0.x", "hf"),
        "hub-0.x/huggingface-cli": ("hub-0.x", "huggingface-cli")}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli_env(home, **extra):
    """The `env` words that give a CLI its own HF_HOME and nothing else of the test's."""
    return ["env", "-u", "HF_HUB_CACHE", "-u", "HF_HUB_OFFLINE", "-u", "HF_TOKEN",
            f"HF_HOME={home}", "HF_HUB_DISABLE_PROGRESS_BARS=1",
            *(f"{k}={v}" for k, v in extra.items())]


def snapshot(home, repo_id, commit, repo_type="model"):
    """{path: sha256} of a snapshot folder in the HF cache under `home`."""
    root = home / "hub" / f"{repo_type}s--{repo_id.replace('/', '--')}" / "snapshots" / commit
    return {str(p.relative_to(root)): sha(p.read_bytes()) for p in sorted(root.rglob("*"))
            if p.is_file()}


def run(hubcache, fake_hub, mode, command, report):
    """`hubcache run` in `mode`, its --report at `report` and its access log beside it."""
    args = ["run", *fake_hub.upstream_args()]
    if mode == "replay":
        args = ["run", "--upstream", fake_hub.url, "--mode", "replay", "--strict"]
    return hubcache.run(*args, "--report", str(report), "--log", str(report) + ".log", "--",
                        *command, timeout=300)


def access_log(report):
    lines = [json.loads(line) for line in open(str(report) + ".log") if line.strip()]
    return [line for line in lines if line.get("event") == "access"]


@pytest.fixture
def tagged_bert(fake_hub):
    """tiny-bert with main moved past the v1.0 tag: a file at the tag is not the one at main."""
    bert = fake_hub.repos[("model", BERT)]
    tagged = bert.refs["v1.0"]
    fake_hub.commit(BERT, {"config.json": b'{"model_type": "bert", "hidden_size": 32}\n',
                           "extra.json": b'{"only": "at main"}\n'})
    return tagged, bert.refs["main"]


@pytest.mark.parametrize("cli", sorted(CLIS))
def test_issue15_hf_cli_download_at_a_tag_and_a_snapshot_with_include(
        cli, hubcache, fake_hub, tagged_bert, sentinel, tmp_path):
    venv, program = CLIS[cli]
    hf = str(CLIENT_VENVS[venv] / "bin" / program)
    tagged, main = tagged_bert
    at_tag = repo_files(fake_hub, BERT, revision=tagged)
    at_main = repo_files(fake_hub, BERT)
    assert at_tag["config.json"] != at_main["config.json"]
    want_json = {p: sha(d) for p, d in at_main.items() if p.endswith(".json")}
    script = (f"{shlex.quote(hf)} download {BERT} config.json --revision v1.0 && "
              f"{shlex.quote(hf)} download {BERT} --include '*.json'")

    def check(home):
        assert snapshot(home, BERT, tagged) == {"config.json": sha(at_tag["config.json"])}
        assert snapshot(home, BERT, main) == want_json
        refs = home / "hub" / f"models--{BERT.replace('/', '--')}" / "refs"
        assert (refs / "v1.0").read_text() == tagged and (refs / "main").read_text() == main

    recorded = run(hubcache, fake_hub, "record", [*cli_env(tmp_path / "h1"), "sh", "-c", script],
                   tmp_path / "record.json")
    assert recorded.returncode == 0, recorded.stderr
    check(tmp_path / "h1")

    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    replayed = run(hubcache, fake_hub, "replay", [*cli_env(tmp_path / "h2"), "sh", "-c", script],
                   tmp_path / "replay.json")
    assert replayed.returncode == 0, replayed.stderr
    check(tmp_path / "h2")
    assert json.loads((tmp_path / "replay.json").read_text())["misses"] == 0
    assert watch.connections == 0

    # The export is an HF cache the same CLI reads with the network off.
    out = tmp_path / "export"
    done = hubcache.run("export", "--hf-cache", str(out))
    assert done.returncode == 0, done.stderr
    offline = cli_env(tmp_path / "h3", HF_HUB_CACHE=out, HF_HUB_OFFLINE=1,
                      HF_ENDPOINT="http://127.0.0.1:9")
    for args, want in ((["config.json", "--revision", "v1.0"], sha(at_tag["config.json"])),
                       (["--include", "*.json"], want_json)):
        loaded = subprocess.run([*offline, hf, "download", BERT, *args], capture_output=True,
                                text=True, timeout=120)
        assert loaded.returncode == 0, loaded.stderr
        # hf >= 1 prints "path: P" under a check mark, 0.36 the path alone.
        path = Path(loaded.stdout.strip().splitlines()[-1].strip().removeprefix("path: "))
        assert path.is_relative_to(out), loaded.stdout
        if path.is_file():
            assert sha(path.read_bytes()) == want
        else:
            assert {str(p.relative_to(path)): sha(p.read_bytes()) for p in path.rglob("*.json")} \
                == want
    assert watch.connections == 0


def test_issue15_resolve_cache_redirect_is_recorded_as_the_hub_object(
        hubcache, fake_hub, serve, sentinel, tmp_path):
    """A small file's resolve is a relative 307 to /api/resolve-cache/ (the Hub since 2025);
    hubcache follows it, records the file at its commit, and answers the resolve-cache URL,
    the resolve by branch and by commit alike from that one object."""
    import requests
    from fake_hub import git_blob_sha1
    commit = fake_hub.repos[("model", BERT)].refs["main"]
    files = repo_files(fake_hub, BERT)

    def resolve_cache(path):
        etag = git_blob_sha1(files[path])
        return (f"/api/resolve-cache/models/{BERT}/{commit}/{path}?%2F{BERT.replace('/', '%2F')}"
                f"%2Fresolve%2Fmain%2F{path}=&etag=%22{etag}%22")

    recording = serve(fake_hub.url, *fake_hub.allow_args())
    got = requests.get(recording.url(f"/{BERT}/resolve/main/config.json"), timeout=30,
                       allow_redirects=False)
    assert got.status_code == 200 and got.content == files["config.json"]
    assert got.headers["X-Repo-Commit"] == commit
    assert got.headers["ETag"] == f'"{git_blob_sha1(files["config.json"])}"'
    # The fake Hub answered the shape under test: the 307, then the resolve-cache URL.
    assert fake_hub.requests(path_prefix=f"/api/resolve-cache/models/{BERT}/{commit}/config.json")
    # A client handed the resolve-cache URL (huggingface_hub 1.x GETs where its HEAD ended).
    handed = requests.get(recording.url(resolve_cache("vocab.txt")), timeout=30)
    assert handed.status_code == 200 and handed.content == files["vocab.txt"]
    assert handed.headers["X-Repo-Commit"] == commit
    head = requests.head(recording.url(f"/{BERT}/resolve/main/tokenizer_config.json"), timeout=30)
    assert head.status_code == 200 and head.headers["X-Repo-Commit"] == commit
    assert recording.stop() == 0

    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    replay = serve(fake_hub.url, "--mode", "replay")
    for path in ("config.json", "vocab.txt"):
        for target in (f"/{BERT}/resolve/main/{path}", f"/{BERT}/resolve/{commit}/{path}",
                       resolve_cache(path)):
            got = requests.get(replay.url(target), timeout=30)
            assert got.status_code == 200, (target, got.status_code, got.text)
            assert got.content == files[path], target
            assert got.headers["X-Hubcache"] == "hit", target
            assert got.headers["ETag"] == f'"{git_blob_sha1(files[path])}"', target
            assert got.headers["X-Repo-Commit"] == commit, target
    ranged = requests.get(replay.url(resolve_cache("config.json")), timeout=30,
                          headers={"Range": "bytes=2-9"})
    assert ranged.status_code == 206 and ranged.content == files["config.json"][2:10]
    head = requests.head(replay.url(f"/{BERT}/resolve/main/tokenizer_config.json"), timeout=30)
    assert head.status_code == 200 and head.headers["X-Repo-Commit"] == commit
    assert int(head.headers["Content-Length"]) == len(files["tokenizer_config.json"])
    assert replay.stop() == 0
    assert watch.connections == 0

    out = tmp_path / "export"
    done = hubcache.run("export", "--hf-cache", str(out))
    assert done.returncode == 0, done.stderr
    root = out / f"models--{BERT.replace('/', '--')}" / "snapshots" / commit
    assert (root / "config.json").read_bytes() == files["config.json"]
    assert (root / "vocab.txt").read_bytes() == files["vocab.txt"]


@pytest.fixture
def big_repo(fake_hub):
    data = random.Random(15).randbytes(BIG_SIZE)
    fake_hub.add_repo(BIG, {"model.safetensors": data})
    return data


def test_issue15_hf_transfer_ranges_record_and_replay(hubcache, fake_hub, big_repo, sentinel,
                                                      tmp_path):
    """huggingface_hub 0.36 with HF_HUB_ENABLE_HF_TRANSFER=1: a bytes=0-0 probe, then parallel
    10 MiB ranges whose last one ends one byte past the end (hf-protocol.md §11.4)."""
    hf = str(CLIENT_VENVS["hub-0.x"] / "bin" / "hf")
    commit = fake_hub.repos[("model", BIG)].refs["main"]

    def download(mode, home):
        report = tmp_path / f"{mode}.json"
        done = run(hubcache, fake_hub, mode,
                   [*cli_env(home, HF_HUB_ENABLE_HF_TRANSFER=1), hf, "download", BIG,
                    "model.safetensors"], report)
        assert done.returncode == 0, done.stderr
        assert snapshot(home, BIG, commit) == {"model.safetensors": sha(big_repo)}
        gets = [(line["status"], line["bytes"]) for line in access_log(report)
                if line["method"] == "GET" and line["url"].endswith("/model.safetensors")]
        # The probe (one byte) and six ranges, the last one short; never a 416.
        ranges = sorted(n for status, n in gets if status == 206)
        assert ranges == [1, BIG_SIZE % (10 << 20)] + [10 << 20] * 5, gets
        assert 416 not in dict(gets), gets
        return json.loads(report.read_text())

    download("record", tmp_path / "h1")
    # The ranges were cut from the one fetch of the file, not each asked upstream.
    assert [s.method for s in fake_hub.requests("cdn")] == ["HEAD", "GET"]
    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    assert download("replay", tmp_path / "h2")["misses"] == 0
    assert watch.connections == 0
    # The export holds the whole file, which the same client loads with the network off.
    out = tmp_path / "export"
    done = hubcache.run("export", "--hf-cache", str(out))
    assert done.returncode == 0, done.stderr
    offline = cli_env(tmp_path / "h3", HF_HUB_CACHE=out, HF_HUB_OFFLINE=1,
                      HF_HUB_ENABLE_HF_TRANSFER=1, HF_ENDPOINT="http://127.0.0.1:9")
    loaded = subprocess.run([*offline, hf, "download", BIG, "model.safetensors"],
                            capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    path = Path(loaded.stdout.strip().splitlines()[-1].strip().removeprefix("path: "))
    assert path.is_relative_to(out) and sha(path.read_bytes()) == sha(big_repo)
