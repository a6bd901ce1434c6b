"""Dagster's SQLite event log, with one SQLAlchemy engine per database file instead of one per event.

Dagster's SqliteEventLogStorage builds a new engine for every connection it opens (several per
stored event), so SQLAlchemy's dialect set-up and statement compilation (cached per engine) are
paid again for each of the ~2,300 events of a `mujun run` (dbt models, dbt tests as asset checks,
ingest steps): ~20 ms CPU per event, about a third of it engine set-up. Here the engine is kept per
shard (the index and each run's file). It still uses NullPool, so every use opens and closes its
own SQLite connection as before: files, locking and what other processes (`mujun dev`) see are
unchanged; only the Python objects are reused. Same files as Dagster's default
(<DAGSTER_HOME>/history/runs/), configured in orchestration/instance.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (SQLITE_BUSY_TIMEOUT_SECONDS,
                                                                     SqliteEventLogStorage)
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


class ReusedEngineSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, object] = {}      # before super(): its __init__ may connect
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
                    self.conn_string_for_shard(shard), poolclass=NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
