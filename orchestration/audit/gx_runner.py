"""Run the audit suites with Great Expectations 1.x and turn the results into rows.

The suites live in the GX file-context project expectations/gx/ (in git). Each run opens a file
context on a scratch copy of that project (so runs never write into the repository and concurrent
runs never share stores) and validates:
- the population suites (structural_<feed>, marts_subject_evaluation), one batch per suite and data
  year (batches.py), counted by DuckDB in one pass per batch (sql_expectations.py) and turned into GX
  validation results: only counts and at most 20 example rows per expectation reach Python;
- the sample suite (cross_department) on a pandas frame of the sampled subjects' base records
  (audit.audit_base_records, a dbt model), with a row id per record so that every failing record
  reaches the worklists.
Policy numbers are `$PARAMETER` values; the Data Docs are built into <reports_dir>/data_docs/<run_key>/.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration import masking
from orchestration.audit import data_docs, sql_expectations
from orchestration.audit import suites as S
from orchestration.audit.batches import Batch

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

DOCS_SITE = "auditors"
EXAMPLES = 20          # failing records reported per expectation and batch


@dataclass
class ExpectationOutcome:
    check: str
    rule_id: str
    type: str
    kwargs: dict
    meta: dict
    success: bool
    element_count: int
    unexpected_count: int
    year: int | None = None
    unexpected_row_ids: list = field(default_factory=list)
    partial_unexpected: list = field(default_factory=list)


@dataclass
class SuiteRun:
    name: str
    critical: bool
    success: bool
    rows: int
    expectations: list[ExpectationOutcome]
    seconds: float
    years: list[int] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        return len(self.expectations)

    @property
    def failed_expectations(self) -> list[str]:
        seen: list[str] = []
        for e in self.expectations:
            if not e.success and e.check not in seen:
                seen.append(e.check)
        return seen

    @property
    def failed_years(self) -> list[int]:
        return sorted({e.year for e in self.expectations if not e.success and e.year is not None})

    @property
    def unexpected_total(self) -> int:
        return sum(e.unexpected_count for e in self.expectations)


@dataclass
class GxRun:
    suites: dict[str, SuiteRun]
    docs_index: Path | None
    seconds: float


def _plain(v):
    if hasattr(v, "item"):
        try:
            return v.item()
        except Exception:  # noqa: BLE001
            return v
    return v


def _example(item, value=None) -> str:
    """One failing record as an auditor reads it: subject · name · town · file row (· value)."""
    if isinstance(item, dict):
        parts = [str(_plain(item[k])) for k in ("subject", "enterprise_name", "town") if item.get(k) is not None]
        if item.get("file_row") is not None:
            parts.append(f"row {_plain(item['file_row'])}")
        shown = " · ".join(parts)
        extra = {k: v for k, v in item.items()
                 if k not in ("subject", "enterprise_name", "town", "file_row", "first_file_row")}
        if "first_file_row" in item and item["first_file_row"] is not None:
            shown += f" · row {_plain(item['first_file_row'])}"
        if extra:   # GX adds the checked column(s) to the index columns: the value is already there
            return shown + " · " + ", ".join(f"{k}={_plain(v)}" for k, v in extra.items())
        return shown if value is None else f"{shown}: {_plain(value)}"
    if isinstance(item, (tuple, list)):
        return "(" + ", ".join(_fmt(x) or "null" for x in item) + ")"
    return str(_plain(item))


def _element_count(expectation_type: str, res: dict) -> int:
    if expectation_type == "expect_table_row_count_to_be_between":
        return int(res.get("observed_value") or 0)
    return int(res.get("element_count") or 0)


def _outcomes(result, year: int | None) -> list[ExpectationOutcome]:
    out = []
    for r in result.results:
        cfg = r.expectation_config
        res = r.result or {}
        ids = []
        for item in res.get("unexpected_index_list") or []:
            if isinstance(item, dict) and "row_id" in item:
                ids.append(int(item["row_id"]))
        meta = dict(cfg.meta or {})
        if cfg.type == "unexpected_rows_expectation":
            unexpected = int(res.get("observed_value") or 0)
            examples = [_example(row) for row in ((res.get("details") or {}).get("unexpected_rows") or [])[:EXAMPLES]]
        else:
            unexpected = int(res.get("unexpected_count") or 0)
            values = res.get("partial_unexpected_list") or []
            index = res.get("partial_unexpected_index_list") or []
            if index and not ids:
                examples = [_example(i, v) for i, v in zip(index, values)][:EXAMPLES] or \
                           [_example(i) for i in index[:EXAMPLES]]
            else:
                examples = [_example(x) for x in values[:EXAMPLES]]
            if cfg.type == "expect_table_row_count_to_be_between" and not r.success:
                examples = [f"{_plain(res.get('observed_value'))} rows"]
        out.append(ExpectationOutcome(
            check=meta.get("check", cfg.type), rule_id=meta.get("rule_id", ""), type=cfg.type,
            kwargs={k: _plain(v) for k, v in cfg.kwargs.items() if k != "batch_id"}, meta=meta,
            success=bool(r.success), element_count=_element_count(cfg.type, res),
            unexpected_count=unexpected, year=year, unexpected_row_ids=ids,
            partial_unexpected=[masking.mask_text(x) for x in examples],
        ))
    return out


def _docs_site(ctx, docs_dir: Path) -> None:
    docs_dir.mkdir(parents=True, exist_ok=True)
    ctx.add_data_docs_site(site_name=DOCS_SITE, site_config=data_docs.site_config(docs_dir))


def _merge(runs: dict[str, SuiteRun], name: str, critical: bool, rows: int, outcomes: list, ok: bool,
           seconds: float, year: int | None) -> None:
    run = runs.get(name)
    if run is None:
        runs[name] = SuiteRun(name=name, critical=critical, success=ok, rows=rows, expectations=list(outcomes),
                              seconds=seconds, years=[year] if year is not None else [])
        return
    run.success = run.success and ok
    run.rows += rows
    run.expectations.extend(outcomes)
    run.seconds += seconds
    if year is not None:
        run.years.append(year)


def evaluate_population(con, batches: list[Batch], parameters: dict[str, float], project_root: Path | None = None,
                        progress=None) -> list[tuple[Batch, list[tuple[bool, dict]]]]:
    """Every population batch counted by DuckDB (sql_expectations) with the expectations of its suite
    file, on the caller's connection: one aggregate pass per batch, example rows only for failures."""
    root = Path(project_root or S.project_root())
    suites = {}
    out = []
    for b in batches:
        if b.suite not in suites:
            suites[b.suite] = [(e["type"], e.get("kwargs", {}))
                               for e in S.load_suite_json(b.suite, root)["expectations"]]
        t1 = time.monotonic()
        params = {**parameters, "min_rows": b.min_rows if b.min_rows is not None else 0}
        results = sql_expectations.evaluate(con, b, suites[b.suite], params)
        out.append((b, results))
        if progress:
            rows = max((r.get("element_count") or r.get("observed_value") or 0 for ok, r in results
                        if "element_count" in r or "details" not in r), default=0)
            failed = sum(1 for ok, _ in results if not ok)
            progress(f"audit: {b.suite} {b.year}: {rows:,} rows, "
                     f"{f'{failed} expectation(s) FAILED' if failed else 'held'} ({time.monotonic() - t1:.1f}s)")
    return out


def _suite_result(gx_suite, batch: Batch, results: list[tuple[bool, dict]], params: dict, run_id):
    """A GX suite validation result from the DuckDB counts (GX renders it in the Data Docs)."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult, ExpectationValidationResult)

    import great_expectations as gx

    evrs = []
    for expectation, (ok, result) in zip(gx_suite.expectations, results):
        cfg = expectation.configuration
        cfg.kwargs = {**sql_expectations.resolve(dict(cfg.kwargs), params), "batch_id": batch.name}
        evrs.append(ExpectationValidationResult(success=ok, expectation_config=cfg, result=result,
                                                exception_info={"raised_exception": False,
                                                                "exception_traceback": None,
                                                                "exception_message": None}))
    passed = sum(1 for e in evrs if e.success)
    return ExpectationSuiteValidationResult(
        success=passed == len(evrs), results=evrs, suite_name=gx_suite.name,
        statistics={"evaluated_expectations": len(evrs), "successful_expectations": passed,
                    "unsuccessful_expectations": len(evrs) - passed,
                    "success_percent": 100.0 * passed / len(evrs) if evrs else None},
        suite_parameters={k: v for k, v in params.items()},
        meta={"great_expectations_version": gx.__version__, "run_id": run_id,
              "validation_time": run_id.run_time, "batch_spec": {"query": batch.base, "data_asset_name": batch.name},
              "active_batch_definition": {"datasource_name": "warehouse (DuckDB)",
                                          "data_connector_name": "sql_expectations",
                                          "data_asset_name": batch.name, "batch_identifiers": {}},
              "batch_markers": {}, "batch_parameters": {"year": batch.year},
              "expectation_suite_name": gx_suite.name},
        batch_id=batch.name)


def run_suites(
    frames: dict[str, pd.DataFrame],
    parameters: dict[str, float],
    docs_dir: Path | None,
    run_key: str,
    project_root: Path | None = None,
    population: list[tuple[Batch, list[tuple[bool, dict]]]] | None = None,
) -> GxRun:
    """GX results of the population batches already counted in DuckDB (evaluate_population), the
    sample suites validated by GX on their pandas frames (frames[suite]); Data Docs to docs_dir."""
    t0 = time.monotonic()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    root = Path(project_root or S.project_root())
    infos = {i.name: i for i in S.suite_infos()}
    work = Path(tempfile.mkdtemp(prefix="mujun-gx-"))
    try:
        shutil.copytree(root / S.GX_DIR, work / S.GX_DIR, ignore=shutil.ignore_patterns("uncommitted"))
        ctx = gx.get_context(mode="file", project_root_dir=str(work))
        if docs_dir is not None:
            docs_dir = Path(docs_dir)
            _docs_site(ctx, docs_dir)
        run_id = RunIdentifier(run_name=run_key, run_time=dt.datetime.now(dt.timezone.utc))
        runs: dict[str, SuiteRun] = {}

        for b, results in population or []:
            suite = ctx.suites.get(b.suite)
            params = {**parameters, "min_rows": b.min_rows if b.min_rows is not None else 0}
            res = _suite_result(suite, b, results, params, run_id)
            ctx.validation_results_store.store_validation_results(
                suite_validation_result=res,
                suite_validation_result_identifier=ValidationResultIdentifier(
                    expectation_suite_identifier=ExpectationSuiteIdentifier(name=b.suite),
                    run_id=run_id, batch_identifier=b.name),
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=b.suite))
            outcomes = _outcomes(res, b.year)
            rows = max((o.element_count for o in outcomes), default=0)
            critical = bool((suite.meta or {}).get("critical", infos[b.suite].critical))
            _merge(runs, b.suite, critical, rows, outcomes, bool(res.success), 0.0, b.year)

        if frames:
            ds = ctx.data_sources.add_or_update_pandas("audit_frames")
            for name, df in frames.items():
                t1 = time.monotonic()
                suite = ctx.suites.get(name)
                bd = ds.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("whole")
                vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"audit_{name}", data=bd, suite=suite))
                row_level = infos[name].scope == "sample" and "row_id" in df.columns
                result_format = ({"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]}
                                 if row_level else {"result_format": "SUMMARY", "partial_unexpected_count": 10})
                res = vd.run(batch_parameters={"dataframe": df}, expectation_parameters=dict(parameters),
                             result_format=result_format, run_id=run_id)
                critical = bool((suite.meta or {}).get("critical", infos[name].critical))
                _merge(runs, name, critical, len(df), _outcomes(res, None), bool(res.success),
                       time.monotonic() - t1, None)
        index = None
        if docs_dir is not None:
            ctx.build_data_docs(site_names=[DOCS_SITE])
            masking.mask_tree(docs_dir)          # example values of raw columns: no person id leaves
            data_docs.make_offline(docs_dir)                      # auditors open it with no network
            data_docs.publish_latest(docs_dir, docs_dir.parent)   # <reports>/data_docs/latest/ (failed runs too)
            index = docs_dir / "index.html"
        return GxRun(suites=runs, docs_index=index, seconds=time.monotonic() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# GX results -> audit rows

def _fmt(v) -> str | None:
    v = _plain(v)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        return f"{v:.6g}"
    if isinstance(v, (pd.Timestamp, dt.date)):
        return str(v)[:10]
    return str(v)


def _columns(kwargs: dict) -> list[str]:
    return [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]


def _expected(o: ExpectationOutcome, frame: pd.DataFrame) -> pd.Series | str:
    """What the check expects, per record (pair checks name the other value) or for all records."""
    k = o.kwargs
    if o.type == "expect_column_pair_values_a_to_be_greater_than_b":
        ge = "≥" if k.get("or_equal") else ">"
        le = "≤" if k.get("or_equal") else "<"
        if o.meta.get("observed") == k["column_B"]:
            return f"{le} {k['column_A']} = " + frame[k["column_A"]].map(_fmt).astype(str)
        return f"{ge} {k['column_B']} = " + frame[k["column_B"]].map(_fmt).astype(str)
    if o.type == "expect_column_values_to_be_between":
        lo, hi = k.get("min_value"), k.get("max_value")
        left = "(" if k.get("strict_min") else "["
        right = ")" if k.get("strict_max") else "]"
        return f"{left}{_fmt(lo) if lo is not None else '-∞'}, {_fmt(hi) if hi is not None else '∞'}{right}"
    if o.type == "expect_column_values_to_be_in_set":
        return "∈ {" + ", ".join(_fmt(x) or "" for x in k.get("value_set", [])) + "}"
    return o.type


RECORD_COLUMNS = ["row_id", "year", "subject_id", "subject_key", "town_code", "subject_name", "record_type",
                  "source_feed", "record_key", "uscc", "enterprise_name", "check_name", "rule_id", "label_zh", "field",
                  "passed", "observed_value", "expected"]


def record_results(frame: pd.DataFrame, run: SuiteRun) -> pd.DataFrame:
    """One row per (record, check) that the check applied to: passed, observed and expected
    (column-wise: the province sample has ~10^5 records)."""
    parts = []
    for o in run.expectations:
        cols = _columns(o.kwargs)
        if not cols or any(c not in frame.columns for c in cols):
            continue
        app = frame[frame[cols].notna().all(axis=1)]
        if app.empty:
            continue
        part = pd.DataFrame({c: app[c] if c in app.columns else None for c in RECORD_COLUMNS[:11]})
        part["check_name"], part["rule_id"] = o.check, o.rule_id
        part["label_zh"], part["field"] = o.meta.get("label_zh", o.check), o.meta.get("field")
        part["passed"] = ~app["row_id"].isin(set(o.unexpected_row_ids))
        part["observed_value"] = app[o.meta.get("observed", cols[0])].map(_fmt)
        part["expected"] = _expected(o, app)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[RECORD_COLUMNS]
    out["row_id"] = out["row_id"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out


def _per_group(frame: pd.DataFrame, keys: list[str], values: pd.Series, fn) -> pd.Series:
    """fn(the group's values, in frame order) per group of `frame`, which is sorted by `keys`, indexed
    like groupby(keys). pandas' groupby(...).agg(fn) calls back into Python through ~30 µs of
    machinery per group: 3.8 s for the 10^5 subject checks of a province audit."""
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.groupby(keys, sort=True).size().index)
    codes = frame.groupby(keys, sort=True).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    items = values.to_numpy(dtype=object)
    bounds = [*starts[1:], len(items)]
    out = [fn(list(items[a:b])) for a, b in zip(starts, bounds)]
    return pd.Series(out, index=pd.MultiIndex.from_frame(frame[keys].iloc[starts]), dtype=object)


def subject_results(records: pd.DataFrame, checked_at: dt.datetime) -> pd.DataFrame:
    """audit.check_results: one row per year x subject x check_name (all its records must hold). The
    records shown are the failed ones (else all), at most 5 in observed_value / expected."""
    cols = ["year", "subject_id", "subject_key", "town_code", "check_name", "rule_id", "passed", "observed_value",
            "expected", "source_feed", "record_keys", "records_checked", "records_failed", "checked_at"]
    if records.empty:
        return pd.DataFrame(columns=cols)
    keys = ["year", "subject_key", "check_name"]
    r = records.sort_values(keys + ["row_id"]).copy()
    r["failed"] = ~r["passed"]
    g = r.groupby(keys, sort=True)
    out = g.agg(subject_id=("subject_id", "first"), town_code=("town_code", "first"),
                rule_id=("rule_id", "first"), source_feed=("source_feed", "first"),
                records_checked=("row_id", "size"), records_failed=("failed", "sum")).reset_index()
    r["group_failed"] = g["failed"].transform("sum")
    shown = r[r["failed"] | (r["group_failed"] == 0)]
    keys_shown = _per_group(shown, keys, shown["record_key"].astype(str), list)
    top = shown.groupby(keys, sort=True).head(5).copy()
    top["obs_item"] = top["record_key"].astype(str) + ": " + top["observed_value"].astype(str)
    top["exp_item"] = top["record_key"].astype(str) + ": " + top["expected"].astype(str)
    tg = top.groupby(keys, sort=True)
    joined = pd.DataFrame({
        "first_observed": tg["observed_value"].first(), "first_expected": tg["expected"].first(),
        "observed_items": _per_group(top, keys, top["obs_item"], "; ".join),
        "expected_items": _per_group(top, keys, top["exp_item"], "; ".join),
        "expected_kinds": shown.groupby(keys, sort=True)["expected"].nunique()})
    out = out.join(joined, on=keys).join(keys_shown.rename("record_keys"), on=keys)
    single = out["records_checked"] == 1
    out["observed_value"] = out["first_observed"].where(single, out["observed_items"])
    out["expected"] = out["first_expected"].where(single | (out["expected_kinds"] == 1), out["expected_items"])
    out["passed"] = out["records_failed"] == 0
    out["records_checked"] = out["records_checked"].astype("int64")
    out["records_failed"] = out["records_failed"].astype("int64")
    out["year"] = out["year"].astype("int64")
    out["checked_at"] = pd.Timestamp(checked_at).floor("s")
    return out.sort_values(["year", "subject_id", "check_name"]).reset_index(drop=True)[cols]


def town_quality(check_results: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """audit.town_quality: share of the checked values (record x check) that held, per year and town."""
    towns = sample[["year", "town_code"]].drop_duplicates()
    if check_results.empty:
        agg = towns.assign(checked_values=0, failed_values=0)
    else:
        agg = (check_results.groupby(["year", "town_code"], as_index=False)
               .agg(checked_values=("records_checked", "sum"), failed_values=("records_failed", "sum")))
        agg = towns.merge(agg, on=["year", "town_code"], how="left").fillna({"checked_values": 0, "failed_values": 0})
    sampled = sample.groupby(["year", "town_code"], as_index=False).agg(sampled_subjects=("subject_id", "count"))
    agg = agg.merge(sampled, on=["year", "town_code"], how="left")
    agg["checked_values"] = agg["checked_values"].astype("int64")
    agg["failed_values"] = agg["failed_values"].astype("int64")
    agg["quality_score"] = [
        (c - f) / c if c else None for c, f in zip(agg["checked_values"], agg["failed_values"])
    ]
    return agg[["year", "town_code", "sampled_subjects", "checked_values", "failed_values", "quality_score"]] \
        .sort_values(["year", "town_code"]).reset_index(drop=True)


def suite_rows(gx_run: GxRun, checked_at: dt.datetime, run_key: str) -> pd.DataFrame:
    """audit.suite_results: one row per suite x expectation of this run (publication gate)."""
    rows = []
    for s in gx_run.suites.values():
        for o in s.expectations:
            rows.append({
                "run_key": run_key, "checked_at": pd.Timestamp(checked_at).floor("s"), "suite": s.name,
                "year": o.year,
                "critical": s.critical, "suite_success": s.success, "check_name": o.check, "rule_id": o.rule_id,
                "success": o.success, "element_count": o.element_count, "unexpected_count": o.unexpected_count,
                "examples": "; ".join(o.partial_unexpected) or None,
                "data_docs": str(gx_run.docs_index) if gx_run.docs_index else None,
            })
    cols = ["run_key", "checked_at", "suite", "year", "critical", "suite_success", "check_name", "rule_id", "success",
            "element_count", "unexpected_count", "examples", "data_docs"]
    return pd.DataFrame(rows, columns=cols)
