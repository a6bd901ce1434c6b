"""`mujun export remediation --year Y`: the 低效整治 list (marts.remediation_list) as one XLSX per town.

Each town (镇街) gets `remediation_<year>_<town_code>.xlsx` with its D-grade subjects in follow-up
order (longest in D first), their consecutive D years and their three largest shortfalls against the
benchmarks. The column spec is the small list COLUMNS of (mart column, Chinese header, unit), so the
公示 formatter can take it over as is. Cells are spreadsheet-safe and masked (orchestration.spreadsheet).
It reads only the public mart, so it works on the published copy as on the warehouse.
"""
from __future__ import annotations

from pathlib import Path

from orchestration.spreadsheet import make_text_cells, xlsx_value

# (key in marts.remediation_list, Chinese header, unit or "")
COLUMNS: list[tuple[str, str, str]] = [
    ("follow_up_order", "序号", ""),
    ("subject_id", "统一社会信用代码/评价主体", ""),
    ("subject_name", "企业名称", ""),
    ("category", "评价类别", ""),
    ("consecutive_d_years", "连续D类年数", "年"),
    ("total_score", "综合得分", "分"),
    ("tax_per_mu", "亩均税收", "万元/亩"),
    ("area_mu", "用地面积", "亩"),
    ("shortfall_1_indicator", "差距最大指标", ""),
    ("shortfall_1_value", "该指标值", ""),
    ("shortfall_1_benchmark", "该指标基准值", ""),
    ("shortfall_1_gap_share", "低于基准比例", ""),
    ("shortfall_2_indicator", "差距第二指标", ""),
    ("shortfall_2_gap_share", "第二指标低于基准比例", ""),
    ("shortfall_3_indicator", "差距第三指标", ""),
    ("shortfall_3_gap_share", "第三指标低于基准比例", ""),
    ("grade_rules_text", "等级调整规则", ""),
]

INDICATOR_ZH = {
    "tax_per_mu": "亩均税收", "value_added_per_mu": "亩均增加值", "energy_productivity": "单位能耗增加值",
    "emission_productivity": "单位排放增加值", "labour_productivity": "全员劳动生产率",
    "rd_intensity": "R&D经费支出占营业收入比重", "revenue_per_mu": "亩均营业收入", "tax_per_kwh": "单位电耗税收",
}
CATEGORY_ZH = {"industrial_above": "规上工业", "industrial_below": "规下工业", "services": "服务业"}


def header(zh: str, unit: str) -> str:
    return f"{zh}({unit})" if unit else zh


def _cell(key: str, value):
    if key.endswith("_indicator") and value is not None:
        return INDICATOR_ZH.get(value, value)
    if key == "category" and value is not None:
        return CATEGORY_ZH.get(value, value)
    if isinstance(value, float):
        return round(value, 6 if key.endswith("gap_share") else 4)
    return value


def export_remediation(con, year: int, out_dir: Path | str) -> list[Path]:
    """Write one XLSX per town of `year`'s remediation list; returns the files in town order."""
    from openpyxl import Workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = [k for k, _, _ in COLUMNS]
    rows = con.execute(
        f"select town_code, {', '.join(keys)} from marts.remediation_list where year = ? "
        "order by town_code, follow_up_order", [year]).fetchall()
    by_town: dict[str, list[tuple]] = {}
    for town, *values in rows:
        by_town.setdefault(town or "unknown", []).append(tuple(values))
    files = []
    for town, town_rows in by_town.items():
        wb = Workbook()
        ws = wb.active
        ws.title = f"低效整治{year}"
        ws.append([header(zh, unit) for _, zh, unit in COLUMNS])
        for values in town_rows:
            ws.append([xlsx_value(_cell(k, v)) for k, v in zip(keys, values)])
        make_text_cells(ws)
        path = out_dir / f"remediation_{year}_{town}.xlsx"
        wb.save(path)
        files.append(path)
    return files
