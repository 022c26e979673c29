"""verify finds and quarantines corruption; gc evicts LRU content but never an open blob."""

import subprocess
import time

from store_checks import blob_path, check_invariants


def test_verify_quarantines_a_corrupted_blob_and_drops_its_entries(hubcache, store_tool):
    bad = store_tool.put(5000, seed=1).stdout.strip()
    good = store_tool.put(5000, seed=2).stdout.strip()
    path = blob_path(hubcache.store, bad)
    data = bytearray(path.read_bytes())
    data[2500] ^= 0x01
    path.write_bytes(bytes(data))

    done = hubcache.run("verify")
    assert done.returncode == 1
    assert f"corrupt  {path}: content hashes to" in done.stdout
    assert "1 entries removed" in done.stdout
    assert "checked 2 blobs" in done.stdout and "1 problem" in done.stdout

    assert not path.exists()
    quarantined = list((hubcache.store / "quarantine").iterdir())
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == bytes(data)
    urls = [e["url"] for e in hubcache.json("ls")["exchanges"]]
    assert urls == ["https://origin.test/put/2"]
    assert blob_path(hubcache.store, good).exists()

    again = hubcache.json("verify")
    assert again["problems"] == [] and again["blobs_checked"] == 1
    check_invariants(hubcache.store)


def test_verify_json_describes_each_problem(hubcache, store_tool):
    digest = store_tool.put(100, seed=3).stdout.strip()
    blob_path(hubcache.store, digest).write_bytes(b"short")
    report = hubcache.json("verify", expect_rc=1)
    assert len(report["problems"]) == 1
    problem = report["problems"][0]
    assert problem["kind"] == "corrupt"
    assert problem["entries_removed"] == 1
    assert problem["quarantined_to"].startswith(str(hubcache.store / "quarantine"))


def test_issue15_verify_prints_a_line_per_10_percent_off_a_terminal(hubcache, store_tool):
    # As the README promises: off a terminal (here a pipe), plain lines on stderr, however
    # quick the work. Ten blobs of the same size: one line as each is hashed.
    for seed in range(10):
        store_tool.put(5000, seed=100 + seed)
    done = hubcache.run("verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "checked 10 blobs (50.0 kB): 0 problems\n"
    lines = done.stderr.splitlines()
    assert [line.split()[:2] for line in lines] == [["verify", f"{p}%"] for p in range(10, 101, 10)]
    assert "\r" not in done.stderr and "[" not in done.stderr  # no bar off a terminal
    assert lines[-1].startswith("verify 100% 50.0 kB/50.0 kB ")


def test_gc_evicts_least_recently_used_first(hubcache, store_tool):
    oldest = store_tool.put(1000, seed=10).stdout.strip()
    time.sleep(0.05)
    middle = store_tool.put(1000, seed=11).stdout.strip()
    time.sleep(0.05)
    newest = store_tool.put(1000, seed=12).stdout.strip()
    report = hubcache.json("gc", "--max-size", "2k")
    assert report["evicted_blobs"] == 1 and report["evicted_bytes"] == 1000
    assert report["bound_reached"] is True
    assert not blob_path(hubcache.store, oldest).exists()
    assert blob_path(hubcache.store, middle).exists() and blob_path(hubcache.store, newest).exists()
    check_invariants(hubcache.store)


def test_gc_never_evicts_a_blob_open_in_another_process(hubcache, store_tool):
    held = store_tool.put(1000, seed=20).stdout.strip()
    store_tool.put(1000, seed=21)
    store_tool.put(1000, seed=22)
    holder = subprocess.Popen(store_tool.argv("hold", held), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "pinned"
        report = hubcache.json("gc", "--max-size", "0")
        assert report["skipped_in_use"] == 1
        assert report["evicted_blobs"] == 2
        assert report["bound_reached"] is False
        assert blob_path(hubcache.store, held).exists()
        assert [e["blob"] for e in hubcache.json("ls")["exchanges"]] == [held]
        human = hubcache.run("gc", "--max-size", "0")
        assert "still over the bound: 1 blobs are in use" in human.stdout
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    report = hubcache.json("gc", "--max-size", "0")
    assert report["evicted_blobs"] == 1 and report["bound_reached"] is True
    assert not blob_path(hubcache.store, held).exists()
    check_invariants(hubcache.store)


def test_gc_removes_temp_files_of_dead_writers(hubcache, store_tool):
    store_tool.put(10, seed=30)
    stale = hubcache.store / "tmp" / "999999-0-deadbeef.part"
    stale.write_bytes(b"x" * 4096)
    report = hubcache.json("gc")
    assert report["tmp_files_removed"] == 1 and report["freed_bytes"] == 4096
    assert not stale.exists()
