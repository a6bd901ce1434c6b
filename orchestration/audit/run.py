"""The random audit end to end (R-AUDIT-1..4), independent of Dagster.

1. read (one short-lived connection): parameters, the sample (R-AUDIT-1), the frames;
2. validate every suite with GX (no warehouse connection open), Data Docs for the auditors;
3. turn results into audit.check_results / town_quality / suite_results, write the worklists;
4. write the audit tables (second short-lived connection, the pipeline's writer).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from orchestration.audit import gx_runner, parameters, records, sampling, worklists
from orchestration.audit import suites as S

AUDIT_TABLES = ("sample", "check_results", "town_quality", "suite_results")


@dataclass
class AuditOutcome:
    run_key: str
    seed: int
    parameters: dict[str, float]
    sample: pd.DataFrame
    record_results: pd.DataFrame
    check_results: pd.DataFrame
    town_quality: pd.DataFrame
    suite_results: pd.DataFrame
    gx: gx_runner.GxRun
    worklists: list[Path]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def docs_index(self) -> Path | None:
        return self.gx.docs_index

    @property
    def critical_failures(self) -> list[str]:
        return [s.name for s in self.gx.suites.values() if s.critical and not s.success]


def collect(con, seed: int, drawn_at: dt.datetime, overrides: dict[str, float] | None = None,
            years: list[int] | None = None):
    """Parameters, sample and the frame of every suite. years=None: every year of the marts."""
    params = {**parameters.load(con), **(overrides or {})}
    sample = sampling.draw_sample(con, seed, params, drawn_at)
    if years:
        sample = sample[sample["year"].isin([int(y) for y in years])].reset_index(drop=True)
    frames: dict[str, pd.DataFrame] = {}
    for feed in S.STRUCTURAL_FEEDS:
        frames[S.structural_suite_name(feed)] = records.structural_frame(con, feed, years)
    frames[S.MARTS_SUITE] = records.marts_frame(con, years)
    frames[S.CROSS_SUITE] = records.cross_department_frame(con, sample, params)
    return params, sample, frames


def write_tables(con, tables: dict[str, pd.DataFrame]) -> None:
    con.execute("create schema if not exists audit")
    con.execute("begin transaction")
    try:
        for name, df in tables.items():
            con.register("_audit_df", df)
            con.execute(f"create or replace table audit.{name} as select * from _audit_df")
            con.unregister("_audit_df")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def run_audit(
    connect: Callable[[], contextlib.AbstractContextManager],
    seed: int,
    reports_dir: Path,
    run_key: str | None = None,
    project_root: Path | None = None,
    overrides: dict[str, float] | None = None,
    years: list[int] | None = None,
) -> AuditOutcome:
    """connect() yields a DuckDB connection to the pipeline warehouse (DuckDBResource.get_connection)."""
    now = dt.datetime.now()
    run_key = run_key or now.strftime("%Y%m%dT%H%M%S")
    reports_dir = Path(reports_dir)
    t = {}
    t0 = time.monotonic()
    with connect() as con:
        params, sample, frames = collect(con, seed, now, overrides, years)
    t["read_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    gx_run = gx_runner.run_suites(frames, params, reports_dir / "data_docs" / run_key, run_key, project_root)
    t["gx_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    cross = gx_run.suites[S.CROSS_SUITE]
    rec = gx_runner.record_results(frames[S.CROSS_SUITE], cross)
    check_results = gx_runner.subject_results(rec, now)
    quality = gx_runner.town_quality(check_results, sample)
    suite_results = gx_runner.suite_rows(gx_run, now, run_key)
    lists = worklists.write_worklists(rec, sample, reports_dir)
    t["reports_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    tables = {
        "sample": sample,
        "check_results": check_results,
        "town_quality": quality,
        "suite_results": suite_results,
    }
    with connect() as con:
        write_tables(con, tables)
    t["write_s"] = time.monotonic() - t0
    return AuditOutcome(run_key=run_key, seed=int(seed), parameters=params, sample=sample,
                        record_results=rec, check_results=check_results, town_quality=quality,
                        suite_results=suite_results, gx=gx_run, worklists=lists, timings=t)


def file_connector(path: Path):
    """connect() for a plain warehouse file (tests, CLI): a fresh read-write connection each time."""
    @contextlib.contextmanager
    def _connect():
        con = duckdb.connect(str(path))
        try:
            yield con
        finally:
            con.close()
    return _connect
