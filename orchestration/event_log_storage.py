"""Dagster's SQLite event log without its per-event fixed cost.

Dagster's `SqliteEventLogStorage` opens every connection through a new SQLAlchemy engine with
`NullPool` and commits with SQLite's default `synchronous=FULL`: every one of a run's ~470
events (140 of them "planned" events at run creation) pays an engine, a `connect()` and an
fsync, 6.0 s of a 38 s monthly refresh. This subclass keeps one pooled engine per shard (the
run's `<run_id>.db` and the cross-run `index.db`) and sets `synchronous=NORMAL` on each
connection; the same run measured 1.8 s.

The trade: in WAL mode (Dagster turns it on), `synchronous=NORMAL` is safe against a crash of
the process, and the database never corrupts, but the last commits before a power loss or an
OS crash may be lost (they are in the WAL but not yet fsynced). The event log is the run
history shown in the UI; the warehouse and its published copy do not depend on it, and a run
interrupted by a power loss is re-run anyway.

What is kept from the parent class:
- thread safety: every connection is used under `_db_lock`, as before, so one pooled
  connection per shard suffices and is never shared by two threads at once;
- the watcher (the UI's live run log): Dagster's watcher reacts to modifications of
  `<run_id>.db`, which a NullPool writer touched on every event because closing the last
  connection checkpoints the WAL into it. A pooled writer keeps its connection open, so its
  commits only reach `<run_id>.db-wal` until SQLite's auto-checkpoint: the watcher here also
  reacts to the `-wal` file.

Configured in orchestration/dagster.yaml (`event_log_storage`), so `statmon run`, the UI and
the runs `dagster dev` launches all use it. `base_dir` defaults to `$DAGSTER_HOME/history/runs`,
where Dagster's default storage keeps the event log: existing homes keep their history."""
from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator

import sqlalchemy as db
from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

# A run writes to two shards (its own and the index); the UI reads whichever runs it shows.
# Engines beyond this many are closed, least recently used first, so a long-lived webserver
# does not keep a file open for every run it ever displayed.
MAX_OPEN_SHARDS = 16

# Every storage of this process, to close its connections at exit: closing a WAL database's last
# connection checkpoints the WAL into the .db file, as Dagster's NullPool storage did per event.
_live_storages: "weakref.WeakSet[PooledSqliteEventLogStorage]" = weakref.WeakSet()


@atexit.register
def _close_connections_at_exit() -> None:
    for storage in list(_live_storages):
        # A daemon thread (the UI's watcher) may be mid-query: never close a connection under it.
        if storage._db_lock.acquire(timeout=2):
            try:
                storage._dispose_engines()
            finally:
                storage._db_lock.release()


def default_base_dir() -> str:
    """Where Dagster's default SQLite storage keeps the event log of a DAGSTER_HOME."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise ValueError("PooledSqliteEventLogStorage needs base_dir or DAGSTER_HOME")
    return os.path.join(os.path.abspath(home), "history", "runs", "")


def _set_synchronous_normal(dbapi_connection, _connection_record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one pooled engine per shard and `synchronous=NORMAL`."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        # Before super().__init__: it may already connect (to create index.db in a new home).
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)
        _live_storages.add(self)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            if self._engines_pid != os.getpid():
                # A forked child must not use the parent's open SQLite handles: forget them
                # without closing them (they belong to the parent).
                for engine in self._engines.values():
                    engine.dispose(close=False)
                self._engines.clear()
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                # Calls are serialised by _db_lock: one connection per shard is all a process uses.
                pool_size=1,
                max_overflow=2,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _set_synchronous_normal)
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_SHARDS:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        # Shard files are deleted: close their connections first.
        with self._db_lock:
            self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            self._dispose_engines()

    def watch(self, run_id: str, cursor: str | None, callback) -> None:
        from watchdog.observers import Observer

        if not self._obs:
            self._obs = Observer()
            self._obs.start()
        watchdog = _RunShardWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watchdog, self._obs.schedule(watchdog, self._base_dir, recursive=True))


class _RunShardWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's watcher of a run shard that also reacts to its write-ahead log, where a
    pooled writer's commits land (see the module docstring)."""

    def __init__(self, event_log_storage: SqliteEventLogStorage, run_id: str, callback, cursor: str | None):
        super().__init__(event_log_storage, run_id, callback, cursor)
        # PatternMatchingEventHandler keeps its patterns in a private attribute; set them anew
        # through its constructor rather than touching that attribute.
        from watchdog.events import PatternMatchingEventHandler

        PatternMatchingEventHandler.__init__(self, patterns=[self._log_path, self._log_path + "-wal"])

    def on_modified(self, event) -> None:
        self._process_log()
