"""Runs `datasets` and `HfFileSystem` actions given as JSON and prints what they got as JSON:
the test suite runs it in each client venv, through `hubcache run` or offline.

    python datasets_client.py '[{"op": "load", "repo": "org/name", "name": "cfg"}, ...]'

Each result is data the tests compare between record, replay and the fake Hub's own files
(rows as JSON, byte digests), or {"error": "<exception class>", "message": ...}.
"""

import hashlib
import json
import sys


def rows_of(dataset):
    """{split: [row, ...]} of a DatasetDict or IterableDatasetDict, rows as plain JSON values."""
    return {split: [json.loads(json.dumps(row)) for row in dataset[split]]
            for split in sorted(dataset)}


def read(fs, action):
    """Bytes of one file: whole, from `offset` (negative: from the end) for `length` bytes."""
    with fs.open(action["path"], "rb", block_size=action.get("block_size", 5 * 2**20)) as f:
        offset = action.get("offset", 0)
        f.seek(offset, 2 if offset < 0 else 0)
        data = f.read(action["length"]) if "length" in action else f.read()
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def run(action):
    op = action["op"]
    if op == "load":
        import datasets
        got = datasets.load_dataset(action["repo"], action.get("name"),
                                    revision=action.get("revision"),
                                    streaming=action.get("streaming", False))
        return {"rows": rows_of(got)}
    if op == "load_snapshot":
        # What a suite does with a Hub cache and no network: the snapshot folder, loaded as a
        # local dataset (its README's configs and the data files in it).
        import datasets
        from huggingface_hub import snapshot_download
        folder = snapshot_download(action["repo"], repo_type="dataset",
                                   revision=action.get("revision"))
        return {"rows": rows_of(datasets.load_dataset(folder, action.get("name")))}
    if op == "snapshot_files":
        import os
        from huggingface_hub import snapshot_download
        folder = snapshot_download(action["repo"], repo_type="dataset",
                                   revision=action.get("revision"))
        files = {}
        for parent, _, names in os.walk(folder):
            for name in names:
                with open(os.path.join(parent, name), "rb") as f:
                    files[os.path.relpath(os.path.join(parent, name), folder)] = \
                        hashlib.sha256(f.read()).hexdigest()
        return {"files": files}
    if op == "range":
        # One raw ranged GET of a resolve URL, as HfFileSystem's stream reader sends it when it
        # reconnects at `Range: bytes=N-` (N the size: the Hub answers 416).
        import os
        import urllib.error
        import urllib.request
        url = (f"{os.environ['HF_ENDPOINT']}/datasets/{action['repo']}/resolve/"
               f"{action.get('revision', 'main')}/{action['file']}")
        request = urllib.request.Request(url, headers={"Range": action["range"]})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        return {"status": status, "content_range": headers.get("Content-Range"),
                "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}

    from huggingface_hub import HfFileSystem
    fs = HfFileSystem()
    if op == "ls":
        return {"entries": sorted([e["name"], e["type"], e["size"]]
                                  for e in fs.ls(action["path"], detail=True))}
    if op == "glob":
        return {"paths": sorted(fs.glob(action["pattern"]))}
    if op == "info":
        # refresh: asked of the Hub (paths-info), not taken from a parent's listing.
        info = fs.info(action["path"], refresh=True)
        return {"type": info["type"], "size": info["size"]}
    if op == "stream":
        # block_size=0: HfFileSystem's streaming file, one GET read in chunks to the end.
        with fs.open(action["path"], "rb", block_size=0) as f:
            chunks = []
            while chunk := f.read(action.get("chunk", 4096)):
                chunks.append(chunk)
        data = b"".join(chunks)
        return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    if op == "read":
        return read(fs, action)
    raise ValueError(f"unknown op {op}")


def main():
    results = []
    for action in json.loads(sys.argv[1]):
        try:
            results.append(run(action))
        except Exception as error:  # the class is what the tests compare
            results.append({"error": type(error).__name__, "message": str(error)[:500]})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
