"""`datasets` and `HfFileSystem`, unchanged, through `hubcache run` (issue 15): each suite is
recorded from the fake Hub, replayed `--strict` with the Hub stopped (a listener on its ports
counts connection attempts: none), from a fresh client cache, and exported to an HF cache that
the client reads offline. Both client generations: datasets 5 on huggingface_hub 2.x (.venv)
and datasets 4 on huggingface_hub 0.36 (.venv-hub0)."""

import csv
import hashlib
import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import CLIENT_VENVS

pytest.importorskip("pyarrow", reason="the fake Hub's parquet files need pyarrow (datasets brings it)")
import pyarrow.parquet as pq  # noqa: E402

CLIENT = Path(__file__).resolve().parent / "clients" / "datasets_client.py"
TINY = "acme/tiny-dataset"
DISCOVERED = "acme/tiny-discovered"
PARQUET = "acme/tiny-parquet"
# What the environment of whoever runs the tests must not decide for the client (HF_ENDPOINT is
# `run`'s to set).
CLEARED = ["HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_HUB_OFFLINE",
           "HF_DATASETS_OFFLINE", "HF_TOKEN", "HF_HUB_ENABLE_HF_TRANSFER", "HF_XET_HIGH_PERFORMANCE"]


@pytest.fixture(params=sorted(CLIENT_VENVS))
def generation(request):
    python = CLIENT_VENVS[request.param] / "bin" / "python"
    if not python.exists():
        pytest.exit(f"{python} does not exist; run ./scripts/setup", 2)
    return request.param


def client_argv(generation, home, actions, **env):
    """The client script in one venv, with its own HF_HOME (a fresh client cache per run)."""
    unset = [arg for name in CLEARED if name not in env for arg in ("-u", name)]
    assigned = [f"{name}={value}" for name, value in env.items()]
    return ["env", *unset, f"HF_HOME={home}", "HF_HUB_DISABLE_PROGRESS_BARS=1",
            "HF_DATASETS_DISABLE_PROGRESS_BARS=1", *assigned,
            str(CLIENT_VENVS[generation] / "bin" / "python"), str(CLIENT), json.dumps(actions)]


def results_of(done):
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary_of(done):
    lines = [line for line in done.stderr.splitlines() if re.search(r"\d+ requests: ", line)]
    assert len(lines) == 1, done.stderr[-3000:]
    return lines[0]


def files_of(hub, repo_id, revision="main"):
    repo = hub.repos[("dataset", repo_id)]
    return repo.commits[repo.refs.get(revision, revision)]


def csv_rows(data):
    return [{"text": row["text"], "label": int(row["label"])}
            for row in csv.DictReader(io.StringIO(data.decode()))]


def jsonl_rows(data):
    return [json.loads(line) for line in data.decode().splitlines()]


def parquet_rows(data):
    return pq.read_table(io.BytesIO(data)).to_pylist()


def expected_rows(hub):
    """The rows each load must give, read from the fake Hub's own files."""
    tiny = files_of(hub, TINY)
    found = files_of(hub, DISCOVERED)
    return {
        TINY: {"test": csv_rows(tiny["data/test.csv"]),
               "train": csv_rows(tiny["data/train-00000-of-00002.csv"])
               + csv_rows(tiny["data/train-00001-of-00002.csv"])},
        (TINY, "test_only"): {"test": csv_rows(tiny["data/test.csv"])},
        DISCOVERED: {"train": jsonl_rows(found["data/train-00000-of-00002.jsonl"])
                     + jsonl_rows(found["data/train-00001-of-00002.jsonl"]),
                     "validation": jsonl_rows(found["data/validation-00000-of-00001.jsonl"])},
        PARQUET: {"train": parquet_rows(files_of(hub, PARQUET)["numbers/train.parquet"])},
    }


def digest(data):
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def record_replay(hubcache, fake_hub, sentinel, tmp_path, generation, actions):
    """Records `actions`, stops the Hub, replays them --strict from a fresh client cache;
    returns the results of each and the --report of each."""
    hub = [*fake_hub.upstream_args(), *fake_hub.viewer_args()]
    record_report = tmp_path / "record.json"
    record = hubcache.run("run", *hub, "--mode", "record", "--report", str(record_report), "--",
                          *client_argv(generation, tmp_path / "home-record", actions),
                          timeout=600)
    assert record.returncode == 0, record.stderr[-3000:]
    recorded = results_of(record)
    assert " 0 missed" in summary_of(record)

    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    report = tmp_path / "replay.json"
    replay = hubcache.run("run", *hub, "--mode", "replay", "--strict",
                          "--report", str(report), "--",
                          *client_argv(generation, tmp_path / "home-replay", actions),
                          timeout=600)
    assert replay.returncode == 0, replay.stderr[-3000:]
    assert watch.connections == 0
    replayed = json.loads(report.read_text())
    assert replayed["misses"] == 0 and replayed["missed"] == []
    return recorded, results_of(replay), json.loads(record_report.read_text()), replayed


def export_offline(hubcache, tmp_path, generation, actions):
    """Exports the store to an HF cache and runs `actions` on it with the network off."""
    out = tmp_path / "hf-cache"
    done = hubcache.run("export", "--hf-cache", str(out))
    assert done.returncode == 0, done.stderr
    argv = client_argv(generation, tmp_path / "home-offline", actions, HF_HUB_CACHE=out,
                       HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1,
                       HF_ENDPOINT="http://127.0.0.1:9")  # nothing listens: any request fails
    offline = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert offline.returncode == 0, offline.stderr[-3000:]
    return results_of(offline)


def test_issue15_load_dataset_records_replays_strict_and_exports(hubcache, fake_hub, sentinel,
                                                                 tmp_path, generation):
    """load_dataset of a repo whose card's `configs:` name the files (and a second config),
    of one whose splits are found by file name, and of an LFS parquet file."""
    want = expected_rows(fake_hub)
    actions = [{"op": "load", "repo": TINY}, {"op": "load", "repo": TINY, "name": "test_only"},
               {"op": "load", "repo": DISCOVERED}, {"op": "load", "repo": PARQUET}]
    expected = [{"rows": want[TINY]}, {"rows": want[(TINY, "test_only")]},
                {"rows": want[DISCOVERED]}, {"rows": want[PARQUET]}]
    recorded, replayed, record_report, replay_report = record_replay(
        hubcache, fake_hub, sentinel, tmp_path, generation, actions)
    assert recorded == expected
    assert replayed == expected
    # The files came from the store in replay, the listings too (no answer made up).
    served = {(r["method"], r["url"].split("?")[0]): r["cache"] for r in replay_report["served"]}
    commit = fake_hub.repos[("dataset", TINY)].refs["main"]
    for path in ("data/train-00000-of-00002.csv", "data/train-00001-of-00002.csv",
                 "data/test.csv"):
        assert served[("GET", f"{fake_hub.url}/datasets/{TINY}/resolve/{commit}/{path}")] == "hit"
    assert served[("HEAD", f"{fake_hub.url}/datasets/{TINY}/resolve/{commit}/tiny-dataset.py")] \
        == "hit"  # the EntryNotFound datasets expects, replayed
    if generation == "hub-latest":
        # datasets 5 asked the dataset viewer (through `run`'s proxy) for each main-revision
        # load: recorded, replayed as recorded, and optional. (datasets 4 asks with requests,
        # which matches NO_PROXY=127.0.0.1 as a suffix of datasets-server.127.0.0.1: it never
        # reaches hubcache and fails to resolve, which datasets tolerates alike.)
        asked = sorted({s.path for s in fake_hub.requests("hub", "/info")})
        assert asked == sorted(f"/info?dataset={repo}" for repo in (TINY, DISCOVERED, PARQUET))
        for report in (record_report, replay_report):
            viewer = [r for r in report["side_requests"] if "/info?dataset=" in r["url"]]
            assert viewer and all(r["kind"] == "optional" for r in viewer), report["side_requests"]
        assert {r["cache"] for r in replay_report["side_requests"] if "/info?" in r["url"]} \
            == {"hit"}

    # A Hub cache alone does not make load_dataset("org/name") work offline (datasets then
    # looks only in its own cache of prepared datasets): a suite loads the snapshot folder.
    offline = export_offline(hubcache, tmp_path, generation, [
        {"op": "load_snapshot", "repo": TINY}, {"op": "load_snapshot", "repo": DISCOVERED},
        {"op": "load_snapshot", "repo": PARQUET}])
    assert offline == [{"rows": want[TINY]}, {"rows": want[DISCOVERED]}, {"rows": want[PARQUET]}]


def test_issue15_streaming_reads_ranges_and_replays_strict(hubcache, fake_hub, sentinel,
                                                           tmp_path, generation):
    """streaming=True iterates every row: csv and jsonl read through HfFileSystem files, the
    parquet file by its footer and row groups (ranged GETs, from the end too)."""
    want = expected_rows(fake_hub)
    actions = [{"op": "load", "repo": TINY, "streaming": True},
               {"op": "load", "repo": DISCOVERED, "streaming": True},
               {"op": "load", "repo": PARQUET, "streaming": True}]
    expected = [{"rows": want[TINY]}, {"rows": want[DISCOVERED]}, {"rows": want[PARQUET]}]
    recorded, replayed, *_ = record_replay(hubcache, fake_hub, sentinel, tmp_path, generation, actions)
    assert recorded == expected
    assert replayed == expected

    offline = export_offline(hubcache, tmp_path, generation, [
        {"op": "load_snapshot", "repo": PARQUET}, {"op": "load_snapshot", "repo": DISCOVERED}])
    assert offline == [{"rows": want[PARQUET]}, {"rows": want[DISCOVERED]}]


def test_issue15_hf_file_system_records_replays_strict_and_exports(hubcache, fake_hub, sentinel,
                                                                   tmp_path, generation):
    tiny = files_of(fake_hub, TINY)
    numbers = files_of(fake_hub, PARQUET)["numbers/train.parquet"]
    events = files_of(fake_hub, DISCOVERED)["data/train-00001-of-00002.jsonl"]
    converted = files_of(fake_hub, TINY, "refs/convert/parquet")
    commit = fake_hub.repos[("dataset", TINY)].refs["main"]
    assert fake_hub.repos[("dataset", PARQUET)].is_lfs("numbers/train.parquet", numbers)
    assert fake_hub.repos[("dataset", DISCOVERED)].is_lfs("x", events)
    base = f"datasets/{TINY}"
    expected = [
        ({"op": "ls", "path": f"{base}/data"},
         {"entries": sorted([f"{base}/{p}", "file", len(d)] for p, d in tiny.items()
                            if p.startswith("data/"))}),
        ({"op": "ls", "path": f"{base}@{commit}"},
         {"entries": sorted([[f"{base}@{commit}/README.md", "file", len(tiny["README.md"])],
                             [f"{base}@{commit}/data", "directory", 0]])}),
        ({"op": "glob", "pattern": f"datasets/{DISCOVERED}/**/*.jsonl"},
         {"paths": sorted(f"datasets/{DISCOVERED}/{p}" for p in files_of(fake_hub, DISCOVERED)
                          if p.endswith(".jsonl"))}),
        ({"op": "glob", "pattern": f"{base}@refs%2Fconvert%2Fparquet/**/*.parquet"},
         {"paths": sorted(f"{base}@refs%2Fconvert%2Fparquet/{p}" for p in converted)}),
        ({"op": "info", "path": f"datasets/{PARQUET}/numbers/train.parquet"},
         {"type": "file", "size": len(numbers)}),
        ({"op": "read", "path": f"{base}/data/test.csv"}, digest(tiny["data/test.csv"])),
        ({"op": "read", "path": f"datasets/{DISCOVERED}/data/train-00001-of-00002.jsonl",
          "offset": 1000, "length": 333, "block_size": 256}, digest(events[1000:1333])),
        ({"op": "read", "path": f"datasets/{PARQUET}/numbers/train.parquet", "offset": -8},
         digest(numbers[-8:])),
        ({"op": "read", "path": f"datasets/{PARQUET}/numbers/train.parquet", "offset": -1000,
          "block_size": 100}, digest(numbers[-1000:])),
        ({"op": "read", "path": f"{base}@refs/convert/parquet/default/test/0000.parquet",
          "offset": -8}, digest(converted["default/test/0000.parquet"][-8:])),
        ({"op": "stream", "path": f"datasets/{PARQUET}/numbers/train.parquet", "chunk": 5000},
         digest(numbers)),
        ({"op": "range", "repo": PARQUET, "file": "numbers/train.parquet",
          "range": f"bytes={len(numbers) - 10}-{len(numbers)}"},
         {"status": 206, "content_range": f"bytes {len(numbers) - 10}-{len(numbers) - 1}/"
                                          f"{len(numbers)}", **digest(numbers[-10:])}),
        ({"op": "range", "repo": PARQUET, "file": "numbers/train.parquet",
          "range": f"bytes={len(numbers)}-"},
         {"status": 416, "content_range": f"bytes */{len(numbers)}", **digest(b"")}),
    ]
    actions = [action for action, _ in expected]
    recorded, replayed, *_ = record_replay(hubcache, fake_hub, sentinel, tmp_path, generation, actions)
    for (action, want), got in zip(expected, recorded):
        assert got == want, action
    assert replayed == recorded

    offline = export_offline(hubcache, tmp_path, generation, [
        {"op": "snapshot_files", "repo": PARQUET}])
    assert offline[0]["files"]["numbers/train.parquet"] == digest(numbers)["sha256"]


@pytest.mark.parametrize("status", [404, 500])
def test_issue15_a_failing_dataset_viewer_changes_nothing(hubcache, fake_hub, sentinel, tmp_path,
                                                          status):
    """datasets asks the dataset viewer's /info for the features of a main-revision load and
    carries on without it: through hubcache, whatever the viewer answered, the rows are the
    same in record and in a --strict replay."""
    fake_hub.viewer_failure = status
    want = expected_rows(fake_hub)
    recorded, replayed, _, replay_report = record_replay(
        hubcache, fake_hub, sentinel, tmp_path, "hub-latest", [{"op": "load", "repo": TINY}])
    assert recorded == replayed == [{"rows": want[TINY]}]
    assert [s.path for s in fake_hub.requests("hub", "/info")] == [f"/info?dataset={TINY}"]
    assert [r["kind"] for r in replay_report["side_requests"] if "/info?" in r["url"]] \
        == ["optional"]
