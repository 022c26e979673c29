"""The README's walkthrough, run as a newcomer pastes it (issue 15: "the README walkthrough shows
it"): a suite using transformers, huggingface_hub, datasets, HfFileSystem and the hf CLI records
through `run`, replays `--strict` with the fake Hub stopped, and loads from `export`. Each
summary line the README shows in a comment is what the program prints."""

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def walkthrough():
    text = (ROOT / "README.md").read_text()
    start = text.index("## A five-minute walkthrough")
    block = text.index("```sh", start) + len("```sh")
    return text[block:text.index("```", block)]


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_issue15_the_readme_walkthrough_runs_as_pasted(hubcache_bin, tmp_path):
    if not (port_free(8790) and port_free(8795)):
        pytest.skip("the walkthrough's ports 8790/8795 are taken on this machine")
    script = walkthrough()
    # As pasted, from the repository root; build/hubcache is the binary under test, and the
    # files it writes under /tmp go to this test's own folder instead.
    script = script.replace("build/hubcache", str(hubcache_bin)).replace("/tmp/", f"{tmp_path}/")
    done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "TMPDIR": str(tmp_path)})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert output.count("5 passed") == 2 and "3 passed, 2 deselected" in output, output[-4000:]
    shown = [line.removeprefix("#").strip() for line in script.splitlines()
             if line.startswith("#   hubcache: ") or line.startswith("#     GET ")]
    assert len(shown) >= 4
    printed = [line.strip() for line in output.splitlines()]
    for line in shown:
        pattern = re.escape(line).replace("PORT", r"\d+")
        assert any(re.fullmatch(pattern, p) for p in printed), (line, output[-4000:])
