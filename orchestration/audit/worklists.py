"""Audit worklists (核查清单) for auditors: one XLSX per year and town with Chinese headers.

<reports_dir>/worklists/<year>/<town_code>.xlsx lists every sampled subject of the town and every
value to verify on site (failed checks first). The last columns (核实值, 核实日期) are left blank for
the auditor; together with 数据来源 / 记录主键 / 核查字段 they are the audit_findings feed (feeds.md).
Every text cell is masked for person ids and spreadsheet-safe (orchestration.spreadsheet): a company
name such as ``=HYPERLINK(...)`` is a text cell, never a live formula.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from orchestration.spreadsheet import is_formula_like, xlsx_value

HEADERS = {
    "year": "年度",
    "town_code": "镇街代码",
    "subject_id": "评价主体",
    "subject_name": "主体名称",
    "uscc": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "source_feed": "数据来源",
    "record_key": "记录主键",
    "label_zh": "核查项目",
    "check_name": "核查代码",
    "rule_id": "规则",
    "field": "核查字段",
    "observed_value": "上报值",
    "expected": "期望",
    "result_zh": "校验结果",
    "verified_value": "核实值",
    "verified_on": "核实日期",
    "remark": "备注",
}


def worklist_table(records: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Every worklist row of the audit at once (columns year, town_code + HEADERS in Chinese), failed
    checks first within a town; a sampled subject without a record to cross-check gets one row."""
    rec = records.copy()
    rec["result_zh"] = rec["passed"].map({True: "通过", False: "不符，需现场核实"})
    rec["order"] = rec["passed"].astype(int)
    seen = rec[["year", "town_code", "subject_id"]].drop_duplicates()
    missing = sample.merge(seen, on=["year", "town_code", "subject_id"], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        extra = pd.DataFrame({
            "year": missing["year"].values, "town_code": missing["town_code"].values,
            "subject_id": missing["subject_id"].values,
            "label_zh": "无可交叉核对的基础记录", "result_zh": "需现场核实基础数据", "order": 0,
        })
        rec = pd.concat([rec, extra], ignore_index=True)
    rec = rec.sort_values(["year", "town_code", "order", "subject_id", "check_name", "record_key"], na_position="last")
    for c in ("verified_value", "verified_on", "remark"):
        rec[c] = None
    for c in HEADERS:
        if c not in rec.columns:
            rec[c] = None
    out = rec[list(HEADERS)].rename(columns=HEADERS)
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(xlsx_value)
    out.insert(0, "_year", rec["year"].astype(int).values)
    out.insert(1, "_town", rec["town_code"].astype(str).values)
    return out


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    """One worksheet with xlsxwriter (5x faster than openpyxl: a province writes ~2,600 worklists).
    Texts go through write_string, so nothing is ever a formula; a formula-like text also gets the
    quote prefix, so it stays text when a town edits the cell."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, "in_memory": True})
    ws = wb.add_worksheet("核查清单")
    header = wb.add_format({"bold": True})
    quoted = wb.add_format({"quote_prefix": True})
    for c, name in enumerate(df.columns):
        ws.write_string(0, c, str(name), header)
    widths = [len(str(name)) * 2 for name in df.columns]
    for r, row in enumerate(df.itertuples(index=False, name=None), start=1):
        for c, v in enumerate(row):
            if v is None or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, str):
                # a CR would be stored as _x000D_, which not every reader turns back: store LF
                # (what an XML reader makes of a stored CR anyway)
                ws.write_string(r, c, v.replace("\r\n", "\n").replace("\r", "\n"),
                                quoted if is_formula_like(v) else None)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))
            if r <= 200:
                widths[c] = max(widths[c], len(str(v)))
    for c, w in enumerate(widths):
        ws.set_column(c, c, min(max(w + 2, 8), 60))
    ws.freeze_panes(1, 0)
    wb.close()


def _write_town(job: tuple[pd.DataFrame, str]) -> str:
    frame, out = job
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".xlsx.tmp")
    _write_xlsx(frame, tmp)
    tmp.replace(out)
    return str(out)


PARALLEL_FROM = 200     # worklists; below this the start-up of worker processes does not pay


def write_worklists(records: pd.DataFrame, sample: pd.DataFrame, reports_dir: Path,
                    workers: int | None = None) -> list[Path]:
    """One XLSX per year and town of the sample. A province writes ~2,900 of them (20 ms each), so
    from PARALLEL_FROM on they are written by one worker process per core."""
    table = worklist_table(records, sample)          # built once, then split by year and town
    jobs = [(g.drop(columns=["_year", "_town"]).reset_index(drop=True),
             str(Path(reports_dir) / "worklists" / str(int(year)) / f"{town}.xlsx"))
            for (year, town), g in table.groupby(["_year", "_town"], sort=True)]
    workers = workers if workers is not None else (os.cpu_count() or 1) if len(jobs) >= PARALLEL_FROM else 1
    if workers <= 1:
        return [Path(_write_town(j)) for j in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the caller may hold DuckDB and Dagster threads, which a fork would copy mid-flight
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [Path(p) for p in pool.map(_write_town, jobs, chunksize=max(1, len(jobs) // (workers * 8)))]
