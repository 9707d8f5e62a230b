"""Which store an engagement's answers live in, and the one way to open it.

Without a store URL each engagement keeps its own SQLite file in its folder (the embedded
default). A `postgresql://` URL names the firm's team store instead; it is taken from, in turn:
`--store URL` (the command line sets $DSM_ASSESS_STORE for the whole run), $DSM_ASSESS_STORE,
and `store:` in dsm-assess.yaml in the project folder (beside engagements/). The word `sqlite`
anywhere there asks for the embedded default explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.core.paths import project_dir
from dsm_assess.formats.yamlfile import display_path, read_yaml
from dsm_assess.store import sqlite
from dsm_assess.store.base import Store

ENV = "DSM_ASSESS_STORE"
SETTINGS_FILE = "dsm-assess.yaml"
SQLITE = "sqlite"


def settings_file() -> Path | None:
    project = project_dir()
    return project / SETTINGS_FILE if project else None


def store_url(given: str | None = None) -> str | None:
    """The team store's URL in force, or None for each engagement's own SQLite file."""
    url = given or os.environ.get(ENV)
    if not url:
        path = settings_file()
        if path is not None and path.is_file():
            doc = read_yaml(path)
            if doc.problems:
                raise DsmError("\n".join(map(str, doc.problems)))
            value = doc.data.get("store") if isinstance(doc.data, dict) else None
            if value is not None and not isinstance(value, str):
                raise DsmError(f"{display_path(path)}:{doc.line(['store']) or 1}: store: give a URL such as "
                               "postgresql://HOST/DATABASE, or sqlite")
            url = value
    return _checked(url)


def _checked(url: str | None) -> str | None:
    if not url or url.strip().lower() == SQLITE:
        return None
    url = url.strip()
    if not url.startswith(("postgresql://", "postgres://")):
        raise DsmError(f"store {url.split('://')[0]!r} is not a store the kit knows: give postgresql://HOST/DATABASE "
                       "for a team store, or sqlite for each engagement's own file")
    return url


def open_store(engagement_dir: Path, engagement: str | None = None, *, create: bool = False,
               url: str | None = None) -> Store:
    """Open (migrating if needed) an engagement's response store: its SQLite file in
    `engagement_dir`, or its rows in the team store when a store URL is in force (`url`, else
    `store_url()`). A missing store is reported unless `create` is given."""
    slug = engagement or Path(engagement_dir).name
    url = _checked(url) if url else store_url()
    if url is None:
        return sqlite.open_store(engagement_dir, slug, create=create)
    from dsm_assess.store.postgres import PostgresStore
    return PostgresStore(url, slug, create=create)


def open_stores(engagements: list[tuple[Path, str]], *, url: str | None = None) -> Iterator[Store]:
    """The stores of many engagements (folder, slug), one after another, each closed before the
    next opens; in the team store they share one connection (a connection costs the server a
    process: about 10 ms each, which reading 200 engagements would otherwise pay 200 times)."""
    url = _checked(url) if url else store_url()
    if url is None:
        for folder, slug in engagements:
            with sqlite.open_store(folder, slug) as store:
                yield store
        return
    from dsm_assess.store.postgres import PostgresStore, connect
    with connect(url) as conn:
        for _, slug in engagements:
            yield PostgresStore(url, slug, conn=conn)


def init_store(engagement_dir: Path, engagement: str | None = None, *, url: str | None = None) -> bool:
    """Create an engagement's empty store; False (and nothing changed) when it already has one."""
    slug = engagement or Path(engagement_dir).name
    url = _checked(url) if url else store_url()
    if url is None:
        return sqlite.init_store(engagement_dir, slug)
    from dsm_assess.store.postgres import PostgresStore, has_engagement
    if has_engagement(url, slug):
        return False
    PostgresStore(url, slug, create=True).close()
    return True


def describe(engagement_dir: Path, engagement: str | None = None) -> str:
    """Where an engagement's store is, in words: its file, or the team store."""
    url = store_url()
    if url is None:
        return display_path(sqlite.store_path(engagement_dir))
    from dsm_assess.store.postgres import _target
    return f"engagement {engagement or Path(engagement_dir).name} in the team store ({_target(url)})"


def remove_store(engagement_dir: Path, engagement: str | None = None) -> None:
    """Remove an engagement's store and its whole history (the demo's fresh start)."""
    slug = engagement or Path(engagement_dir).name
    url = store_url()
    if url is None:
        path = sqlite.store_path(engagement_dir)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
        return
    from dsm_assess.store.postgres import PostgresStore, has_engagement
    if has_engagement(url, slug):
        with PostgresStore(url, slug) as store:
            store.purge()


def _open_for(kind: str | None, engagement_dir: Path, slug: str, *, create: bool) -> Store:
    """`kind`: sqlite (the engagement's file) or a postgresql:// URL."""
    url = _checked(kind)
    if url is None:
        return sqlite.open_store(engagement_dir, slug, create=create)
    from dsm_assess.store.postgres import PostgresStore
    return PostgresStore(url, slug, create=create)


def copy_engagement(engagement_dir: Path, slug: str, source: str, target: str) -> dict[str, int]:
    """Copy an engagement's whole history from one store to another (`sqlite` or a URL), in one
    transaction on the target, which must hold nothing of it yet; returns the rows per table."""
    if (_checked(source) or SQLITE) == (_checked(target) or SQLITE):
        raise DsmError("--from and --to name the same store: nothing to copy")
    if _checked(source) is None and not sqlite.store_path(engagement_dir).is_file():
        raise DsmError(f"no response store in {display_path(engagement_dir)}/ to copy from")
    with _open_for(source, engagement_dir, slug, create=False) as src, \
            _open_for(target, engagement_dir, slug, create=True) as dest:
        held = {t: dest.count(t) for t in ("answers", "imports", "consensus", "questionnaires")}
        if any(held.values()):
            raise DsmError(f"{dest.where} already holds rows of engagement {slug!r} "
                           f"({', '.join(f'{n} {t}' for t, n in held.items() if n)}): a copy never merges histories; "
                           "nothing was copied")
        return dest.append_history(src.history_rows())
