"""Issue 17: hits on the Hub's paths are answered from memory (hub/hot_lookups.hpp and the
listings kept in api_routes.cpp), and memory never answers what the store no longer says:
a ref this process moves is seen at once, one another process moves within a second, a
refreshed listing at once, and what one credential recorded is not another's answer."""

import json
import time

import requests


def resolve(served, repo, revision, path):
    return served.url(f"/{repo}/resolve/{revision}/{path}")


def test_issue17_a_branch_refreshed_is_served_at_its_new_commit_at_once(fake_hub, serve):
    fake_hub.add_repo("acme/moving", {"config.json": b'{"v": 1}'})
    served = serve(fake_hub.url, *fake_hub.allow_args())
    url = resolve(served, "acme/moving", "main", "config.json")
    first = requests.get(url, timeout=30)
    old_commit = first.headers["X-Repo-Commit"]
    hit = requests.get(url, timeout=30)
    assert hit.headers["X-Hubcache"] == "hit" and hit.content == b'{"v": 1}'
    new_commit = fake_hub.commit("acme/moving", {"config.json": b'{"v": 2}'})
    refreshed = requests.get(url, headers={"X-Hubcache-Refresh": "1"}, timeout=30)
    assert refreshed.content == b'{"v": 2}'
    # Within the second the first hit was kept in memory: the move must be seen anyway.
    again = requests.get(url, timeout=30)
    assert again.headers["X-Hubcache"] == "hit"
    assert again.headers["X-Repo-Commit"] == new_commit
    assert again.content == b'{"v": 2}'
    head = requests.head(url, timeout=30)
    assert head.headers["X-Repo-Commit"] == new_commit
    # A file at a commit never changes: the old commit still names the old bytes.
    pinned = requests.get(resolve(served, "acme/moving", old_commit, "config.json"), timeout=30)
    assert pinned.content == b'{"v": 1}' and pinned.headers["X-Hubcache"] == "hit"


def test_issue17_a_listing_refreshed_is_served_new_at_once(fake_hub, serve):
    fake_hub.add_repo("acme/listed", {"config.json": b"{}"})
    served = serve(fake_hub.url, *fake_hub.allow_args())
    url = served.url("/api/models/acme/listed")
    first = requests.get(url, timeout=30).json()
    hit = requests.get(url, timeout=30)
    assert hit.headers["X-Hubcache"] == "hit" and hit.json()["sha"] == first["sha"]
    new_commit = fake_hub.commit("acme/listed", {"config.json": b"{}", "extra.txt": b"x"})
    refreshed = requests.get(url, headers={"X-Hubcache-Refresh": "1"}, timeout=30).json()
    assert refreshed["sha"] == new_commit
    again = requests.get(url, timeout=30)
    assert again.headers["X-Hubcache"] == "hit"
    assert again.json()["sha"] == new_commit
    assert "extra.txt" in [s["rfilename"] for s in again.json()["siblings"]]


def test_issue17_a_ref_another_process_moves_is_seen_within_a_second(fake_hub, serve, hubcache,
                                                                      tmp_path):
    fake_hub.add_repo("acme/shared", {"config.json": b'{"v": 1}'})
    served = serve(fake_hub.url, *fake_hub.allow_args())
    url = resolve(served, "acme/shared", "main", "config.json")
    requests.get(url, timeout=30)
    assert requests.get(url, timeout=30).headers["X-Hubcache"] == "hit"
    new_commit = fake_hub.commit("acme/shared", {"config.json": b'{"v": 2}'})
    manifest = tmp_path / "models.txt"
    manifest.write_text("acme/shared\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--json", manifest, timeout=60)
    assert done.returncode == 0, done.stderr
    moved_at = time.monotonic()
    resolves_before = len(fake_hub.requests("hub", "/acme/shared/resolve/main/config.json"))
    while True:
        got = requests.get(url, timeout=30)
        assert got.headers["X-Hubcache"] == "hit"
        if got.headers["X-Repo-Commit"] == new_commit:
            assert got.content == b'{"v": 2}'
            break
        assert got.content == b'{"v": 1}'
        assert time.monotonic() - moved_at < 2.5, "the move was not seen"
        time.sleep(0.05)
    # Seen in the store, not asked of the Hub.
    assert len(fake_hub.requests("hub", "/acme/shared/resolve/main/config.json")) == resolves_before


def test_issue17_a_file_one_token_recorded_is_not_served_from_memory_to_another(fake_hub, serve,
                                                                                 store):
    fake_hub.add_repo("acme/private", {"config.json": b'{"secret": true}'}, private=True,
                      tokens={"hf_alice"})
    recording = serve(fake_hub.url, *fake_hub.allow_args())
    alice = {"Authorization": "Bearer hf_alice"}
    url = resolve(recording, "acme/private", "main", "config.json")
    assert requests.get(url, headers=alice, timeout=30).status_code == 200
    assert requests.get(recording.url("/api/models/acme/private"), headers=alice,
                        timeout=30).status_code == 200
    recording.stop()
    replay = serve(fake_hub.url, "--mode", "replay")
    url = resolve(replay, "acme/private", "main", "config.json")
    info = replay.url("/api/models/acme/private")
    for _ in range(3):  # kept in memory after the first
        got = requests.get(url, headers=alice, timeout=30)
        assert got.status_code == 200 and got.headers["X-Hubcache"] == "hit"
        assert requests.get(info, headers=alice, timeout=30).headers["X-Hubcache"] == "hit"
    for headers in ({"Authorization": "Bearer hf_mallory"}, {}):
        for method in (requests.get, requests.head):
            other = method(url, headers=headers, timeout=30)
            assert other.status_code == 401, (headers, other.status_code)
            assert other.headers["X-Error-Code"] == "GatedRepo"
            assert b"secret" not in other.content
        listing = requests.get(info, headers=headers, timeout=30)
        assert listing.status_code != 200 and listing.headers.get("X-Hubcache") != "hit", \
            (headers, listing.status_code)
