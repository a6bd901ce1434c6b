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
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PUBLIC_SCHEMAS = ("marts", "audit", "quarantine", "reference")


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
                con.execute(f"create table {alias}.{_q(schema)}.{_q(rel)} as select * from {_q(schema)}.{_q(rel)}")
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
