"""The population suites' expectations evaluated by DuckDB in one pass per batch.

Great Expectations stays what auditors see: the suites are GX suite files, each result is a GX
ExpectationValidationResult (the same `result` fields GX's SUMMARY format gives: element, missing
and unexpected counts and percentages, up to 20 unexpected values, their index rows and value
counts), and the Data Docs are GX's. What changes is who counts: GX's own SQL engine sends several
full scans per expectation (measured on 15.4 M tax rows of one province year: 93 s for one suite;
36 s with results reduced to booleans), which cannot audit a province in a minute. Here every
counting expression of a batch goes into ONE aggregate query; only the expectations that fail
send a second query for their first 20 rows, and only those rows are joined to the registry to
name subject, enterprise and town.

The evaluated types are exactly the ones the population suites use (suites.py); an unknown type
is an error, never a silent pass. tests/test_sql_expectations.py runs GX's own SQL engine
(gx_duckdb.py) on the same batches and requires the same success, element and unexpected counts
for every expectation, so the semantics stay GX's.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from orchestration.audit.batches import Batch

EXAMPLES = 20


class UnsupportedExpectation(ValueError):
    pass


def _lit(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _col(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def resolve(kwargs: dict, params: dict) -> dict:
    """kwargs with every {"$PARAMETER": name} replaced by its value."""
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, dict) and "$PARAMETER" in v:
            if v["$PARAMETER"] not in params:
                raise KeyError(f"expectation parameter {v['$PARAMETER']!r} has no value")
            v = params[v["$PARAMETER"]]
        out[k] = v
    return out


@dataclass(frozen=True)
class Plan:
    """How one expectation is counted: `bad` is a row predicate of an unexpected value,
    `missing` counts the nulls GX ignores (column map expectations other than not-null)."""
    kind: str                # column_map | row_count | unexpected_rows
    column: str | None = None
    bad: str | None = None
    ignores_nulls: bool = True


def plan(expectation_type: str, kw: dict) -> Plan:
    c = _col(kw["column"]) if "column" in kw else None
    if expectation_type == "expect_column_values_to_not_be_null":
        return Plan("column_map", kw["column"], f"{c} is null", ignores_nulls=False)
    if expectation_type == "expect_column_values_to_match_regex":
        return Plan("column_map", kw["column"], f"not regexp_matches({c}, {_lit(kw['regex'])})")
    if expectation_type == "expect_column_values_to_be_in_set":
        values = ", ".join(_lit(v) for v in kw["value_set"])
        return Plan("column_map", kw["column"], f"{c} not in ({values})" if values else "true")
    if expectation_type == "expect_column_values_to_be_between":
        tests = []
        if kw.get("min_value") is not None:
            tests.append(f"{c} {'<=' if kw.get('strict_min') else '<'} {_lit(kw['min_value'])}")
        if kw.get("max_value") is not None:
            tests.append(f"{c} {'>=' if kw.get('strict_max') else '>'} {_lit(kw['max_value'])}")
        return Plan("column_map", kw["column"], " or ".join(tests) or "false")
    if expectation_type == "expect_table_row_count_to_be_between":
        return Plan("row_count")
    if expectation_type == "unexpected_rows_expectation":
        return Plan("unexpected_rows")
    raise UnsupportedExpectation(f"{expectation_type} is not evaluated in DuckDB; add it to sql_expectations.plan")


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _plain(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def evaluate(con, batch: Batch, expectations: list[tuple[str, dict]], params: dict) -> list[tuple[bool, dict]]:
    """(success, GX `result` dict) per expectation (type, kwargs) of the batch, in order."""
    base = f"({batch.base}) as batch"
    plans = [(t, resolve(kw, params), plan(t, resolve(kw, params))) for t, kw in expectations]
    aggregates = ["count(*)"]
    for _, _, p in plans:
        if p.kind == "column_map":
            # coalesce: count_if of no rows is null, and an empty year must count as 0 (not crash)
            aggregates.append(f"coalesce(count_if({_col(p.column)} is null), 0)")
            guard = f"{_col(p.column)} is not null and " if p.ignores_nulls else ""
            aggregates.append(f"coalesce(count_if({guard}({p.bad})), 0)")
    counts = con.execute(f"select {', '.join(aggregates)} from {base}").fetchone()
    n = int(counts[0])
    out: list[tuple[bool, dict]] = []
    i = 1
    for _t, kw, p in plans:
        if p.kind == "row_count":
            lo, hi = kw.get("min_value"), kw.get("max_value")
            ok = (lo is None or n >= lo) and (hi is None or n <= hi)
            out.append((ok, {"observed_value": n}))
            continue
        if p.kind == "unexpected_rows":
            query = re.sub(r"\{batch\}", f"({batch.base})", kw["unexpected_rows_query"])
            rows = con.execute(f"select *, count(*) over () as _total from ({query}) as unexpected "
                               f"order by all limit {EXAMPLES}").df()
            total = int(rows["_total"].iloc[0]) if len(rows) else 0
            shown = [{k: _plain(v) for k, v in r.items() if k != "_total"} for r in rows.to_dict("records")]
            shown = _name_rows(con, batch, shown)
            result = {"observed_value": total}
            if shown:
                result["details"] = {"unexpected_rows": shown}
            out.append((total == 0, result))
            continue
        missing, unexpected = int(counts[i]), int(counts[i + 1])
        i += 2
        nonmissing = n - missing if p.ignores_nulls else n
        result = {
            "element_count": n,
            "unexpected_count": unexpected,
            "unexpected_percent": _percent(unexpected, nonmissing),
            "partial_unexpected_list": [],
        }
        if p.ignores_nulls:
            result.update({
                "missing_count": missing,
                "missing_percent": _percent(missing, n),
                "unexpected_percent_total": _percent(unexpected, n),
                "unexpected_percent_nonmissing": _percent(unexpected, nonmissing),
            })
        if unexpected:
            result.update(_examples(con, batch, p))
        out.append((unexpected == 0, result))
    return out


def _name_rows(con, batch: Batch, rows: list[dict]) -> list[dict]:
    """Rows that carry first_file_row get the subject, enterprise name and town of that file row."""
    rows_at = [int(r["first_file_row"]) for r in rows if r.get("first_file_row") is not None]
    if not rows_at:
        return rows
    names = {int(r[3]): r[:3] for r in con.execute(
        f"select subject, enterprise_name, town, file_row from ({batch.query}) as named "
        f"where file_row in ({', '.join(str(x) for x in rows_at)})").fetchall()}
    out = []
    for r in rows:
        known = names.get(int(r["first_file_row"])) if r.get("first_file_row") is not None else None
        out.append({**(dict(zip(("subject", "enterprise_name", "town"), known)) if known else {}), **r})
    return out


def _examples(con, batch: Batch, p: Plan) -> dict:
    """The first unexpected values (by file row), their value counts and the rows that name them."""
    c = _col(p.column)
    guard = f"{c} is not null and " if p.ignores_nulls else ""
    index_cols = [x for x in batch.index_columns if x != p.column]
    rows = con.execute(
        f"select {', '.join(_col(x) for x in index_cols)}, {c} as _value from ({batch.query}) as batch "
        f"where {guard}({p.bad}) order by file_row nulls last limit {EXAMPLES}").df()
    values = [_plain(v) if v == v else None for v in rows["_value"].tolist()]
    index = []
    for r in rows.to_dict("records"):
        item = {k: _plain(r[k]) for k in index_cols}
        item[p.column] = _plain(r["_value"]) if r["_value"] == r["_value"] else None
        index.append(item)
    counts: dict = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return {
        "partial_unexpected_list": values,
        "partial_unexpected_index_list": index,
        # GX's Data Docs draw the table of failing records (subject · name · town · file row) from
        # these three; like the partial list they hold at most EXAMPLES rows
        "unexpected_list": values,
        "unexpected_index_list": index,
        "unexpected_index_column_names": index_cols,
        "partial_unexpected_counts": [{"value": v, "count": k} for v, k in
                                      sorted(counts.items(), key=lambda kv: -kv[1])],
    }
