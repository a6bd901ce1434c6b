"""Audit worklists (核查清单): one XLSX document per year and town, for the town to verify on site.

<reports_dir>/worklists/<year>/<town_code>_<county name><town name>.xlsx is an orchestration.documents
workbook: title "2021年度亩均效益评价随机抽查核查清单（萧山区 …）", issued by the county's office
(seeds/policy/publication.csv, level county), one row per sampled subject and value to verify,
failed checks first and filled light red. Field names are the feed contract's Chinese headers
(数据来源 企业年度统计, 核查字段 增加值(千元)); 上报值 is a number where the value is one.
The town fills in 核实值 and 核实日期; both carry Excel data validation (核实值 by the kind of the
field: a number, an integer, a date or 是/否; 核实日期 a date). The last two columns keep the feed and
column identifiers of the contract (数据来源代码, 核查字段代码): with 评价主体, 记录主键, 上报值, 核实值 and
核实日期 they make the audit_findings feed (feeds.md), whose 数据来源 takes those identifiers.

The town's name comes from seeds/reference/ref_towns.csv (orchestration.towns; the audit passes
the warehouse's copy): file 330109001_萧山区城厢街道.xlsx, title （萧山区城厢街道）. A town without a
name there is named by its county and code, and the note row says where names come from.
Every text cell is masked for person ids and spreadsheet-safe (orchestration.spreadsheet): a company
name such as ``=HYPERLINK(...)`` is a text cell, never a live formula.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pandas as pd

from orchestration import documents as D
from orchestration import issuing, towns
from orchestration.feeds import contract as fc

FAILED_ZH, PASSED_ZH = "不符，需现场核实", "通过"
NO_RECORD_LABEL, NO_RECORD_RESULT = "无可交叉核对的基础记录", "需现场核实基础数据"

# (table column, Chinese header, document kind) in the order shown.
COLUMNS: list[tuple[str, str, str]] = [
    ("subject_id", "评价主体", D.ID),
    ("subject_name", "主体名称", D.TEXT),
    ("other_uscc", "涉及企业统一社会信用代码", D.ID),
    ("other_name", "涉及企业名称", D.TEXT),
    ("label_zh", "核查项目", D.TEXT),
    ("rule_id", "规则", D.ID),
    ("source_zh", "数据来源", D.TEXT),
    ("record_key", "记录主键", D.ID),
    ("field_zh", "核查字段", D.TEXT),
    ("observed_value", "上报值", D.NUMBER),
    ("expected", "期望", D.TEXT),
    ("result_zh", "校验结果", D.TEXT),
    ("verified_value", "核实值", D.NUMBER),
    ("verified_on", "核实日期", D.DATE),
    ("remark", "备注", D.TEXT),
    ("source_feed", "数据来源代码", D.ID),
    ("field", "核查字段代码", D.ID),
]
HEADERS = {c: h for c, h, _ in COLUMNS}

# contract column kind -> what a town may enter as the verified value
ENTRY_BY_KIND = {fc.DECIMAL: D.ENTRY_DECIMAL, fc.INTEGER: D.ENTRY_INTEGER, fc.DATE: D.ENTRY_DATE,
                 fc.MONTH: D.ENTRY_DATE, fc.BOOL: D.ENTRY_BOOL}

# Warehouse columns named in 期望 by the pair checks (gx_runner._expected), in the town's words.
EXPECTED_TERMS = {
    "output_industry_wan": "工业总产值(万元)",
    "electricity_tce": "用电折标煤(吨标煤)",
    "town_area_min_mu": "镇街合理区间下限(亩)",
    "town_area_max_mu": "镇街合理区间上限(亩)",
    "true": "是",
    "false": "否",
}
_TERM = re.compile(r"\b(" + "|".join(map(re.escape, EXPECTED_TERMS)) + r")\b")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# Sources of checked values that are not a feed: the evaluation mart (the subject's counted land).
OTHER_SOURCES_ZH = {"marts.subject_evaluation": "亩均效益评价结果"}


def feed_zh(feed: str | None) -> str | None:
    """企业年度统计 for stats_enterprise_annual (the contract's Chinese name); unknown ids as given."""
    if not feed:
        return None
    if feed in fc.FEEDS_BY_NAME:
        return fc.FEEDS_BY_NAME[feed].zh
    return OTHER_SOURCES_ZH.get(feed, feed)


def field_column(feed: str | None, field: str | None) -> fc.Column | None:
    """The contract column of a checked field; for a source that is not a feed, the column of that
    name in the first finding feed that has one (area_m2 → land_parcels 面积(平方米))."""
    if not field:
        return None
    feeds = [feed] if feed in fc.FEEDS_BY_NAME else list(fc.FINDING_FEEDS)
    for name in feeds:
        try:
            return fc.FEEDS_BY_NAME[name].column(field)
        except KeyError:
            continue
    return None


def field_zh(feed: str | None, field: str | None) -> str | None:
    """增加值(千元) for (stats_enterprise_annual, value_added_kyuan): the contract's Chinese header."""
    col = field_column(feed, field)
    return col.zh if col else field


def entry_kind(feed: str | None, field: str | None) -> str | None:
    col = field_column(feed, field)
    return ENTRY_BY_KIND.get(col.kind) if col else None


def as_number(value):
    """A reported value as a number when it is one ("12.5" → 12.5), a boolean as 是/否, other texts
    as they are."""
    if value in ("true", "false"):
        return "是" if value == "true" else "否"
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return value


def expected_zh(text):
    """≥ electricity_tce = 238.177 → ≥ 用电折标煤(吨标煤) = 238.177"""
    return _TERM.sub(lambda m: EXPECTED_TERMS[m.group(1)], text) if isinstance(text, str) else text


def worklist_table(records: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Every worklist row of the audit at once (columns year, town_code, passed + COLUMNS), failed
    checks first within a town; a sampled subject without a record to cross-check gets one row."""
    rec = records.copy()
    rec["result_zh"] = rec["passed"].map({True: PASSED_ZH, False: FAILED_ZH})
    rec["order"] = rec["passed"].astype(int)
    seen = rec[["year", "town_code", "subject_id"]].drop_duplicates()
    missing = sample.merge(seen, on=["year", "town_code", "subject_id"], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        extra = pd.DataFrame({
            "year": missing["year"].values, "town_code": missing["town_code"].values,
            "subject_id": missing["subject_id"].values,
            "label_zh": NO_RECORD_LABEL, "result_zh": NO_RECORD_RESULT, "order": 0, "passed": False,
        })
        rec = pd.concat([rec, extra], ignore_index=True)
    rec = rec.sort_values(["year", "town_code", "order", "subject_id", "check_name", "record_key"], na_position="last")
    for c in ("source_feed", "field", "subject_name", "uscc", "enterprise_name", "label_zh", "rule_id",
              "record_key", "observed_value", "expected"):
        if c not in rec.columns:
            rec[c] = None
    # the enterprise a record is about, shown only where it is not the subject itself (a merged
    # tenant's statistics, a landlord's ledger row)
    other = rec["uscc"].notna() & (rec["uscc"].astype(str) != rec["subject_id"].astype(str))
    rec["other_uscc"] = rec["uscc"].where(other, None)
    rec["other_name"] = rec["enterprise_name"].where(other, None)
    rec["source_zh"] = [feed_zh(f) for f in rec["source_feed"]]
    rec["field_zh"] = [field_zh(f, c) for f, c in zip(rec["source_feed"], rec["field"])]
    rec["entry"] = [entry_kind(f, c) for f, c in zip(rec["source_feed"], rec["field"])]
    rec["observed_value"] = rec["observed_value"].map(as_number)
    rec["expected"] = rec["expected"].map(expected_zh)
    for c in ("verified_value", "verified_on", "remark"):
        rec[c] = None
    out = rec[[c for c, _, _ in COLUMNS] + ["entry"]].astype(object)
    out = out.where(out.notna(), None)          # NaN / pd.NA → None: a blank cell
    out.insert(0, "_year", rec["year"].astype(int).values)
    out.insert(1, "_town", rec["town_code"].astype(str).values)
    out.insert(2, "_failed", (~rec["passed"].astype(bool)).values)
    return out.reset_index(drop=True)


def file_name(town_code: str, county_name: str | None, town_name: str | None) -> str:
    """330109001_萧山区城厢街道.xlsx (330109001_萧山区.xlsx without a town name): sorts by code, reads by name."""
    label = f"{county_name or ''}{town_name or ''}"
    label = re.sub(r'[\\/:*?"<>|\s]+', "", label)
    return f"{town_code}_{label}.xlsx" if label else f"{town_code}.xlsx"


def document(frame: pd.DataFrame, year: int, town_code: str, county_name: str | None, town_name: str | None,
             office: str, issued_on: dt.date) -> D.Document:
    where = f"{county_name or ''}{town_name or ''}" + ("" if town_name else f" 镇街{town_code}")
    failed = int(frame["_failed"].sum())
    unnamed = "" if town_name else f"（{towns.NAMES_SOURCE}）"

    columns = [D.Column(h, k, entry=list(frame["entry"]) if c == "verified_value" else
                        D.ENTRY_DATE if c == "verified_on" else None) for c, h, k in COLUMNS]
    return D.Document(
        title=f"{int(year)}年度亩均效益评价随机抽查核查清单（{where.strip()}）",
        office=office, issued_on=issued_on,
        note=f"镇街代码 {town_code}{unnamed}；{failed} 项需现场核实（红色底纹）。请填写核实值（按核查字段的单位）和核实日期。",
        columns=columns, rows=frame[[c for c, _, _ in COLUMNS]].values.tolist(),
        highlight=list(frame["_failed"]), sheet_name="核查清单",
        meta={"subject": f"{int(year)} {town_code}", "keywords": "audit_findings"})


def _write_town(job: tuple) -> str:
    frame, out, year, town, county_name, town_name, office, issued_on = job
    D.write_document(Path(out), document(frame, year, town, county_name, town_name, office, issued_on))
    return str(out)


PARALLEL_FROM = 200     # worklists; below this the start-up of worker processes does not pay


def write_worklists(records: pd.DataFrame, sample: pd.DataFrame, reports_dir: Path,
                    workers: int | None = None, town_names: dict[str, str] | None = None,
                    issued_on: dt.date | None = None) -> list[Path]:
    """One XLSX per year and town of the sample. A province writes ~2,900 of them (20 ms each), so
    from PARALLEL_FROM on they are written by one worker process per core. town_names: code → name,
    by default ref_towns from the seed CSV (orchestration.towns)."""
    table = worklist_table(records, sample)          # built once, then split by year and town
    counties = issuing.county_names()
    issued_on = issued_on or dt.date.today()
    town_names = towns.names() if town_names is None else town_names
    offices: dict[tuple[int, str], str] = {}
    jobs = []
    for (year, town), g in table.groupby(["_year", "_town"], sort=True):
        county = town[:6]
        if (year, county) not in offices:    # the office of the audited year (publication seed rows)
            offices[(year, county)] = issuing.office(None, "county", county, year=int(year)).name
        county_name = (counties.get(county) or {}).get("county_name")
        name = file_name(town, county_name, town_names.get(town))
        jobs.append((g.drop(columns=["_year", "_town"]).reset_index(drop=True),
                     str(Path(reports_dir) / "worklists" / str(int(year)) / name),
                     int(year), town, county_name, town_names.get(town), offices[(year, county)], issued_on))
    workers = workers if workers is not None else (os.cpu_count() or 1) if len(jobs) >= PARALLEL_FROM else 1
    if workers <= 1:
        return [Path(_write_town(j)) for j in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the caller may hold DuckDB and Dagster threads, which a fork would copy mid-flight
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [Path(p) for p in pool.map(_write_town, jobs, chunksize=max(1, len(jobs) // (workers * 8)))]
