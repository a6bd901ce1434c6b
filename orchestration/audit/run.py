"""The random audit end to end (R-AUDIT-1..4), independent of Dagster.

1. read (one short-lived connection): parameters, the sample (R-AUDIT-1), the population batches
   (one per suite and year) and the sampled subjects' base records (audit.audit_base_records, dbt);
   and the population batches counted by DuckDB on that connection (sql_expectations.py);
2. GX: the population counts become GX validation results, the sample's records are validated by GX
   in pandas; Data Docs for the auditors;
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

from orchestration import towns
from orchestration.audit import batches as B
from orchestration.audit import gx_runner, parameters, sampling, worklists
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


@dataclass
class Collected:
    parameters: dict[str, float]
    sample: pd.DataFrame
    batches: list[B.Batch]
    frames: dict[str, pd.DataFrame]


def sampled_records(con, sample: pd.DataFrame) -> pd.DataFrame:
    """The base records (dbt: audit.audit_base_records) of the sampled subjects, with a row id."""
    con.register("audit_sample_df", sample[["year", "subject_key"]])
    try:
        df = con.execute("""
            select row_number() over (order by r.year, r.subject_key, r.record_type, r.record_key) as row_id, r.*
            from audit.audit_base_records r
            join audit_sample_df s on s.year = r.year and s.subject_key = r.subject_key
            order by row_id""").df()
    finally:
        con.unregister("audit_sample_df")
    if "separate_evaluation_eligible" in df.columns:   # GX's in-set check compares Python booleans
        df["separate_evaluation_eligible"] = df["separate_evaluation_eligible"].astype("object")
    return df


def collect(con, seed: int, drawn_at: dt.datetime, overrides: dict[str, float] | None = None,
            years: list[int] | None = None) -> Collected:
    """Parameters, sample, population batches and the sample's records. years=None: every year."""
    # each year audited with the seed rows valid in it (sample share, suite floors); overrides win
    per_year = {y: {**p, **(overrides or {})}
                for y, p in parameters.by_year(con, [int(y) for y in years] if years else None).items()}
    params = parameters.one_run(per_year) or {**parameters.load(con), **(overrides or {})}
    sample = sampling.draw_sample(con, seed, params, drawn_at, by_year=per_year)
    if years:
        sample = sample[sample["year"].isin([int(y) for y in years])].reset_index(drop=True)
    return Collected(params, sample, B.population_batches(con, params, years, by_year=per_year),
                     {S.CROSS_SUITE: sampled_records(con, sample)})


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
    progress=None,
) -> AuditOutcome:
    """connect() yields a DuckDB connection to the pipeline warehouse (DuckDBResource.get_connection)."""
    now = dt.datetime.now()
    run_key = run_key or now.strftime("%Y%m%dT%H%M%S")
    reports_dir = Path(reports_dir)
    t = {}
    t0 = time.monotonic()
    with connect() as con:
        c = collect(con, seed, now, overrides, years)
        t["read_s"] = time.monotonic() - t0
        t0 = time.monotonic()
        population = gx_runner.evaluate_population(con, c.batches, c.parameters, project_root, progress)
        town_names = towns.names(con)     # reference.ref_towns as this run's dbt seeded it
        t["population_s"] = time.monotonic() - t0
    params, sample, frames = c.parameters, c.sample, c.frames

    t0 = time.monotonic()
    gx_run = gx_runner.run_suites(frames, params, reports_dir / "data_docs" / run_key, run_key, project_root,
                                  population=population)
    t["gx_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    cross = gx_run.suites[S.CROSS_SUITE]
    rec = gx_runner.record_results(frames[S.CROSS_SUITE], cross)
    check_results = gx_runner.subject_results(rec, now)
    quality = gx_runner.town_quality(check_results, sample)
    suite_results = gx_runner.suite_rows(gx_run, now, run_key)
    t["results_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    lists = worklists.write_worklists(rec, sample, reports_dir, town_names=town_names)
    t["worklists_s"] = time.monotonic() - t0

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
