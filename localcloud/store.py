"""Resource storage: in-memory dicts written through to SQLite so that state survives a restart, and
the cache of rendered (encoded) resources that every change of a resource invalidates."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

# A stored resource: a plain dict, or one of the products' TypedDict shapes of it (vpc/models/vpcs.py `Vpc`, ...).
Resource = Mapping[str, Any]
R = TypeVar("R", bound=Resource)

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
                                      PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


def _private_files(path: str) -> None:
    """The store holds user data and env values: 0600 before SQLite opens it (SQLite gives its -wal and
    -shm files the database file's mode), and any older world-readable copy is tightened."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            os.chmod(name, 0o600)
        except FileNotFoundError:
            pass


class Store:
    """`kind -> id -> dict`. Mutate a dict, then `put` it; `commit` writes the dirty rows in one transaction.

    `rendered()` keeps each resource's encoded answer until the resource changes: `put`, `delete`,
    `rollback` and `clear` drop it, and bump its kind's generation for answers that depend on a kind.
    """

    def __init__(self, path: str | None):
        self._lock = threading.RLock()
        if path:
            _private_files(path)
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._data: dict[str, dict[str, Any]] = {}
        self._meta: dict[str, Any] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._dirty_meta: set[str] = set()
        self._rendered: dict[tuple[str, str], dict[str, tuple[tuple, Any]]] = {}
        self._generations: dict[str, int] = {}
        self.render_cache = True  # False: every answer is built afresh (tests compare the two)
        for kind, rid, data in self._db.execute("SELECT kind, id, data FROM resources"):
            self._data.setdefault(kind, {})[rid] = json.loads(data)
        for key, data in self._db.execute("SELECT key, data FROM meta"):
            self._meta[key] = json.loads(data)

    # resources ---------------------------------------------------------------------------------
    def get(self, kind: str, rid: str) -> dict[str, Any] | None:
        return self._data.get(kind, {}).get(rid)

    def all(self, kind: str) -> list[dict[str, Any]]:
        return list(self._data.get(kind, {}).values())

    def kinds(self) -> Iterator[str]:
        return iter(list(self._data))

    def put(self, kind: str, obj: R) -> R:
        self._data.setdefault(kind, {})[obj["id"]] = obj
        self._dirty.add((kind, obj["id"]))
        self._changed(kind, obj["id"])
        return obj

    def delete(self, kind: str, rid: str) -> None:
        if self._data.get(kind, {}).pop(rid, None) is not None:
            self._dirty.add((kind, rid))
        self._changed(kind, rid)

    # rendered answers ------------------------------------------------------------------------
    def _changed(self, kind: str, rid: str) -> None:
        self._rendered.pop((kind, rid), None)
        self._generations[kind] = self._generations.get(kind, 0) + 1

    def rendered(self, kind: str, obj: R, view: str, build: Callable[[R], Any], depends: tuple[str, ...] = ()) -> Any:
        """`build(obj)` for the answer `view` of a resource, kept until the resource (or a resource of a
        kind in `depends`, which the answer also reads) changes."""
        if not self.render_cache:
            return build(obj)
        stamp = tuple(self._generations.get(k, 0) for k in depends)
        views = self._rendered.setdefault((kind, obj["id"]), {})
        hit = views.get(view)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build(obj)
        views[view] = (stamp, value)
        return value

    # meta (tokens, config, counters) ---------------------------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        self._meta[key] = value
        self._dirty_meta.add(key)

    def commit(self) -> None:
        with self._lock:
            if not self._dirty and not self._dirty_meta:
                return
            cur = self._db.cursor()
            cur.execute("BEGIN")
            for kind, rid in self._dirty:
                obj = self._data.get(kind, {}).get(rid)
                if obj is None:
                    cur.execute("DELETE FROM resources WHERE kind=? AND id=?", (kind, rid))
                else:
                    cur.execute("INSERT OR REPLACE INTO resources VALUES (?,?,?)", (kind, rid, json.dumps(obj)))
            for key in self._dirty_meta:
                if key in self._meta:
                    cur.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, json.dumps(self._meta[key])))
                else:
                    cur.execute("DELETE FROM meta WHERE key=?", (key,))
            cur.execute("COMMIT")
            self._dirty.clear()
            self._dirty_meta.clear()

    def rollback(self) -> None:
        """Forget uncommitted changes by reloading the dirty rows from disk."""
        with self._lock:
            for kind, rid in self._dirty:
                row = self._db.execute("SELECT data FROM resources WHERE kind=? AND id=?", (kind, rid)).fetchone()
                if row is None:
                    self._data.get(kind, {}).pop(rid, None)
                else:
                    self._data.setdefault(kind, {})[rid] = json.loads(row[0])
            for kind, rid in self._dirty:
                self._changed(kind, rid)
            for key in self._dirty_meta:
                row = self._db.execute("SELECT data FROM meta WHERE key=?", (key,)).fetchone()
                if row is None:
                    self._meta.pop(key, None)
                else:
                    self._meta[key] = json.loads(row[0])
            self._dirty.clear()
            self._dirty_meta.clear()

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM resources")
            self._db.execute("DELETE FROM meta")
            self._data.clear()
            self._meta.clear()
            self._rendered.clear()
            self._generations = {k: v + 1 for k, v in self._generations.items()}
            self._dirty.clear()
            self._dirty_meta.clear()

    def close(self) -> None:
        with self._lock:
            self.commit()
            self._db.close()
