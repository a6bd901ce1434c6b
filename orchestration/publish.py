"""Publication of the analysts' warehouse (marts.md): write a new file, then rename it into place.

publish() copies the public schemas (marts, audit, quarantine, and reference so that analysts can
join names) from the pipeline warehouse into a NEW DuckDB file next to the published path, closes
it, and os.replace()s it onto the published path. Readers therefore see either the previous
publication or the new one, never a half-written file (a reader that already has the old file
open keeps reading the old file). Any failure leaves the last good publication untouched.

Publication is refused while a publication gate failed (audit.publication_gates, written by
orchestration/gates.py: feeds delivered, loaded, few rejects, totals stable against Y-1) or a
critical audit suite failed (audit.suite_results, written by the GX audit). Dagster's dependencies
and blocking asset checks already stop the downstream `publish` asset; this is the second lock, for
any other caller.

Stages (issue #13, R-STAGE-1/2). Each data year is published first as `initial` (公示) and later as
`final`. dbt decides the current stage of each year (marts.publication_stages: final once the 公示
window has closed, or `mujun publish --final` ended it, and no appeal is pending); publish() logs
every change of stage in publication.stages (year, stage, stage_on, recorded_at, note) with the
grades of that stage in publication.stage_grades, and every published marts table with a `year`
column carries the stage of its year as column `publication_stage`. The first `initial` record of a
year opens its 公示 window (stage_on = the publication date, or the notice date given with
`mujun publish --initial --on`).
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.catalog import table_exists

PUBLIC_SCHEMAS = ("marts", "audit", "quarantine", "reference", "publication")
STAGES = ("initial", "final")
STAGE_TABLE = "publication.stages"
STAGE_GRADES_TABLE = "publication.stage_grades"


class PublicationBlocked(RuntimeError):
    """A gate or a critical audit suite failed (or they have not run): nothing is published."""


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)   # "schema.table" -> rows
    published_at: dt.datetime | None = None
    bytes: int = 0


def critical_failures(con) -> list[str]:
    """Critical suites that failed in the latest audit; raises PublicationBlocked without an audit."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'suite_results'"
    ).fetchone()[0]
    if not exists:
        raise PublicationBlocked("no audit results (audit.suite_results missing): run the audit before publishing")
    rows = con.execute(
        "select distinct suite from audit.suite_results where critical and not success order by suite"
    ).fetchall()
    return [r[0] for r in rows]


def gate_failures(con) -> str | None:
    """The operator's message when a publication gate failed; raises PublicationBlocked without gates."""
    from orchestration import gates

    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'publication_gates'"
    ).fetchone()[0]
    if not exists:
        raise PublicationBlocked("no publication gates (audit.publication_gates missing): evaluate the gates "
                                 "before publishing")
    judged = gates.read(con)
    return gates.blocked_message(judged) if gates.failed(judged) else None


def _relations(con, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() "
        "and table_schema = ? order by table_name", [schema]).fetchall()]


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'




def ensure_stage_tables(con) -> None:
    con.execute("create schema if not exists publication")
    con.execute(f"""create table if not exists {STAGE_TABLE} (
        year integer not null, stage varchar not null, stage_on date not null,
        recorded_at timestamp not null, note varchar)""")
    con.execute(f"""create table if not exists {STAGE_GRADES_TABLE} (
        year integer not null, stage varchar not null, subject_key varchar not null, subject_id varchar,
        grade varchar, recorded_at timestamp not null)""")


def logged_stage(con, year: int) -> tuple[str, dt.date] | None:
    """The latest stage recorded for `year` (stage, stage_on), or None."""
    if not table_exists(con, "publication", "stages"):
        return None
    row = con.execute(f"select stage, stage_on from {STAGE_TABLE} where year = ? "
                      "order by recorded_at desc, stage_on desc limit 1", [year]).fetchone()
    return (row[0], row[1]) if row else None


def snapshot_grades(con, year: int, stage: str) -> int:
    """Keep the grades of `year` as they are now in marts.subject_evaluation as the grades of `stage`."""
    ensure_stage_tables(con)
    con.execute(f"delete from {STAGE_GRADES_TABLE} where year = ? and stage = ?", [year, stage])
    con.execute(f"""insert into {STAGE_GRADES_TABLE}
        select year, ?, subject_key, subject_id, grade, current_timestamp from marts.subject_evaluation
        where year = ? and grade is not null""", [stage, year])
    return con.execute(f"select count(*) from {STAGE_GRADES_TABLE} where year = ? and stage = ?",
                       [year, stage]).fetchone()[0]


def record_stage(con, year: int, stage: str, on: dt.date | None = None, note: str | None = None) -> None:
    """Append a stage record for `year` (stage_on defaults to today)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    ensure_stage_tables(con)
    con.execute(f"insert into {STAGE_TABLE} values (?, ?, ?, current_timestamp, ?)",
                [year, stage, on or dt.date.today(), note])


def sync_stages(con, today: dt.date | None = None) -> list[tuple[int, str]]:
    """Log each year whose current stage (marts.publication_stages) differs from its latest record,
    with a snapshot of its grades. Returns the (year, stage) changes."""
    if not table_exists(con, "marts", "publication_stages"):
        return []
    changes = []
    for year, stage in con.execute("select year, stage from marts.publication_stages order by year").fetchall():
        last = logged_stage(con, year)
        if last is None or last[0] != stage:
            record_stage(con, year, stage, today, "published by mujun run")
            snapshot_grades(con, year, stage)
            changes.append((year, stage))
        elif not con.execute(f"select count(*) from {STAGE_GRADES_TABLE} where year = ? and stage = ?",
                             [year, stage]).fetchone()[0]:
            snapshot_grades(con, year, stage)   # recorded by `mujun publish` before any evaluation
    return changes


def _copy_select(con, schema: str, rel: str) -> str:
    """The SELECT that copies a relation; marts tables with a year get the year's publication_stage."""
    src = f"{_q(schema)}.{_q(rel)}"
    if schema != "marts" or rel == "publication_stages" or not table_exists(con, "marts", "publication_stages"):
        return f"select * from {src}"
    cols = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema = ? and table_name = ?", [schema, rel]).fetchall()]
    if "year" not in cols or "publication_stage" in cols:
        return f"select * from {src}"
    return (f"select t.*, s.stage as publication_stage from {src} as t "
            f"left join marts.publication_stages as s on s.year = t.year")


def publish(con, published_path: Path | str, schemas: tuple[str, ...] = PUBLIC_SCHEMAS,
            require_audit: bool = True) -> PublishResult:
    """Copy `schemas` from the warehouse open on `con` (read-write) to published_path, atomically."""
    published_path = Path(published_path)
    if require_audit:
        failed = critical_failures(con)
        if failed:
            raise PublicationBlocked(
                f"critical audit suite(s) failed: {', '.join(failed)}; the last publication stays in place")
        blocked = gate_failures(con)
        if blocked:
            raise PublicationBlocked(blocked)
    sync_stages(con)
    published_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_path.with_name(f".{published_path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    alias = f"pub_{uuid.uuid4().hex[:8]}"
    result = PublishResult(path=published_path)
    attached = False
    try:
        # ATTACH takes no prepared parameter: the path is a quoted SQL literal ('' inside)
        con.execute(f"attach {_sql_literal(tmp.as_posix())} as {alias}")
        attached = True
        for schema in schemas:
            rels = _relations(con, schema)
            con.execute(f"create schema if not exists {alias}.{_q(schema)}")
            for rel in rels:
                con.execute(f"create table {alias}.{_q(schema)}.{_q(rel)} as {_copy_select(con, schema, rel)}")
                n = con.execute(f"select count(*) from {alias}.{_q(schema)}.{_q(rel)}").fetchone()[0]
                result.tables[f"{schema}.{rel}"] = int(n)
        con.execute(f"checkpoint {alias}")
        con.execute(f"detach {alias}")
        attached = False
        # the new file is complete and closed: swap it in (atomic on one filesystem)
        os.replace(tmp, published_path)
        result.published_at = dt.datetime.now()
        result.bytes = published_path.stat().st_size
        return result
    finally:
        if attached:
            try:
                con.execute(f"detach {alias}")
            except Exception:  # noqa: BLE001
                pass
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
