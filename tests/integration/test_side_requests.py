"""Issue 15: `run --strict` means "every download the suite depends on was recorded".

The ecosystem's side requests (datasets' download counter, the hf CLI's update check, the Hub's
telemetry, the dataset viewer's /info) are optional: recorded when allowed, answered in replay,
shown apart, never a miss. Everything else that misses fails --strict, in record as in replay,
and the report says what kind of request it was and what to do.
"""

import json
import os
import sys
import time

from test_run_export import client_cmd, run_cmd
from test_hub_clients import BERT

# What each side request looks like as its client sends it (hf-protocol.md §3.4, §11.3).
COUNTER = "https://s3.amazonaws.com/datasets.huggingface.co/datasets/datasets/acme/tiny/tiny.py"
PYPI = "https://pypi.org/pypi/huggingface_hub/json"

# A suite making every side request through `run`'s environment: requests, with the proxy and
# CA bundle `run` sets. Prints the status of each; never raises (the clients swallow failures).
SIDE_SCRIPT = r"""
import json, os, sys, httpx, requests
endpoint = os.environ["HF_ENDPOINT"]
viewer = endpoint.replace("://", "://datasets-server.")
got = {}
def ask(name, method, url, client=requests):
    try:
        got[name] = client.request(method, url, timeout=10).status_code
    except Exception as e:
        got[name] = type(e).__name__
ask("counter", "HEAD", sys.argv[1])
ask("pypi", "GET", sys.argv[2])
ask("telemetry", "HEAD", endpoint + "/api/telemetry/datasets/load")
ask("harnesses", "GET", endpoint + "/api/agent-harnesses")
# datasets 5 asks the viewer with huggingface_hub's httpx session. (requests, datasets 4's,
# matches NO_PROXY by suffix: datasets-server.127.0.0.1 bypasses the proxy and fails to
# resolve, which datasets tolerates alike in record and replay.)
ask("viewer", "GET", viewer + "/info?dataset=acme/tiny", httpx)
print(json.dumps(got))
"""


def side_suite(report):
    return ["--report", str(report), "--", sys.executable, "-c", SIDE_SCRIPT, COUNTER, PYPI]


def summary_line(stderr):
    lines = [line for line in stderr.splitlines() if " requests: " in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_issue15_side_requests_are_optional_in_record_and_replay(hubcache, fake_hub, origin,
                                                                 sentinel, tmp_path):
    # The dataset viewer is an origin of its own (datasets-server.huggingface.co for the Hub).
    origin.add("/info", b'{"dataset_info": {"default": {}}}',
               headers={"X-Revision": "a" * 40, "Content-Type": "application/json"})
    viewer = ["--dataset-viewer", origin.url()]
    report = tmp_path / "record.json"
    done = run_cmd(hubcache, *fake_hub.upstream_args(), *viewer, "--strict", *side_suite(report))
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    # Neither s3.amazonaws.com nor pypi.org is allowed: their offline answer, not a refusal.
    assert got == {"counter": 404, "pypi": 404, "telemetry": 200, "harnesses": 404,
                   "viewer": 200}, done.stderr
    assert "0 missed" in summary_line(done.stderr) and "5 optional" in summary_line(done.stderr)
    assert "datasets' download counter" in done.stderr and "the hf CLI's update check" in done.stderr
    data = json.loads(report.read_text())
    assert data["misses"] == 0 and data["optional"] == 5 and data["missed"] == []
    reasons = {r["url"].split("?")[0]: r["optional"] for r in data["side_requests"]}
    assert reasons[COUNTER] == "datasets' download counter"
    assert reasons[PYPI] == "the hf CLI's update check"
    # Listed as the client asked it: http://datasets-server.127.0.0.1:<run's port>/info.
    (viewer_url,) = [u for u in reasons if u.endswith("/info")]
    assert viewer_url.startswith("http://datasets-server.127.0.0.1:")
    assert reasons[viewer_url] == "datasets' dataset viewer lookup (/info)"
    assert all(r["kind"] == "optional" for r in data["side_requests"])
    # The viewer was asked at its own origin, once, and its answer recorded.
    assert len(origin.requests_for("/info")) == 1
    assert origin.requests_for("/info")[0].path == "/info?dataset=acme/tiny"

    fake_hub.stop()
    origin.stop()
    watch = sentinel(fake_hub.port, fake_hub.cdn_port, origin.port)
    report = tmp_path / "replay.json"
    done = run_cmd(hubcache, "--upstream", fake_hub.url, *viewer, "--mode", "replay", "--strict",
                   *side_suite(report))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == got
    assert watch.connections == 0
    data = json.loads(report.read_text())
    assert data["misses"] == 0 and data["optional"] == 5
    viewer_row = [r for r in data["side_requests"] if "/info" in r["url"]][0]
    assert viewer_row["cache"] == "hit"  # recorded, so replayed as it was

    # The agent harness registry (the fake Hub has none: a 404) was recorded, so replayed.
    harnesses = [r for r in data["side_requests"] if r["url"].endswith("/api/agent-harnesses")]
    assert [r["cache"] for r in harnesses] == ["hit"]

    # --strict=all keeps the old meaning: what replay answered itself (the counter, the update
    # check, telemetry; not the recorded viewer and registry answers) fails the run.
    done = run_cmd(hubcache, "--upstream", fake_hub.url, *viewer, "--mode", "replay",
                   "--strict=all", *side_suite(tmp_path / "all.json"))
    assert done.returncode == 3, done.stderr
    assert "--strict=all: 3 requests missed" in done.stderr


def test_issue15_an_unrecorded_hub_side_request_gets_its_offline_answer(hubcache, fake_hub, tmp_path):
    fake_hub.stop()
    report = tmp_path / "report.json"
    script = ("import os, requests\n"
              "print(requests.get(os.environ['HF_ENDPOINT'] + '/api/agent-harnesses').status_code)\n")
    done = run_cmd(hubcache, "--upstream", fake_hub.url, "--mode", "replay", "--strict",
                   "--report", str(report), "--", sys.executable, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "404"
    (side,) = json.loads(report.read_text())["side_requests"]
    assert side["optional"] == "huggingface_hub's agent harness registry" and side["cache"] == "optional"


def test_issue15_an_unrecorded_api_question_of_no_repo_is_a_miss(hubcache, fake_hub, tmp_path):
    # /api/whoami-v2 names no repo: replay has no listing to make of it (it once read the
    # absent repo id and crashed), only a miss.
    fake_hub.stop()
    script = ("import os, requests\n"
              "for _ in range(3):\n"
              "    print(requests.get(os.environ['HF_ENDPOINT'] + '/api/whoami-v2').status_code)\n")
    done = run_cmd(hubcache, "--upstream", fake_hub.url, "--mode", "replay", "--", sys.executable,
                   "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["501"] * 3


def test_issue15_an_unknown_host_still_fails_strict_in_record_with_its_fix(hubcache, fake_hub, tmp_path):
    report = tmp_path / "report.json"
    script = ("import requests\n"
              "for url in ('https://unknown.example/model.bin', 'http://unknown.example:8080/x'):\n"
              "    try: print(requests.get(url, timeout=10).status_code)\n"
              "    except Exception as e: print(type(e).__name__)\n")
    done = run_cmd(hubcache, *fake_hub.upstream_args(), "--strict", "--report", str(report), "--",
                   sys.executable, "-c", script)
    assert done.returncode == 3, done.stderr
    assert "--strict: 2 requests missed" in done.stderr
    assert "not allowed: record with --allow-host https://unknown.example" in done.stderr
    assert "not allowed: record with --allow-host http://unknown.example:8080" in done.stderr
    missed = json.loads(report.read_text())["missed"]
    assert {m["kind"] for m in missed} == {"URL"}
    assert all(m["what_to_do"].startswith("not allowed: record with --allow-host ") for m in missed)


def test_issue15_a_replay_miss_fails_fast_and_counts_once(hubcache, fake_hub, tmp_path):
    # huggingface_hub retries 408, 429 and 500-504 with backoff: a 504 miss took 23 s and 7
    # HEADs. The miss now reaches it as an answer it does not retry.
    fake_hub.stop()
    report = tmp_path / "report.json"
    actions = [{"op": "download", "repo": BERT, "file": "never-recorded.json"}]
    started = time.monotonic()
    done = run_cmd(hubcache, "--upstream", fake_hub.url, "--mode", "replay", "--strict",
                   "--report", str(report), "--", *client_cmd(actions, tmp_path / "c"))
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    assert elapsed < 8, elapsed
    data = json.loads(report.read_text())
    assert data["misses"] == 1
    (miss,) = data["missed"]
    assert miss["method"] == "HEAD" and miss["count"] == 1 and miss["status"] >= 500
    assert miss["kind"] == "Hub file"
    assert miss["what_to_do"] == "not recorded: record again, or add it to the preload manifest"
    assert "Hub file · not recorded: record again" in done.stderr


def test_issue15_github_step_summary(hubcache, fake_hub, tmp_path):
    fake_hub.stop()
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    script = ("import os, urllib.request, urllib.error\n"
              "try: urllib.request.urlopen(os.environ['HF_ENDPOINT'] + '/api/models/acme/gone')\n"
              "except urllib.error.HTTPError as e: print(e.code)\n")
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    done = run_cmd(hubcache, "--upstream", fake_hub.url, "--mode", "replay", "--", sys.executable,
                   "-c", script, env=env)
    assert done.returncode == 0, done.stderr
    text = summary.read_text()
    assert text.startswith("# earlier step\n")  # appended, never replaced
    assert "### hubcache run (replay)" in text
    assert "| requests | hits | stored | missed | optional | from the store | from upstream | hit rate |" in text
    assert "| 1 | 0 | 0 | 1 | 0 | 0 B | 0 B | 0 % |" in text
    assert f"| `GET {fake_hub.url}/api/models/acme/gone` | 501 | Hub API | not recorded: record again |" in text


def test_issue15_quiet_variables_are_set_unless_the_user_set_them(hubcache, tmp_path):
    script = ("import os, json; print(json.dumps({k: os.environ.get(k) for k in "
              "['HF_HUB_DISABLE_TELEMETRY', 'HF_UPDATE_DOWNLOAD_COUNTS', 'HF_HUB_DISABLE_UPDATE_CHECK', "
              "'DO_NOT_TRACK']}))")
    env = {**os.environ, "HF_UPDATE_DOWNLOAD_COUNTS": "1"}
    env.pop("DO_NOT_TRACK", None)
    env.pop("HF_HUB_DISABLE_TELEMETRY", None)
    done = run_cmd(hubcache, "--mode", "replay", "--", sys.executable, "-c", script, env=env)
    assert json.loads(done.stdout) == {"HF_HUB_DISABLE_TELEMETRY": "1", "HF_UPDATE_DOWNLOAD_COUNTS": "1",
                                       "HF_HUB_DISABLE_UPDATE_CHECK": "1", "DO_NOT_TRACK": "1"}
    done = run_cmd(hubcache, "--mode", "replay", "--no-quiet-env", "--", sys.executable, "-c", script,
                   env=env)
    assert json.loads(done.stdout)["HF_HUB_DISABLE_TELEMETRY"] is None
    printed = hubcache.run("env").stdout
    assert "export HF_HUB_DISABLE_TELEMETRY='1'" in printed
    assert "export HF_UPDATE_DOWNLOAD_COUNTS='0'" in printed
    assert "HF_HUB_DISABLE_TELEMETRY" not in hubcache.run("env", "--no-quiet-env").stdout


def test_issue15_readme_names_every_quiet_variable(hubcache):
    from pathlib import Path
    hubcache.make_store()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    everything = dict(line.removeprefix("export ").split("=", 1)
                      for line in hubcache.run("env").stdout.splitlines())
    pointing = dict(line.removeprefix("export ").split("=", 1)
                    for line in hubcache.run("env", "--no-quiet-env").stdout.splitlines())
    quiet = {name: value.strip("'") for name, value in everything.items() if name not in pointing}
    assert len(quiet) >= 6, quiet
    for name, value in quiet.items():
        assert f"`{name}={value}`" in readme, name
