"""Recover from killed runs, before a new `mujun run` starts (called with the data dir's run lock held).

Holding the run lock (orchestration/runlock.py) proves that no other `mujun run` on this data dir
is alive, so whatever a run left behind belongs to a dead process:

- Dagster runs still STARTED / STARTING / QUEUED / … whose processes are gone are marked failed,
  and the concurrency slots and pending steps of every run that is not alive are freed. A killed
  run keeps its `duckdb_writer` slot forever otherwise, and every later run waits for it without end.
- files a killed run was writing are removed: the publication's `.<name>.<pid>.<hex>.tmp` files
  (only those of dead PIDs: another data dir may publish to the same path), the run's temp folder
  (<data_dir>/tmp: ingestion copies, GX work folders), worklists' `*.xlsx.tmp`, and the Data Docs
  folder of each run marked failed here.

The published file and completed worklists are replaced by rename, so a reader never sees a
half-written one; the warehouse itself is DuckDB's concern (its WAL is replayed on open).
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

KILLED_MESSAGE = ("the process running it is gone (killed or crashed); marked failed by the next "
                  "`mujun run`, which freed its concurrency slots")


@dataclass
class Recovery:
    failed_runs: list[str] = field(default_factory=list)      # run ids marked failed
    freed_runs: list[str] = field(default_factory=list)       # run ids whose slots were freed
    removed: list[Path] = field(default_factory=list)         # leftovers deleted

    def summary(self) -> str | None:
        if not (self.failed_runs or self.freed_runs or self.removed):
            return None
        parts = []
        if self.failed_runs:
            parts.append(f"marked {len(self.failed_runs)} run(s) of a dead process failed "
                         f"({', '.join(r.split('-')[0] for r in self.failed_runs)})")
        if self.freed_runs:
            parts.append(f"freed the concurrency slots of {len(self.freed_runs)} run(s)")
        if self.removed:
            parts.append(f"removed {len(self.removed)} leftover file(s)/folder(s)")
        return "recovered from an interrupted run: " + "; ".join(parts)


def run_tmp_dir(data_dir: Path) -> Path:
    """Every temp file of a run lives here, so that the next run can clear a killed one's."""
    return Path(data_dir) / "tmp"


def recover_dagster(instance) -> tuple[list[str], list[str]]:
    """Fail every unfinished run whose processes are gone; free the slots of every run not alive.

    A run's processes are the PIDs its events were written from (Dagster records one per event).
    Runs of `mujun run` die with it; a run the Dagster UI launched has its own live worker and is
    left alone.
    """
    from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES, RunsFilter

    failed = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=NOT_FINISHED_STATUSES)):
        run = record.dagster_run
        if not _run_alive(instance, run.run_id):
            instance.report_run_failed(run, message=KILLED_MESSAGE)
            failed.append(run.run_id)
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return failed, []
    holders = set(storage.get_concurrency_run_ids())                 # pending / assigned steps
    for key in storage.get_concurrency_keys():
        holders |= storage.get_concurrency_info(key).active_run_ids  # claimed slots
    freed = []
    for run_id in sorted(holders):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished or run_id in failed:
            storage.free_concurrency_slots_for_run(run_id)
            freed.append(run_id)
    return failed, freed


def _run_alive(instance, run_id: str) -> bool:
    pids = {e.dagster_event.pid for e in instance.all_logs(run_id)
            if e.dagster_event is not None and e.dagster_event.pid}
    return any(_pid_alive(pid) for pid in pids if pid != os.getpid())


def _pid_alive(pid: int) -> bool:
    """A live process that could be a Dagster worker (a reused PID of another program is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").lower()
    except OSError:
        return True   # no /proc (macOS): trust the PID
    return any(word in cmdline for word in ("python", "dagster", "mujun"))


def _remove(path: Path, removed: list[Path]) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    removed.append(path)


def _holds_files(folder: Path) -> bool:
    return any(not p.is_dir() or p.is_symlink() for p in folder.rglob("*"))


def remove_leftovers(data_dir: Path, published: Path, reports: Path, failed_runs: list[str]) -> list[Path]:
    removed: list[Path] = []
    tmp = run_tmp_dir(data_dir)
    if tmp.is_dir():
        for child in sorted(tmp.iterdir()):
            if child.is_dir() and not child.is_symlink() and not _holds_files(child):
                # an empty folder is what every finished run leaves (DuckDB's spill folders are
                # created before a step, in case it spills): cleared, but not a sign of a killed run
                shutil.rmtree(child, ignore_errors=True)
                continue
            _remove(child, removed)
    # publish.py writes .<name>.<pid>.<hex>.tmp (and DuckDB its .wal) beside the published file
    pattern = re.compile(rf"^\.{re.escape(published.name)}\.(\d+)\.[0-9a-f]+\.tmp(\.wal)?$")
    if published.parent.is_dir():
        for child in sorted(published.parent.iterdir()):
            m = pattern.match(child.name)
            if m and not (int(m[1]) != os.getpid() and _pid_alive(int(m[1]))):
                _remove(child, removed)
    worklists = reports / "worklists"
    if worklists.is_dir():
        for child in sorted(worklists.rglob("*.xlsx.tmp")):
            _remove(child, removed)
    for run_id in failed_runs:
        docs = reports / "data_docs" / run_id.split("-")[0]
        if docs.exists():
            _remove(docs, removed)
    return removed


def recover(instance, data_dir: Path, published: Path, reports: Path) -> Recovery:
    failed, freed = recover_dagster(instance)
    return Recovery(failed_runs=failed, freed_runs=freed,
                    removed=remove_leftovers(Path(data_dir), Path(published), Path(reports), failed))
