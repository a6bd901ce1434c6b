"""Keep the pipeline warehouse to the pipeline: hold its DuckDB lock, fail fast when someone else does.

DuckDB lets one process write a file, and a process that writes excludes every other process,
readers included. `mujun run` therefore opens the warehouse read-write at start and keeps that
connection for the whole run (`GUARD.hold()`): an analyst who opens the file by mistake gets
DuckDB's lock error at once instead of reading a half-built warehouse between steps. The steps
run in the same process and share the held database (same file, same config). dbt is a separate
process, so the guard lets go for exactly the length of `dbt build` (`GUARD.released_for`) and
takes the lock back afterwards.

Every writer connects once: when another process holds the file, the step fails at once with
`WarehouseInUse` naming the holder's PID and the published copy analysts should open — no silent
retries (DuckDBResource retries ten times, ~100 s, and loses the reason on the way).
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

import duckdb

# The config every pipeline connection uses: DuckDB refuses a second connection to a file that is
# already open in this process with a different config, so the guard and the steps must agree.
CONNECTION_CONFIG = {"custom_user_agent": "dagster"}

_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


class WarehouseInUse(RuntimeError):
    """Another process holds the pipeline warehouse's lock."""

    def __init__(self, message: str, pid: int | None):
        super().__init__(message)
        self.pid = pid


def in_use_message(warehouse: Path, error: Exception) -> tuple[str, int | None]:
    from orchestration import settings

    m = _HOLDER.search(str(error))
    who = f"PID {m['pid']} ({m['program']})" if m else f"another process ({error})"
    return (f"the warehouse {warehouse} is in use by {who}; analysts should open {settings.published_path()} "
            f"(read-only), never the pipeline warehouse. Close that process and run again.",
            int(m["pid"]) if m else None)


def is_lock_error(error: Exception) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def connect_writer(warehouse: Path | str, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection, one attempt; WarehouseInUse when another process holds the file."""
    warehouse = Path(warehouse)
    try:
        return duckdb.connect(str(warehouse), read_only=False, config={**CONNECTION_CONFIG, **(config or {})})
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            raise WarehouseInUse(*in_use_message(warehouse, exc)) from exc
        raise


class WarehouseGuard:
    """The run's own connection to the warehouse, held between steps (see module doc)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def held(self) -> bool:
        return self._con is not None

    def hold(self, warehouse: Path) -> None:
        self.path = Path(warehouse)
        if self._con is None:
            self._con = connect_writer(self.path)

    def release(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @contextlib.contextmanager
    def released_for(self, warehouse: Path):
        """Let a subprocess (dbt) write the warehouse, and take the lock back afterwards.

        Without a held guard (mujun dev, tests) this only checks, once, that nobody holds the file.
        A failure of the subprocess while someone else holds the file becomes WarehouseInUse, so the
        reason is not lost in the subprocess's exit code.
        """
        warehouse = Path(warehouse)
        was_held = self.held
        if was_held:
            self.release()
        else:
            connect_writer(warehouse).close()
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            try:
                self._take_back(warehouse, was_held)
            except WarehouseInUse:
                # The lock explains a failed subprocess; after a success the next step reports it.
                if failed:
                    raise

    def _take_back(self, warehouse: Path, was_held: bool) -> None:
        if was_held:
            self.hold(warehouse)
        else:
            connect_writer(warehouse).close()


GUARD = WarehouseGuard()
