"""Preload benchmark (issue 7): a 2 GiB model set fetched from a local fake Hub by
`hubcache preload` and, in the same run, by huggingface_hub's own `snapshot_download` of the
same repos: wall time and peak RSS, cold (empty store / cache) and warm (run again).

The origin is tests/fake_hub (Python, in this process): LFS files redirect to its CDN port
with signed URLs, as huggingface.co does.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fake_hub"))
from fake_hub import FakeHub  # noqa: E402

HUBCACHE = os.environ.get("HUBCACHE", str(ROOT / "build" / "hubcache"))
PYTHON = str(ROOT / ".venv" / "bin" / "python")  # the client venv (huggingface_hub 2.x)
MIB = 1 << 20

# name -> {path: size}: a Whisper, a BERT, a sharded T5 and a spaCy-sized package, ~2 GiB.
MODEL_SET = {
    "bench/whisper-small": {"model.safetensors": 900 * MIB, "config.json": 2_000,
                            "tokenizer.json": 2 * MIB, "preprocessor_config.json": 400},
    "bench/bert-base": {"model.safetensors": 420 * MIB, "config.json": 600, "vocab.txt": 230_000,
                        "tokenizer.json": 700_000},
    "bench/t5-small": {"model-00001-of-00002.safetensors": 300 * MIB,
                       "model-00002-of-00002.safetensors": 300 * MIB,
                       "model.safetensors.index.json": 20_000, "config.json": 1_200},
    "bench/spacy-en": {"en_core_web_sm-3.8.0-py3-none-any.whl": 128 * MIB, "meta.json": 3_000},
}


def build_hub():
    hub = FakeHub()
    block = os.urandom(64 * MIB)
    for index, (repo, files) in enumerate(MODEL_SET.items()):
        contents = {}
        for n, (path, size) in enumerate(files.items()):
            # Distinct bytes per file without 2 GiB of urandom: a rotated block plus a tag.
            tag = f"{repo}/{path}".encode()
            body = bytearray()
            while len(body) < size:
                body += block[(index * 7 + n) * 4096:] + block[:(index * 7 + n) * 4096]
            data = bytes(tag + body[:size - len(tag)])
            contents[path] = data
        hub.add_repo(repo, contents)
    return hub


def serve_hub(queue, stop):
    """The fake Hub in a process of its own, so that the children the bench measures are
    forked from a small process (a fork of a 2 GiB one would report its RSS as theirs)."""
    hub = build_hub()
    queue.put(hub.url)
    stop.wait()
    hub.stop()


def run_measured(argv, env=None):
    """Runs argv to the end; returns (seconds, peak RSS MiB of that process, stdout)."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {proc.returncode}: {err.decode()[-2000:]} {out.decode()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, out


SNAPSHOT = """
import sys
from huggingface_hub import snapshot_download
for repo in sys.argv[1:]:
    snapshot_download(repo)
"""


def main():
    total = sum(sum(files.values()) for files in MODEL_SET.values())
    print(f"building the fake Hub: {len(MODEL_SET)} repos, {total / (1 << 30):.2f} GiB", flush=True)
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    queue, stop = context.Queue(), context.Event()
    hub_process = context.Process(target=serve_hub, args=(queue, stop), daemon=True)
    hub_process.start()

    class hub:  # what the bench needs of it
        url = queue.get(timeout=300)

    work = Path(tempfile.mkdtemp(prefix="hubcache-preload-bench-"))
    try:
        manifest = work / "models.txt"
        manifest.write_text("".join(f"{repo}\n" for repo in MODEL_SET))
        store = work / "store"
        preload = [HUBCACHE, "preload", "--store", str(store), *hub.upstream_args(), "--jobs", "4",
                   "--json", str(manifest)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        env.update({"HF_ENDPOINT": hub.url, "HF_HOME": str(work / "hf-home"),
                    "HF_HUB_CACHE": str(work / "hf-cache"), "HF_HUB_DISABLE_XET": "1",
                    "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_TELEMETRY": "1"})
        snapshot = [PYTHON, "-c", SNAPSHOT, *MODEL_SET]

        rows = []
        for label, argv, run_env in (("hubcache preload --jobs 4", preload, None),
                                     ("snapshot_download (huggingface_hub)", snapshot, env)):
            cold = run_measured(argv, run_env)
            warm = run_measured(argv, run_env)
            rows.append((label, cold, warm))
            if label.startswith("hubcache"):
                result = json.loads(cold[2])
                assert result["failed"] == 0 and result["bytes_fetched"] == total, result
                assert json.loads(warm[2])["fetched"] == 0
        print(f"== preload of {total / (1 << 30):.2f} GiB in {sum(map(len, MODEL_SET.values()))} "
              f"files from {len(MODEL_SET)} repos (local fake Hub, LFS via its CDN)")
        for label, cold, warm in rows:
            print(f"{label:38s} cold {cold[0]:6.2f} s ({total / cold[0] / 1e9:.2f} GB/s) "
                  f"peak RSS {cold[1]:7.1f} MiB · warm re-run {warm[0]:5.2f} s, {warm[1]:6.1f} MiB")
        (h_label, h_cold, h_warm), (p_label, p_cold, p_warm) = rows
        print(f"ratio (snapshot_download / hubcache): cold time {p_cold[0] / h_cold[0]:.2f}x, "
              f"peak RSS {p_cold[1] / h_cold[1]:.1f}x; warm time {p_warm[0] / h_warm[0]:.2f}x")
    finally:
        stop.set()
        hub_process.join(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
