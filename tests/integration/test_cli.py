"""The CLI contract: --version, --help on every subcommand, exit codes, one-line errors, --json."""

import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

# What `hubcache --help` must offer, subcommand by subcommand (issue 3).
CONTRACT = {
    "ls": ["--store", "--json"],
    "stats": ["--store", "--json"],
    "verify": ["--store", "--json"],
    "gc": ["--store", "--json", "--max-size"],
    "serve": ["--store", "--listen", "--upstream", "--mode", "--allow-host", "--log",
              "--port-file", "--retries", "--retry-floor", "--retry-ceiling", "--min-rate",
              "--stall-time", "--max-upstream-per-host", "--max-connections", "--client-timeout",
              "--drain-timeout", "--threads", "--share-private", "--ignore-query",
              "--upstream-ca", "--lock", "--remote", "--s3-endpoint", "--s3-ca", "--remote-ttl",
              "--max-size", "--max-fetches", "--fetch-queue"],
    "run": ["--store", "--mode", "--upstream", "--report", "--strict", "--share-private",
            "--upstream-ca",
            "--allow-host", "--log", "--retries", "--lock", "--remote", "--s3-endpoint",
            "--max-size", "--max-fetches", "--fetch-queue"],
    "export": ["--store", "--hf-cache", "--no-symlinks", "--repo", "--json", "--to",
               "--s3-endpoint"],
    "ca": ["--store", "--bundle", "--json"],
    "env": ["--store", "--endpoint", "--format"],
    "preload": ["--store", "--upstream", "--upstream-ca", "--allow-host", "--jobs", "--retries",
                "--json", "--lock", "--check", "--publish", "--remote", "--s3-endpoint"],
    "lock": ["--store", "--from-report", "--output", "--json"],
    "bake": ["--store", "--output", "--repo", "--dockerfile", "--json"],
    "import": ["--store", "--json"],
    "mount": ["--store", "--remote", "--s3-endpoint", "--s3-ca", "--remote-ttl", "--max-size",
              "--allow-other", "--ready-file", "--metrics-listen"],
}


def required_args(sub, tmp_path):
    """What a subcommand needs besides --store to get as far as opening it."""
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("acme/model\n")
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir(exist_ok=True)
    return {"export": ["--hf-cache", str(tmp_path / "out")], "run": ["--", "true"],
            "preload": ["--upstream", "http://127.0.0.1:9", str(manifest)],
            "lock": ["-o", str(tmp_path / "hubcache.lock")],
            "bake": ["-o", str(tmp_path / "store.tar.zst")],
            "import": [str(manifest)], "mount": [str(mountpoint)]}.get(sub, [])


README = Path(__file__).resolve().parents[2] / "README.md"


def help_flags(hubcache, sub):
    """{flag: [env var, ...]} of the options `hubcache SUB --help` lists (short aliases too)."""
    text = hubcache.run(sub, "--help", store=False).stdout
    flags = {}
    for line in text.split("Options:", 1)[1].splitlines():
        match = re.match(r"\s+((?:-\w,)?--[\w-]+)", line)
        if match:
            names = match.group(1).split(",")
            flags[names[-1]] = {"aliases": names, "env": re.findall(r"Env:(\w+)", line)}
    return flags


def readme_tables():
    """The README's command table ({subcommand: its row}) and the `serve` flag table."""
    text = README.read_text()
    cli = text.split("## The CLI", 1)[1]
    commands, serve_section = cli.split("### `hubcache serve`", 1)
    rows = {}
    for line in commands.splitlines():
        match = re.match(r"\| `(\w+)[ `]", line)
        if match:
            rows[match.group(1)] = line
    serve_table = serve_section.split("\n\n", 2)[1]
    return rows, serve_table


def mentioned_flags(text):
    return set(re.findall(r"(?<![\w-])--[a-z][\w-]*", text))


def test_issue15_the_readme_documents_every_flag_of_every_command(hubcache):
    # The README's tables and `--help` cannot drift apart again: every flag (and the
    # environment variable it reads) of every subcommand is in the README, and the README's
    # synopsis of a command names only flags it has.
    rows, serve_table = readme_tables()
    assert sorted(rows) == sorted(CONTRACT)
    serve_flags = help_flags(hubcache, "serve")
    global_flags = {"--help", "--store"}  # --store: the CLI section's own bullet
    assert mentioned_flags(serve_table) == set(serve_flags) - global_flags
    for sub, row in rows.items():
        flags = help_flags(hubcache, sub)
        takes_serve_flags = sub == "serve" or "every `serve` flag" in row
        documented = row + (serve_table if takes_serve_flags else "")
        for flag, about in flags.items():
            if flag in global_flags:
                continue
            assert any(name in documented for name in about["aliases"]), \
                f"README: the `{sub}` row does not name {flag}"
            for env in about["env"]:
                assert env in documented, f"README: `{sub}` {flag} reads {env}; the row does not say"
        synopsis = row.split("`")[1]
        own = {alias for about in flags.values() for alias in about["aliases"]}
        for flag in mentioned_flags(synopsis):
            assert flag in own, f"README: the `{sub}` synopsis names {flag}, which it lacks"
        usage = hubcache.run(sub, "--help", store=False).stdout.splitlines()[1]
        for word in re.findall(r"\b[A-Z]{2,}\b", usage.split("[OPTIONS]", 1)[-1]):
            assert word in synopsis, f"README: the `{sub}` synopsis lacks {word} ({usage})"


def test_version(hubcache):
    done = hubcache.run("--version", store=False)
    assert done.returncode == 0
    assert done.stdout.startswith("hubcache ")


def test_help_lists_exactly_the_contract(hubcache):
    done = hubcache.run("--help", store=False)
    assert done.returncode == 0
    listed = [line.split()[0] for line in done.stdout.split("Subcommands:")[1].splitlines()
              if line.strip()]
    assert sorted(listed) == sorted(CONTRACT)
    for sub, flags in CONTRACT.items():
        sub_help = hubcache.run(sub, "--help", store=False)
        assert sub_help.returncode == 0, sub
        assert f"Usage: hubcache {sub}" in sub_help.stdout.replace("hubcache.exe", "hubcache")
        for flag in flags:
            assert flag in sub_help.stdout, f"{sub} --help does not mention {flag}"


def test_issue15_run_usage_names_the_command_after_dashes(hubcache):
    usage = hubcache.run("run", "--help", store=False).stdout.splitlines()[1]
    assert usage == "Usage: hubcache run [OPTIONS] -- CMD [ARGS...]"


@pytest.mark.parametrize("args, message", [
    (["bogus"], "unknown subcommand 'bogus'"),
    (["ls", "--frob"], "--frob"),
    (["gc", "--max-size", "banana"], "'banana' is not a size"),
    (["gc", "--max-size"], "--max-size"),
    ([], "subcommand is required"),
    (["serve", "--upstream", "ftp://x"], "--upstream"),
    (["run"], "a command to run is required"),
    (["run", "--mode", "online", "--", "true"], "'online' is not record"),
    (["export"], "give --hf-cache OUTDIR or --to s3://BUCKET/PREFIX"),
    (["preload"], "give MANIFEST files or --lock FILE"),
    (["lock"], "--output is required"),
    (["bake"], "--output is required"),
    (["import"], "FILE is required"),
    (["run", "--lock", "/dev/null", "--", "true"], "--lock needs --mode replay"),
    (["preload", "--jobs", "0", "/dev/null"], "--jobs"),
    (["serve", "--upstream", "http://x", "--mode", "online"], "'online' is not record"),
    (["serve", "--upstream", "http://x", "--retry-floor", "soon"], "'soon' is not a duration"),
    # Issue 14: an allow-list entry is [http(s)://]HOST[:PORT], checked as it is read.
    (["serve", "--allow-host", "localhost:99999"],
     "'localhost:99999' is not [http(s)://]HOST[:PORT]"),
    (["run", "--allow-host", "ftp://cdn.test", "--", "true"], "'ftp://cdn.test' is not"),
    (["serve", "--allow-host", "cdn.test/path"], "'cdn.test/path' is not"),
    (["preload", "--allow-host", "", "/dev/null"], "'' is not [http(s)://]HOST[:PORT]"),
])
def test_usage_errors_exit_2_with_one_line(hubcache, args, message):
    done = hubcache.run(*args, store=False)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("hubcache: error: ")
    assert message in lines[0]
    assert "--help" in lines[0]


# serve, run, preload and import make the store when it is missing; every other command,
# ca and env included (issue 15), says there is none.
@pytest.mark.parametrize("sub", sorted(set(CONTRACT) - {"serve", "run", "preload", "import"}))
def test_missing_store_is_a_failure_not_a_crash(hubcache, sub, tmp_path):
    done = hubcache.run(sub, *required_args(sub, tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"hubcache: error: no store at {hubcache.store} "
        "(nothing recorded there yet; pass --store or set HUBCACHE_STORE)")
    assert not hubcache.store.exists()


def test_issue15_mount_refuses_a_directory_that_is_not_empty(hubcache, store_tool, tmp_path):
    # `mount --help` asks for an empty directory: a mount would hide what is there.
    store_tool.write(count=1, seed=6, distinct=1, max_bytes=10)
    for name in ("notes.txt", ".hidden"):
        mountpoint = tmp_path / f"mnt-{name}"
        mountpoint.mkdir()
        (mountpoint / name).write_text("mine")
        try:
            done = hubcache.run("mount", mountpoint, timeout=20)
        finally:  # a hubcache that mounted anyway must not leave the mount behind
            if os.path.ismount(mountpoint):
                subprocess.run(["fusermount3", "-u", str(mountpoint)], check=False)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            f"hubcache: error: MOUNTPOINT: {mountpoint} is not empty (a mount would hide its "
            "files); give an empty directory (see 'hubcache mount --help')"]
        assert (mountpoint / name).read_text() == "mine"


def test_every_command_prints_valid_json_and_nothing_else(hubcache, store_tool):
    store_tool.write(count=12, seed=1, distinct=6, max_bytes=4000)
    listing = hubcache.json("ls")
    assert len(listing["hub_objects"]) == 8
    assert len(listing["exchanges"]) == 4
    assert len(listing["refs"]) == 4
    first = listing["hub_objects"][0]
    assert set(first) >= {"repo_type", "repo_id", "commit", "path", "blob", "etag", "size", "lfs",
                          "last_access"}
    stats = hubcache.json("stats")
    assert stats["hub_objects"] == 8 and stats["exchanges"] == 4 and stats["refs"] == 4
    assert 1 <= stats["blobs"] <= 6
    assert stats["schema_version"] == 2
    verify = hubcache.json("verify")
    assert verify["problems"] == [] and verify["blobs_checked"] == stats["blobs"]
    gc = hubcache.json("gc")
    assert gc["blobs"] == stats["blobs"]


def test_human_output_of_a_populated_store(hubcache, store_tool):
    store_tool.write(count=3, seed=2, distinct=3, max_bytes=100)
    ls = hubcache.run("ls")
    assert ls.returncode == 0
    assert ls.stdout.splitlines()[0].split() == ["KIND", "SIZE", "LAST", "USED", "NAME"]
    assert "GET https://origin.test/2-1 (200)" in ls.stdout
    stats = hubcache.run("stats")
    assert stats.returncode == 0 and "hub objects   2" in stats.stdout


def test_store_comes_from_the_environment_and_the_flag_wins(hubcache, store_tool, tmp_path):
    store_tool.write(count=1, seed=3, distinct=1, max_bytes=10)
    env_only = hubcache.run("stats", "--json", store=False,
                            env={"HUBCACHE_STORE": str(hubcache.store)})
    assert env_only.returncode == 0, env_only.stderr
    assert json.loads(env_only.stdout)["store"] == str(hubcache.store)
    # --store beats the variable, before or after the subcommand.
    other = tmp_path / "elsewhere"
    for argv in (["--store", str(hubcache.store), "stats"], ["stats", "--store", str(hubcache.store)]):
        done = hubcache.run(*argv, store=False, env={"HUBCACHE_STORE": str(other)})
        assert done.returncode == 0, done.stderr


def test_serve_rejects_a_bad_upstream_or_listen_address(hubcache):
    for args, message in ((["--upstream", "ftp://x"], "--upstream: not an http(s) URL"),
                          (["--upstream", "http://x", "--listen", "nowhere"], "--listen")):
        done = hubcache.run("serve", *args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("hubcache: error: ") and message in done.stderr
        assert len(done.stderr.splitlines()) == 1


def test_serve_on_a_taken_port_fails_with_one_line(hubcache, tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = hubcache.run("serve", "--upstream", "http://127.0.0.1:9", "--listen",
                            f"127.0.0.1:{port}")
    assert done.returncode == 1
    assert done.stderr.startswith("hubcache: error: cannot listen on 127.0.0.1:")
    assert len(done.stderr.splitlines()) == 1


def test_store_from_a_newer_hubcache_is_refused_untouched(hubcache, store_tool, tmp_path):
    store_tool.write(count=2, seed=4, distinct=2, max_bytes=100)
    db_path = hubcache.store / "index.db"
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA user_version = 99")
    db.execute("UPDATE meta SET value = 'hubcache 9.0.0' WHERE key = 'written_by'")
    db.commit()
    db.close()
    before = db_path.read_bytes()
    for sub in sorted(CONTRACT):
        done = hubcache.run(sub, *required_args(sub, tmp_path))
        assert done.returncode == 1, sub
        assert len(done.stderr.splitlines()) == 1
        assert "schema v99, written by hubcache 9.0.0" in done.stderr
        assert "upgrade hubcache" in done.stderr
    assert db_path.read_bytes() == before


def test_damaged_index_is_reported_not_crashed_on(hubcache, store_tool):
    store_tool.write(count=1, seed=5, distinct=1, max_bytes=10)
    for suffix in ("-wal", "-shm"):
        (hubcache.store / f"index.db{suffix}").unlink(missing_ok=True)
    (hubcache.store / "index.db").write_bytes(b"\0garbage" * 1000)
    done = hubcache.run("stats")
    assert done.returncode == 1
    assert done.stderr.startswith("hubcache: error: ")
    assert "damaged" in done.stderr
    assert len(done.stderr.splitlines()) == 1
