"""Dagster's SQLite event log, with one SQLAlchemy engine and one open connection per database file.

Dagster's SqliteEventLogStorage builds a new engine for every connection it opens (several per
stored event), so SQLAlchemy's dialect set-up and statement compilation (cached per engine) are
paid again for each of the ~2,300 events of a `mujun run` (dbt models, dbt tests as asset checks,
ingest steps): ~20 ms CPU per event, about a third of it engine set-up. Here the engine is kept per
shard (the index and each run's file), with its SQLite connection kept open between uses (a pool of
one: Dagster serialises the uses with its _db_lock) instead of opened and closed for each (measured:
6,700 connects and closes for 600 events, 5 s; closing the last connection of a WAL file also
checkpoints it). Files, locking and what other processes (`mujun dev`) see are unchanged: WAL lets
them read and write beside an open connection, which holds no lock between transactions. Same files
as Dagster's default (<DAGSTER_HOME>/history/runs/), configured in orchestration/instance.py.

Connections use synchronous=NORMAL. Dagster puts the files in WAL mode but keeps SQLite's default
full sync, so every commit (~6,500 in a county run) waited for the disk. With WAL, NORMAL loses
nothing a killed process committed; a power cut can lose the last events but never corrupts the
file (SQLite's guarantee), and the event log is bookkeeping: the warehouse keeps its own delivery
ledger and publication log. Measured on 600 asset results with a check each: 16.4 -> 5.8-7.0 CPU-s
(on this machine's disk nearly all of it from the open connection).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (SQLITE_BUSY_TIMEOUT_SECONDS,
                                                                     SqliteEventLogStorage)
from sqlalchemy import create_engine, event
from sqlalchemy.pool import QueuePool


def _commit_without_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")    # a setting of each connection, not of the file
    cursor.close()


class ReusedEngineSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, object] = {}      # before super(): its __init__ may connect
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = self._engines[shard] = create_engine(
                    self.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1, max_overflow=2,
                    # uses are serialised by _db_lock, but Dagster's event watcher is another thread
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
                event.listen(engine, "connect", _commit_without_sync)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before storing every asset-check event (supports_asset_checks), each time
        # through a new engine and a schema reflection (~5 ms); a table, once there, stays
        # (migrations add tables, none drops one).
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
