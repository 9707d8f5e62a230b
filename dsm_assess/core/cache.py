"""The kit's disk cache (`~/.cache/dsm-assess`, or `$XDG_CACHE_HOME/dsm-assess`).

It holds only results that depend on nothing but their inputs (the parsed framework, a solved
plan), each under a hash of those inputs and of the code that made it, so a hit can never be
stale. `DSM_ASSESS_NO_CACHE=1` turns it off; a read-only or missing home folder only costs speed.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path


def cache_dir() -> Path | None:
    if os.environ.get("DSM_ASSESS_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dsm-assess"


def read(name: str, kind: type) -> object | None:
    """The cached object called `name` if there is one of type `kind`, else None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with (folder / name).open("rb") as f:
            found = pickle.load(f)
        return found if isinstance(found, kind) else None
    except Exception:  # no such entry yet, or one written by another version: compute it instead
        return None


def write(name: str, value: object) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{name}.{os.getpid()}.tmp"
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(folder / name)  # atomic: a reader never sees half an entry
    except OSError:
        pass
