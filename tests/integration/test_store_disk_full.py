"""A write that hits a full disk fails with a clear error and leaves the store consistent.
Uses a small tmpfs the test mounts; skipped (with the reason printed) where mounting is not
permitted."""

import os
import subprocess

import pytest

from store_checks import check_invariants


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not permitted'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_full_during_a_blob_write_keeps_the_store_consistent(small_disk, hubcache_bin,
                                                                 store_tool_bin):
    from conftest import Hubcache, StoreTool
    store = small_disk / "store"
    tool = StoreTool(store_tool_bin, store)
    hubcache = Hubcache(hubcache_bin, store)
    tool.put(100_000, seed=1)

    too_big = tool.put(8_000_000, seed=2, check=False)
    assert too_big.returncode == 1
    assert "No space left on device" in too_big.stderr
    assert len(too_big.stderr.splitlines()) == 1
    assert os.listdir(store / "tmp") == []
    assert hubcache.json("verify")["problems"] == []
    assert hubcache.json("stats")["blobs"] == 1

    # Fill the disk with small writes until one fails, wherever it fails (blob or index).
    failures = []
    for seed in range(100, 200):
        done = tool.put(150_000, seed=seed, check=False)
        if done.returncode != 0:
            failures.append(done.stderr)
            break
    assert failures, "the disk never filled up"
    assert "No space left on device" in failures[0] or "disk is full" in failures[0]
    counts = check_invariants(store)
    assert hubcache.json("verify")["problems"] == []
    # Room again: the store works on.
    hubcache.json("gc", "--max-size", "500k")
    tool.put(50_000, seed=999)
    assert check_invariants(store)["blobs"] <= counts["blobs"]
