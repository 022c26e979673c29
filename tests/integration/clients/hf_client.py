"""Runs huggingface_hub (and transformers) actions given as JSON and prints what they got
as JSON: the test suite runs it in each client venv, against hubcache or offline.

    python hf_client.py '[{"op": "download", "repo": "org/name", "file": "config.json"}, ...]'

Each result is {"sha256": ..., ...} or {"error": "<exception class>", "kinds": [its bases]}.
"""

import hashlib
import json
import os
import sys


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(action):
    import huggingface_hub as hh
    op = action["op"]
    kind = action.get("type", "model")
    common = {"repo_type": kind, "revision": action.get("revision"), "token": action.get("token")}
    if op == "download":
        path = hh.hf_hub_download(action["repo"], action["file"], **common)
        return {"sha256": digest(path), "size": os.path.getsize(path)}
    if op == "snapshot":
        root = hh.snapshot_download(action["repo"], allow_patterns=action.get("allow"), **common)
        # The snapshot folder also holds what earlier downloads put there: only the matches.
        import fnmatch
        files = {}
        for folder, _, names in os.walk(root):
            for name in names:
                full = os.path.join(folder, name)
                relative = os.path.relpath(full, root)
                if any(fnmatch.fnmatch(relative, p) for p in action.get("allow") or ["*"]):
                    files[relative] = digest(full)
        return {"files": files}
    if op == "model_info":
        info = hh.HfApi().model_info(action["repo"], revision=action.get("revision"),
                                     token=action.get("token"))
        return {"sha": info.sha, "siblings": sorted(s.rfilename for s in info.siblings)}
    if op == "list_files":
        return {"files": sorted(hh.HfApi().list_repo_files(action["repo"], **common))}
    if op == "auto":
        from transformers import AutoConfig, AutoTokenizer
        config = AutoConfig.from_pretrained(action["repo"])
        tokenizer = AutoTokenizer.from_pretrained(action["repo"])
        return {"model_type": config.model_type, "hidden_size": config.hidden_size,
                "ids": tokenizer("hello world hubcache")["input_ids"]}
    if op == "barrier":
        # Several clients started at once: each says it is ready (its imports done), then waits
        # for the test's go, so their requests reach the server together (bounded: 60 s).
        import time
        open(action["ready"], "w").close()
        deadline = time.monotonic() + 60
        while not os.path.exists(action["go"]):
            if time.monotonic() > deadline:
                raise TimeoutError("no go after 60 s")
            time.sleep(0.005)
        return {"waited": True}
    if op == "scan":
        info = hh.scan_cache_dir(action["dir"])
        return {"repos": sorted(
            [r.repo_type, r.repo_id, r.nb_files,
             sorted([rev.commit_hash, sorted(rev.refs)] for rev in r.revisions)]
            for r in info.repos), "warnings": [str(w) for w in info.warnings]}
    raise ValueError(f"unknown op {op}")


def main():
    results = []
    for action in json.loads(sys.argv[1]):
        try:
            results.append(run(action))
        except Exception as error:  # the class is what the tests compare
            results.append({"error": type(error).__name__, "message": str(error)[:300],
                            "kinds": [c.__name__ for c in type(error).__mro__]})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
