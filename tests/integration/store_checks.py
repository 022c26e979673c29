"""Independent checks of a store's invariants, reading index.db and blobs/ directly."""

import hashlib
import sqlite3
from pathlib import Path


def blob_path(store: Path, digest: str) -> Path:
    return store / "blobs" / "sha256" / digest[:2] / digest


def check_invariants(store: Path) -> dict:
    """Asserts that every entry names an indexed blob and every indexed blob is on disk,
    whole and hashing to its name. Returns counts for further assertions."""
    db = sqlite3.connect(f"file:{store / 'index.db'}?mode=ro", uri=True)
    try:
        blobs = dict(db.execute("SELECT digest, size FROM blobs"))
        for table in ("hub_objects", "exchanges"):
            dangling = db.execute(
                f"SELECT count(*) FROM {table} t WHERE t.blob IS NOT NULL AND "
                "NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = t.blob)").fetchone()[0]
            assert dangling == 0, f"{dangling} {table} rows name a blob that is not indexed"
        entries = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("hub_objects", "exchanges", "refs"))
    finally:
        db.close()
    for digest, size in blobs.items():
        path = blob_path(store, digest)
        assert path.exists(), f"indexed blob {digest} is missing"
        data = path.read_bytes()
        assert len(data) == size, f"indexed blob {digest} is partial: {len(data)} of {size}"
        assert hashlib.sha256(data).hexdigest() == digest, f"blob {digest} is corrupt"
    return {"blobs": len(blobs), "entries": entries}


def blob_files(store: Path) -> list:
    root = store / "blobs" / "sha256"
    return sorted(p.name for p in root.glob("*/*")) if root.exists() else []
