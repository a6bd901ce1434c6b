"""Audit worklists (核查清单) for auditors: one XLSX per year and town with Chinese headers.

<reports_dir>/worklists/<year>/<town_code>.xlsx lists every sampled subject of the town and every
value to verify on site (failed checks first). The last columns (核实值, 核实日期) are left blank for
the auditor; together with 数据来源 / 记录主键 / 核查字段 they are the audit_findings feed (feeds.md).
Every text cell is masked for person ids and spreadsheet-safe (orchestration.spreadsheet): a company
name such as ``=HYPERLINK(...)`` is a text cell, never a live formula.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from orchestration.spreadsheet import make_text_cells, xlsx_value

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
    "check": "核查代码",
    "rule_id": "规则",
    "field": "核查字段",
    "observed_value": "上报值",
    "expected": "期望",
    "result_zh": "校验结果",
    "verified_value": "核实值",
    "verified_on": "核实日期",
    "remark": "备注",
}


def worklist_frame(records: pd.DataFrame, sample: pd.DataFrame, year: int, town_code: str) -> pd.DataFrame:
    rec = records[(records["year"] == year) & (records["town_code"] == town_code)].copy()
    rec["result_zh"] = rec["passed"].map({True: "通过", False: "不符，需现场核实"})
    rec["order"] = rec["passed"].astype(int)
    smp = sample[(sample["year"] == year) & (sample["town_code"] == town_code)]
    missing = smp[~smp["subject_id"].isin(rec["subject_id"])]
    if len(missing):
        extra = pd.DataFrame({
            "year": year, "town_code": town_code, "subject_id": missing["subject_id"].values,
            "label_zh": "无可交叉核对的基础记录", "result_zh": "需现场核实基础数据", "order": 0,
        })
        rec = pd.concat([rec, extra], ignore_index=True)
    rec = rec.sort_values(["order", "subject_id", "check", "record_key"], na_position="last")
    for c in ("verified_value", "verified_on", "remark"):
        rec[c] = None
    for c in HEADERS:
        if c not in rec.columns:
            rec[c] = None
    out = rec[list(HEADERS)].rename(columns=HEADERS)
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(xlsx_value)
    return out


def write_worklists(records: pd.DataFrame, sample: pd.DataFrame, reports_dir: Path) -> list[Path]:
    written = []
    for (year, town), _ in sample.groupby(["year", "town_code"], sort=True):
        out = Path(reports_dir) / "worklists" / str(int(year)) / f"{town}.xlsx"
        out.parent.mkdir(parents=True, exist_ok=True)
        df = worklist_frame(records, sample, int(year), str(town))
        tmp = out.with_suffix(".xlsx.tmp")
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            df.to_excel(xw, sheet_name="核查清单", index=False)
            ws = xw.sheets["核查清单"]
            make_text_cells(ws)
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                width = max([len(str(col)) * 2] + [len(str(v)) for v in df[col].head(200) if v is not None])
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(max(width + 2, 8), 60)
        tmp.replace(out)
        written.append(out)
    return written
