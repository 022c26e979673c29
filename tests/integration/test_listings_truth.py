"""A listing replay makes is the truth or a miss (issue 15). A listing asked in a shape that was
not recorded is made from the commit's complete file list, learned from a recorded listing that
names every file (a recursive tree listing of the root, all its pages; or repo info with its
siblings), never from the files the store happens to hold: made from those, `ls data/` showed
one file of three, served as a hit."""

import json
import subprocess

import requests

from conftest import CLIENT_VENVS

REPO = "acme/listing-truth"
BIG = b"\x00\x01" * 8000  # over the fake Hub's LFS threshold: an LFS entry, with a xetHash
FILES = {
    "README.md": b"# listing truth\n",
    "data/a.csv": b"x\n1\n",
    "data/b.csv": b"x\n2\n",
    "data/c.csv": b"x\n3\n",
    "data/nested/d.csv": b"x\n4\n",
    "data/big.bin": BIG,
    "other/e.txt": b"e\n",
}
# What hubcache takes out of every listing it serves (Xet is off through it).
STRIPPED = ("xetHash",)


def strip(entries):
    return [{k: v for k, v in entry.items() if k not in STRIPPED} for entry in entries]


def all_pages(base, path, method="GET", data=None):
    """Every entry of a paginated listing, following its Links."""
    url, entries = base + path, []
    for _ in range(100):
        response = requests.request(method, url, data=data, timeout=30)
        assert response.status_code == 200, (url, response.status_code, response.text)
        entries += response.json()
        url = response.links.get("next", {}).get("url")
        if not url:
            return entries, response
    raise AssertionError("more than 100 pages")


def add_repo(fake_hub):
    fake_hub.add_repo(REPO, FILES, repo_type="dataset")
    return fake_hub.repos[("dataset", REPO)].refs["main"]


SHAPES = [
    # (what, method, path, form body)
    ("2.x ls of a folder", "GET", "/api/datasets/{r}/tree/{c}/data?recursive=false&expand=false", None),
    ("0.36 ls of a folder", "GET", "/api/datasets/{r}/tree/{c}/data?recursive=True&expand=False", None),
    ("a nested folder", "GET", "/api/datasets/{r}/tree/{c}/data/nested?recursive=false&expand=false", None),
    ("the root, one level", "GET", "/api/datasets/{r}/tree/{c}?recursive=false&expand=false", None),
    ("the root, all levels", "GET", "/api/datasets/{r}/tree/{c}?recursive=true&expand=false", None),
    ("a folder, all levels", "GET", "/api/datasets/{r}/tree/{c}/data?recursive=1", None),
    ("paths-info", "POST", "/api/datasets/{r}/paths-info/{c}",
     "paths=data&paths=data/a.csv&paths=data/big.bin&paths=missing.txt&expand=false"),
]


def shape_path(template, commit):
    return template.format(r=REPO, c=commit)


def test_issue15_a_listing_is_never_made_up_from_part_of_a_commit(serve, fake_hub, sentinel,
                                                                   tmp_path):
    commit = add_repo(fake_hub)
    # What the Hub itself answers for each shape, asked before it stops.
    truth = {what: strip(all_pages(fake_hub.url, shape_path(path, commit), method, body)[0])
             for what, method, path, body in SHAPES}
    assert len([e for e in truth["2.x ls of a folder"] if e["type"] == "file"]) == 4

    # Recorded: two files of the commit, and no listing that names them all.
    record = serve(fake_hub.url, "--mode", "record")
    for path in ("data/a.csv", "data/big.bin"):
        got = requests.get(record.url(f"/datasets/{REPO}/resolve/{commit}/{path}"), timeout=30)
        assert got.status_code == 200 and got.content == FILES[path]
    # and a listing of one folder in one shape, which names only that folder's files.
    folder, _ = all_pages(record.url(), f"/api/datasets/{REPO}/tree/{commit}/data?recursive=false&expand=false")
    assert strip(folder) == truth["2.x ls of a folder"]
    assert record.stop() == 0

    upstream = fake_hub.url
    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    replay = serve(upstream, "--mode", "replay")
    # The recorded shape replays as recorded.
    again, response = all_pages(replay.url(), f"/api/datasets/{REPO}/tree/{commit}/data?recursive=false&expand=false")
    assert strip(again) == truth["2.x ls of a folder"] and response.headers["X-Hubcache"] == "hit"
    # Every other shape is a miss: the store does not know every file of the commit.
    for what, method, path, body in SHAPES[1:]:
        response = requests.request(method, replay.url(shape_path(path, commit)), data=body, timeout=30)
        assert response.status_code >= 400, (what, response.status_code, response.text)
        assert response.headers.get("X-Hubcache") == "miss", what
    info = requests.get(replay.url(f"/api/datasets/{REPO}/revision/{commit}"), timeout=30)
    assert info.status_code >= 400 and info.headers.get("X-Hubcache") == "miss"
    assert replay.stop() == 0
    assert watch.connections == 0


def test_issue15_a_recursive_listing_answers_every_shape_truly(serve, fake_hub, sentinel, tmp_path):
    """One recursive listing of the root (three pages at the fake Hub's page size, asked as
    huggingface_hub 0.36 asks) makes the commit's complete list: every other shape is made
    from it, equal to the Hub's own answer, files the store never fetched included."""
    commit = add_repo(fake_hub)
    truth = {what: strip(all_pages(fake_hub.url, shape_path(path, commit), method, body)[0])
             for what, method, path, body in SHAPES}
    siblings = [{"rfilename": p} for p in sorted(FILES)]

    record = serve(fake_hub.url, "--mode", "record")
    listed, _ = all_pages(record.url(), f"/api/datasets/{REPO}/tree/{commit}?recursive=True&expand=False")
    assert len(listed) > 3  # paginated: the list is complete only with its last page
    got = requests.get(record.url(f"/datasets/{REPO}/resolve/{commit}/data/a.csv"), timeout=30)
    assert got.status_code == 200
    assert record.stop() == 0

    upstream = fake_hub.url
    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    replay = serve(upstream, "--mode", "replay")
    for what, method, path, body in SHAPES:
        response = requests.request(method, replay.url(shape_path(path, commit)), data=body, timeout=30)
        assert response.status_code == 200, (what, response.status_code, response.text)
        assert response.headers["X-Hubcache"] == "hit", what
        assert response.json() == truth[what], what
    info = requests.get(replay.url(f"/api/datasets/{REPO}/revision/{commit}"), timeout=30)
    assert info.status_code == 200 and info.json()["sha"] == commit
    assert info.json()["siblings"] == siblings
    assert replay.stop() == 0
    assert watch.connections == 0


def test_issue15_a_listing_cut_short_names_no_commit(serve, fake_hub, tmp_path):
    """The first page of a recursive listing alone is not the commit's list (nor is it with a
    file of the commit held)."""
    commit = add_repo(fake_hub)
    record = serve(fake_hub.url, "--mode", "record")
    got = requests.get(record.url(f"/datasets/{REPO}/resolve/{commit}/data/a.csv"), timeout=30)
    assert got.status_code == 200
    first = requests.get(record.url(f"/api/datasets/{REPO}/tree/{commit}?recursive=True&expand=False"),
                         timeout=30)
    assert first.status_code == 200 and "next" in first.links
    assert record.stop() == 0
    replay = serve(fake_hub.url, "--mode", "replay")
    response = requests.get(replay.url(f"/api/datasets/{REPO}/tree/{commit}/data?recursive=false"),
                            timeout=30)
    assert response.status_code >= 400 and response.headers.get("X-Hubcache") == "miss"


def run_client(generation, endpoint, home, script):
    python = CLIENT_VENVS[generation] / "bin" / "python"
    env = {"HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_issue15_listed_by_one_client_generation_read_by_the_other(serve, fake_hub, sentinel,
                                                                    tmp_path):
    """huggingface_hub 0.36 lists the repo (recursive=True&expand=False); 2.x's HfFileSystem
    then lists a folder (recursive=false) from the replay: the true folder, every file."""
    commit = add_repo(fake_hub)
    record = serve(fake_hub.url, "--mode", "record")
    listed = run_client("hub-0.x", record.url(), tmp_path / "home0", f"""
import json
from huggingface_hub import HfApi
print(json.dumps(sorted(HfApi().list_repo_files({REPO!r}, repo_type="dataset", revision={commit!r}))))
""")
    assert listed == sorted(FILES)
    assert record.stop() == 0

    upstream = fake_hub.url
    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    replay = serve(upstream, "--mode", "replay")
    seen = run_client("hub-latest", replay.url(), tmp_path / "home1", f"""
import json
from huggingface_hub import HfFileSystem
fs = HfFileSystem()
entries = fs.ls("datasets/{REPO}@{commit}/data", detail=True)
print(json.dumps(sorted([e["name"].split("/data/", 1)[1], e["type"], e["size"]] for e in entries)))
""")
    assert seen == [["a.csv", "file", 4], ["b.csv", "file", 4], ["big.bin", "file", len(BIG)],
                    ["c.csv", "file", 4], ["nested", "directory", 0]]
    assert replay.stop() == 0
    assert watch.connections == 0


def test_issue15_datasets_recorded_by_one_generation_replayed_by_the_other(hubcache, fake_hub,
                                                                           sentinel, tmp_path):
    """datasets 5 (huggingface_hub 2.x) records load_dataset(..., "test_only"); datasets 4
    (0.36) replays it, asking its listings in other shapes. It gets a miss that --strict
    reports, never a dataset made from part of the commit's files (the issue: "Couldn't infer
    the same data file format for all splits", with 0 misses)."""
    from test_datasets_clients import TINY, client_argv, expected_rows, results_of

    def commit_of(hub, repo_id):
        return hub.repos[("dataset", repo_id)].refs["main"]

    hub = [*fake_hub.upstream_args(), *fake_hub.viewer_args()]
    actions = [{"op": "load", "repo": TINY, "name": "test_only"}]
    want = expected_rows(fake_hub)[(TINY, "test_only")]
    record = hubcache.run("run", *hub, "--mode", "record", "--",
                          *client_argv("hub-latest", tmp_path / "home-record", actions), timeout=600)
    assert record.returncode == 0, record.stderr[-3000:]
    assert results_of(record) == [{"rows": want}]

    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    report = tmp_path / "replay.json"
    replay = hubcache.run("run", *hub, "--mode", "replay", "--strict", "--report", str(report),
                          "--", *client_argv("hub-0.x", tmp_path / "home-replay", actions),
                          timeout=600)
    assert watch.connections == 0
    replayed = json.loads(report.read_text())
    # datasets 5 recorded no listing that names every file of the commit (its listings are of
    # data/, one level), so 0.36's recursive listing of data/ is not made up: a miss, reported,
    # and no rows.
    assert replay.returncode == 3, replay.stderr[-3000:]
    assert [(m["kind"], m["url"].split("?")[0].rsplit("/", 2)[1:]) for m in replayed["missed"]] \
        == [("listing", [commit_of(fake_hub, TINY), "data"])], replayed["missed"]
    assert [r.get("rows") for r in results_of(replay)] == [None]


def test_issue15_a_preloaded_store_lists_every_file_of_the_commit(hubcache, serve, fake_hub,
                                                                  sentinel, tmp_path):
    """preload lists the commit recursively (and fetches only what its globs select): the
    store knows every file, so a folder's listing in replay is the Hub's, files not fetched
    included, at the branch too."""
    commit = add_repo(fake_hub)
    truth = strip(all_pages(fake_hub.url, f"/api/datasets/{REPO}/tree/{commit}/data?recursive=false&expand=false")[0])
    manifest = tmp_path / "manifest.txt"
    manifest.write_text(f"dataset:{REPO} include=data/a.csv\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--json", str(manifest))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["files"] == 1

    upstream = fake_hub.url
    fake_hub.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port)
    replay = serve(upstream, "--mode", "replay")
    for revision in (commit, "main"):
        response = requests.get(replay.url(f"/api/datasets/{REPO}/tree/{revision}/data?recursive=false&expand=false"),
                                timeout=30)
        assert response.status_code == 200, (revision, response.text)
        assert response.json() == truth and response.headers["X-Hubcache"] == "hit"
    assert replay.stop() == 0
    assert watch.connections == 0
