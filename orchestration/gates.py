"""Publication gates: what every year must meet before the analysts' file is replaced (issue #8).

A broken delivery must not be published as if it were true. Per year that the publication would
contain, the gates judge the facts that already live in the warehouse:

  feed_delivered.<feed>   the latest delivery of every required feed exists, was not refused, and
                          the year's folder (when present) still holds the file
  feed_loaded.<feed>      the delivery in effect loaded at least `min_loaded_rows` rows
  reject_share.<feed>     rows_rejected / rows_delivered of that delivery <= `max_rejected_share`
  totals_change.<measure> graded subjects, counted area, counted tax move by at most
                          `max_relative_change` against Y-1 (not_applicable without Y-1)
  audit_suites            no critical GX suite failed (recorded by the publish asset; the GX asset
                          checks are blocking, so this one cannot be accepted)

Thresholds come from the seed reference.publication_gates; delivery facts from
quarantine.delivery_ledger / rejected_rows (ingestion); totals from audit.publication_gate_measures
(dbt, over marts.subject_evaluation). The result is audit.publication_gates, one row per year × gate.

Acceptance: `mujun run --accept-gate GATE:YEAR --reason "…"` records (gate, year, reason,
accepted_at, observed, evidence) in audit.gate_acceptances. An acceptance is bound to the evidence
it was given for (the sha256 of the delivery, or the compared totals): a re-run on the same data
stays accepted without the flag, new data is judged again.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from pathlib import Path

from orchestration import policy_years
from orchestration.catalog import table_exists
from orchestration.feeds.contract import REQUIRED_FEEDS

PASSED, FAILED, ACCEPTED, NOT_APPLICABLE = "passed", "failed", "accepted", "not_applicable"

# measure -> (column of audit.publication_gate_measures, words, unit, feeds that drive it)
TOTALS = {
    "graded_subjects": ("graded_subjects", "graded subjects", "", "registry_enterprises, stats_enterprise_annual"),
    "counted_area": ("counted_area_mu", "counted area", " 亩", "land_parcels, land_ledger"),
    "counted_tax": ("counted_tax_wan", "counted tax", " 万元", "tax_payments, tax_restorations"),
}
FEED_FAMILIES = ("feed_delivered", "feed_loaded", "reject_share")
SUITES_GATE = "audit_suites"

TABLE_DDL = """
create or replace table audit.publication_gates (
    year integer not null,
    gate varchar not null,          -- accept it with --accept-gate <gate>:<year>
    feed varchar,                   -- the feed judged (feed gates), else null
    status varchar not null,        -- passed | failed | accepted | not_applicable
    observed double,                -- delivered (1/0), loaded rows, rejected share, relative change, failed suites
    threshold double,
    message varchar not null,
    evidence varchar,               -- what an acceptance is bound to (delivery sha256, compared totals)
    accepted_reason varchar,
    accepted_at timestamp,
    evaluated_at timestamp not null
)"""
ACCEPTANCES_DDL = """
create table if not exists audit.gate_acceptances (
    gate varchar not null,
    year integer not null,
    reason varchar not null,
    observed double,
    evidence varchar,
    accepted_at timestamp not null,
    run_id varchar
)"""


class GateError(ValueError):
    """An --accept-gate request that names no gate (typo, unknown feed) or one that cannot be accepted."""


@dataclass
class Gate:
    year: int
    gate: str
    status: str
    message: str
    feed: str | None = None
    observed: float | None = None
    threshold: float | None = None
    evidence: str | None = None
    accepted_reason: str | None = None
    accepted_at: dt.datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.gate}:{self.year}"


@dataclass(frozen=True)
class Acceptance:
    gate: str
    year: int
    reason: str


# ------------------------------------------------------------------------------ names
def acceptable_gates() -> list[str]:
    """Every gate an operator may accept (without the year)."""
    return ([f"{fam}.{f}" for fam in FEED_FAMILIES for f in REQUIRED_FEEDS]
            + [f"totals_change.{m}" for m in TOTALS])


def parse_acceptance(text: str, reason: str) -> Acceptance:
    """`GATE:YEAR` (e.g. reject_share.tax_payments:2021) -> Acceptance; GateError names the problem."""
    gate, sep, year = text.strip().rpartition(":")
    if not sep or not gate or not year.isdigit():
        raise GateError(f"--accept-gate takes GATE:YEAR, e.g. reject_share.tax_payments:2021 (got {text!r})")
    if gate == SUITES_GATE:
        raise GateError("audit_suites cannot be accepted: a failed critical GX suite means the data breaks a "
                        "structural rule; fix the delivery (see the Data Docs of the run)")
    if gate not in acceptable_gates():
        near = [g for g in acceptable_gates() if g.split(".")[0] == gate.split(".")[0]] or acceptable_gates()
        raise GateError(f"--accept-gate {text}: no gate {gate!r}; gates are: {', '.join(near)}")
    if not reason or not reason.strip():
        raise GateError(f"--accept-gate {text} needs --reason \"…\" (recorded with the acceptance)")
    return Acceptance(gate, int(year), reason.strip())


# ------------------------------------------------------------------------------ reading


THRESHOLDS = ("min_loaded_rows", "max_rejected_share", "max_relative_change")


def threshold_rows(con) -> list[dict]:
    if not table_exists(con, "reference", "publication_gates"):
        raise GateError("reference.publication_gates is missing: the dbt seeds were not built (see dbt build)")
    cur = con.execute("select * from reference.publication_gates")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def thresholds(con, year: int, rows: list[dict] | None = None) -> dict[str, float]:
    """The thresholds valid in `year` (a year's gates are judged by the rows written for it)."""
    try:
        return policy_years.params_for_year(threshold_rows(con) if rows is None else rows, year,
                                            "publication_gates", THRESHOLDS)
    except policy_years.PolicyYearError as e:
        raise GateError(str(e)) from None


def gated_years(con) -> list[int]:
    """Every year the publication would contain: evaluated years and years with a delivery."""
    years: set[int] = set()
    if table_exists(con, "marts", "subject_evaluation"):
        years |= {r[0] for r in con.execute("select distinct year from marts.subject_evaluation").fetchall()}
    if table_exists(con, "quarantine", "delivery_ledger"):
        years |= {r[0] for r in con.execute("select distinct year from quarantine.delivery_ledger").fetchall()}
    return sorted(int(y) for y in years)


def _deliveries(con) -> dict[tuple[int, str], dict]:
    """(year, feed) -> latest ledger row and the delivery in effect (latest loaded/unchanged)."""
    if not table_exists(con, "quarantine", "delivery_ledger"):
        return {}
    rows = con.execute("""
        select year, feed, status, file, sha256, rows_delivered, rows_loaded, rows_rejected, message, delivery_id,
               loaded_at
        from quarantine.delivery_ledger order by loaded_at""").fetchall()
    out: dict[tuple[int, str], dict] = {}
    keys = ("status", "file", "sha256", "delivered", "loaded", "rejected", "message", "delivery_id", "loaded_at")
    for year, feed, *rest in rows:
        d = out.setdefault((int(year), feed), {"latest": None, "effect": None})
        row = dict(zip(keys, rest))
        d["latest"] = row
        if row["status"] in ("loaded", "unchanged"):
            d["effect"] = row
    return out


def _top_reasons(con, year: int, feed: str, limit: int = 3) -> str:
    if not table_exists(con, "quarantine", "rejected_rows"):
        return ""
    rows = con.execute("""
        select reason, count(*) as n, arg_min(detail, coalesce(row_number, 0)) as example
        from quarantine.rejected_rows where year = ? and feed = ?
        group by reason order by n desc, reason limit ?""", [year, feed, limit]).fetchall()
    return "; ".join(f"{r} {n:,}" + (f" ({ex})" if ex else "") for r, n, ex in rows)


def _accept_hint(gate: str, year: int) -> str:
    return f'accept with --accept-gate {gate}:{year} --reason "…"'


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


# ------------------------------------------------------------------------------ judging
def _feed_gates(con, year: int, feed: str, d: dict, folder, limits: dict[str, float]) -> list[Gate]:
    latest, effect = d.get("latest"), d.get("effect")
    out = []

    g = "feed_delivered." + feed
    if folder is not None and feed not in folder.files:
        why = ("delivered as both .csv and .xlsx" if feed in folder.conflicts
               else f"no {feed}.csv|.xlsx in {folder.year_dir}")
        kept = (f"; the warehouse still holds {effect['file']} ({effect['loaded']:,} rows)" if effect
                else "; nothing of it is loaded")
        out.append(Gate(year, g, FAILED, f"{year} {feed}: required feed missing ({why}){kept} — deliver the file "
                                         f"or {_accept_hint(g, year)}",
                        feed, 0.0, 1.0, "missing:" + (effect["sha256"] if effect else "none")))
    elif latest is None:
        out.append(Gate(year, g, FAILED, f"{year} {feed}: required feed never delivered — deliver "
                                         f"{year}/{feed}.csv or {_accept_hint(g, year)}",
                        feed, 0.0, 1.0, "never"))
    elif latest["status"] == "refused":
        kept = (f"; the warehouse still holds the earlier delivery {effect['file']} ({effect['loaded']:,} rows)"
                if effect else "; nothing of it is loaded")
        out.append(Gate(year, g, FAILED, f"{year} {feed}: delivery REFUSED — {latest['message']}{kept} — fix the "
                                         f"file and run again, or {_accept_hint(g, year)}",
                        feed, 0.0, 1.0, f"refused:{latest['sha256']}"))
    else:
        out.append(Gate(year, g, PASSED, f"{year} {feed}: delivered ({latest['file']})", feed, 1.0, 1.0,
                        latest["sha256"]))

    sha = effect["sha256"] if effect else "none"
    g = "feed_loaded." + feed
    need = limits["min_loaded_rows"]
    loaded = float(effect["loaded"]) if effect else 0.0
    if loaded < need:
        what = (f"{effect['file']} loaded {int(loaded):,} of {effect['delivered']:,} delivered rows" if effect
                else "no delivery loaded")
        reasons = _top_reasons(con, year, feed) if effect and effect["rejected"] else ""
        out.append(Gate(year, g, FAILED, f"{year} {feed}: {what} (at least {int(need):,} required)"
                                         + (f": {reasons}" if reasons else "")
                                         + f" — fix the delivery or {_accept_hint(g, year)}",
                        feed, loaded, need, sha))
    else:
        out.append(Gate(year, g, PASSED, f"{year} {feed}: {int(loaded):,} rows loaded", feed, loaded, need, sha))

    g = "reject_share." + feed
    limit = limits["max_rejected_share"]
    if not effect or not effect["delivered"]:
        out.append(Gate(year, g, NOT_APPLICABLE, f"{year} {feed}: no delivered rows to judge", feed, None, limit, sha))
    else:
        share = effect["rejected"] / effect["delivered"]
        if share > limit:
            out.append(Gate(year, g, FAILED,
                            f"{year} {feed}: {_pct(share)} of {effect['delivered']:,} rows rejected "
                            f"(threshold {_pct(limit)}, {effect['file']}): {_top_reasons(con, year, feed)} — "
                            f"fix the delivery or {_accept_hint(g, year)}",
                            feed, share, limit, sha))
        else:
            out.append(Gate(year, g, PASSED, f"{year} {feed}: {_pct(share)} of {effect['delivered']:,} rows rejected",
                            feed, share, limit, sha))
    return out


def _totals_gates(con, year: int, limits: dict[str, float]) -> list[Gate]:
    limit = limits["max_relative_change"]
    measures = {}
    if table_exists(con, "audit", "publication_gate_measures"):
        cols = ", ".join(c for c, *_ in TOTALS.values())
        measures = {int(r[0]): r[1:] for r in con.execute(
            f"select year, {cols} from audit.publication_gate_measures where year in (?, ?)",
            [year, year - 1]).fetchall()}
    out = []
    for i, (measure, (_, words, unit, feeds)) in enumerate(TOTALS.items()):
        g = f"totals_change.{measure}"
        now = float(measures[year][i]) if year in measures else 0.0
        if year - 1 not in measures:
            out.append(Gate(year, g, NOT_APPLICABLE, f"{year} {words}: {_num(now)}{unit}; {year - 1} is not in the "
                                                     "warehouse, nothing to compare", None, None, limit))
            continue
        before = float(measures[year - 1][i])
        change = 0.0 if now == before else (math.inf if before == 0 else (now - before) / abs(before))
        evidence = f"{now:.6g}/{before:.6g}"
        text = (f"{year} {words}: {_num(now)}{unit} against {_num(before)}{unit} in {year - 1} "
                f"({'+' if change >= 0 else ''}{_pct(change)}, threshold ±{_pct(limit)})")
        if abs(change) > limit:
            out.append(Gate(year, g, FAILED, f"{text} — check the {year} deliveries of {feeds}, or "
                                             f"{_accept_hint(g, year)}",
                            None, change if math.isfinite(change) else None, limit, evidence))
        else:
            out.append(Gate(year, g, PASSED, text, None, change, limit, evidence))
    return out


def evaluate(con, feeds_root: Path | None = None, years: list[int] | None = None) -> list[Gate]:
    """The feed and totals gates of every gated year (read-only)."""
    from orchestration.feeds.reader import scan_year

    rows = threshold_rows(con)
    deliveries = _deliveries(con)
    out: list[Gate] = []
    for year in years if years is not None else gated_years(con):
        scan = scan_year(Path(feeds_root), year) if feeds_root else None
        folder = scan if scan is not None and scan.year_dir.is_dir() else None
        limits = thresholds(con, year, rows)
        for feed in REQUIRED_FEEDS:
            out += _feed_gates(con, year, feed, deliveries.get((year, feed), {}), folder, limits)
        out += _totals_gates(con, year, limits)
    return out


def suite_gates(con, years: list[int]) -> list[Gate]:
    """audit_suites per year: the critical GX suites of the latest audit (audit.suite_results)."""
    if not table_exists(con, "audit", "suite_results"):
        return [Gate(y, SUITES_GATE, FAILED, f"{y}: no audit results (audit.suite_results missing) — run the audit",
                     None, None, 0.0) for y in years]
    failed = [r[0] for r in con.execute(
        "select distinct suite from audit.suite_results where critical and not success order by suite").fetchall()]
    if failed:
        return [Gate(y, SUITES_GATE, FAILED, f"{y}: critical audit suite(s) failed: {', '.join(failed)} — see the "
                                             "run's Data Docs; fix the delivery", None, float(len(failed)), 0.0,
                     ",".join(failed)) for y in years]
    n = con.execute("select count(distinct suite) from audit.suite_results where critical").fetchone()[0]
    return [Gate(y, SUITES_GATE, PASSED, f"{y}: all {n} critical audit suites held", None, 0.0, 0.0) for y in years]


# ------------------------------------------------------------------------------ acceptances
def apply_acceptances(con, gates: list[Gate], requests: list[Acceptance], run_id: str | None = None,
                      now: dt.datetime | None = None) -> tuple[list[Gate], list[str]]:
    """Mark failed gates accepted: by a request of this run (recorded) or by an earlier acceptance
    of the same evidence. Returns the gates and notes for the operator; GateError for a request
    that names no gate of this publication."""
    now = now or dt.datetime.now().replace(microsecond=0)
    con.execute("create schema if not exists audit")
    con.execute(ACCEPTANCES_DDL)
    by_name = {g.name: g for g in gates}
    notes: list[str] = []
    for req in requests:
        name = f"{req.gate}:{req.year}"
        g = by_name.get(name)
        if g is None:
            years = sorted({x.year for x in gates})
            raise GateError(f"--accept-gate {name}: {req.year} is not a year of this publication "
                            f"(years: {', '.join(map(str, years)) or 'none'})")
        if g.status != FAILED:
            notes.append(f"--accept-gate {name}: the gate {g.status}, nothing to accept (not recorded)")
            continue
        con.execute("insert into audit.gate_acceptances values (?, ?, ?, ?, ?, ?, ?)",
                    [g.gate, g.year, req.reason, g.observed, g.evidence, now, run_id])
        notes.append(f"accepted {name}: {req.reason}")
    recorded = {}
    for gate, year, reason, evidence, at in con.execute(
            "select gate, year, reason, evidence, accepted_at from audit.gate_acceptances order by accepted_at").fetchall():
        recorded[(gate, int(year), evidence)] = (reason, at)   # latest acceptance of that evidence wins
    out = []
    for g in gates:
        hit = recorded.get((g.gate, g.year, g.evidence)) if g.status == FAILED else None
        out.append(replace(g, status=ACCEPTED, accepted_reason=hit[0], accepted_at=hit[1]) if hit else g)
    return out, notes


def write(con, gates: list[Gate], now: dt.datetime | None = None) -> None:
    """Replace audit.publication_gates with `gates` (one row per year × gate)."""
    now = now or dt.datetime.now().replace(microsecond=0)
    con.execute("create schema if not exists audit")
    con.execute(TABLE_DDL)
    rows = [[g.year, g.gate, g.feed, g.status, g.observed, g.threshold, g.message, g.evidence,
             g.accepted_reason, g.accepted_at, now] for g in gates]
    if rows:
        con.executemany("insert into audit.publication_gates values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def read(con) -> list[Gate]:
    if not table_exists(con, "audit", "publication_gates"):
        return []
    rows = con.execute("""select year, gate, status, message, feed, observed, threshold, evidence, accepted_reason,
                                 accepted_at from audit.publication_gates order by year, gate""").fetchall()
    return [Gate(*r) for r in rows]


def failed(gates: list[Gate]) -> list[Gate]:
    return [g for g in gates if g.status == FAILED]


def blocked_message(gates: list[Gate]) -> str:
    bad = failed(gates)
    return (f"{len(bad)} publication gate(s) failed; the last publication stays in place:\n"
            + "\n".join(f"  {g.name}: {g.message}" for g in bad))
