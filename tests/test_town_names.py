"""Town names (镇街名称, issue #11) and the profile's sector name.

The names come from seeds/reference/ref_towns.csv (orchestration/towns.py, the one reader): the
worklists carry them in file name and title, the year report in its town data-quality chart and
table, the profile page next to the town code, the remediation export in its title. A code without a
name is shown as the code, and the document says once where names come from. The shipped names
are synthetic (the samples' town codes are), written by scripts/synthetic_town_names.py.

Fast tests on the seed and the worklist writer; then, on the session's county run (conftest
`county_run`), the worklists the audit wrote, the report, the profile and the remediation export.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import sys
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from orchestration import documents as D
from orchestration import towns
from orchestration.audit import worklists
from orchestration.remediation_export import export_remediation
from orchestration.report import profile, yearly

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "reference" / "ref_towns.csv"
YEAR = 2021
ISSUED = dt.date(2026, 12, 2)
SPEC = re.compile(r'<script type="application/json" data-spec="([^"]+)">(.*?)</script>', re.DOTALL)


def seed_names() -> dict[str, str]:
    with open(SEED, encoding="utf-8", newline="") as fh:
        return {r["town_code"]: r["town_name"] for r in csv.DictReader(fh)}


def sector_names() -> dict[str, str]:
    with open(REPO / "seeds" / "reference" / "ref_sectors.csv", encoding="utf-8", newline="") as fh:
        return {r["sector_code"]: r["name_zh"] for r in csv.DictReader(fh)}


# ------------------------------------------------------------------------------ the seed
def test_seed_is_what_the_script_writes_and_says_it_is_synthetic():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import synthetic_town_names as script
    finally:
        sys.path.remove(str(REPO / "scripts"))
    with open(SEED, encoding="utf-8", newline="") as fh:
        shipped = list(csv.DictReader(fh))
    assert shipped == script.rows()          # re-run the script after changing the generator's towns
    assert all(r["town_name"].startswith("示例") and r["source"].startswith("synthetic sample") for r in shipped)
    # the county sample's 22 towns (330109001..022) all have a name, distinct within the county
    xiaoshan = {r["town_code"]: r["town_name"] for r in shipped if r["county_code"] == "330109"}
    assert sorted(xiaoshan) == [f"330109{k:03d}" for k in range(1, 23)]
    assert len(set(xiaoshan.values())) == 22


# ------------------------------------------------------------------------------ worklists, unit
def _records(town: str) -> pd.DataFrame:
    return pd.DataFrame({
        "year": YEAR, "town_code": town, "subject_id": ["91330109000000001A"], "subject_name": ["甲公司"],
        "uscc": ["91330109000000001A"], "enterprise_name": ["甲公司"], "source_feed": ["stats_enterprise_annual"],
        "record_key": ["91330109000000001A"], "check_name": ["energy_ge_electricity"], "rule_id": "R-AUDIT-3",
        "label_zh": ["综合能耗不低于用电折标煤(吨标煤)"], "field": ["energy_tce"], "passed": [False],
        "observed_value": ["233.096"], "expected": ["≥ electricity_tce = 238"]})


def _title_and_note(path: Path) -> tuple[str, str]:
    ws = openpyxl.load_workbook(path).active
    texts = [c.value for row in ws.iter_rows(max_row=D.HEADER_ROW) for c in row if isinstance(c.value, str)]
    return ws["A1"].value, " ".join(texts)


def test_worklist_takes_the_town_name_from_the_seed(tmp_path):
    records = _records("330109003")
    (path,) = worklists.write_worklists(records, records[["year", "town_code", "subject_id"]], tmp_path,
                                        issued_on=ISSUED)
    name = seed_names()["330109003"]
    assert path.name == f"330109003_萧山区{name}.xlsx"
    title, note = _title_and_note(path)
    assert title == f"{YEAR}年度亩均效益评价随机抽查核查清单（萧山区{name}）"
    assert towns.NAMES_SOURCE not in note


def test_worklist_of_a_town_without_a_name_shows_the_code_and_says_where_names_come_from(tmp_path):
    records = _records("330109099")                 # not in ref_towns
    assert "330109099" not in seed_names()
    (path,) = worklists.write_worklists(records, records[["year", "town_code", "subject_id"]], tmp_path,
                                        issued_on=ISSUED)
    assert path.name == "330109099_萧山区.xlsx"
    title, note = _title_and_note(path)
    assert title == f"{YEAR}年度亩均效益评价随机抽查核查清单（萧山区 镇街330109099）"
    assert note.count(towns.NAMES_SOURCE) == 1 and "ref_towns.csv" in note


# ------------------------------------------------------------------------------ the county run
@pytest.fixture(scope="module")
def run(county_run, tmp_path_factory):
    assert county_run["returncode"] == 0, county_run["stderr"][-3000:]
    out = tmp_path_factory.mktemp("town_names")
    con = duckdb.connect(str(county_run["published"]), read_only=True)
    yield {**county_run, "out": out, "con": con}
    con.close()


def _specs(html: str) -> dict[str, dict]:
    return {n: json.loads(b.replace("<\\/", "</")) for n, b in SPEC.findall(html)}


def test_the_audit_worklists_carry_the_town_names(run):
    names = seed_names()
    written = sorted((run["reports"] / "worklists" / str(YEAR)).glob("*.xlsx"))
    assert written
    for path in written:
        code = path.name[:9]
        assert path.name == f"{code}_萧山区{names[code]}.xlsx"
        title, _ = _title_and_note(path)
        assert title.endswith(f"（萧山区{names[code]}）")


def test_report_town_quality_shows_names(run):
    html = yearly.build(run["con"], YEAR)
    names = seed_names()
    drawn = [r for rows in _specs(html)["town_quality"]["datasets"].values() for r in rows]
    assert drawn and all(r["town"] == f"{names[r['town_code']]} ({r['town_code']})" for r in drawn)
    section = html[html.index('<section id="towns">'):]
    section = section[:section.index("</section>")]
    assert all(f"{names[r['town_code']]} ({r['town_code']})" in section for r in drawn)
    assert towns.NAMES_SOURCE not in section


def test_report_and_profile_without_a_town_name_show_the_code_once_noted(run, tmp_path):
    # a copy of the published file whose ref_towns lacks one town's row
    copy = tmp_path / "copy.duckdb"
    shutil.copy(run["published"], copy)
    con = duckdb.connect(str(copy))
    town, subject = con.execute(f"""select q.town_code, arg_min(s.subject_id, s.subject_id)
        from audit.town_quality q join marts.subject_evaluation s using (year, town_code)
        where q.year = {YEAR} group by 1 order by 1 limit 1""").fetchone()
    con.execute("delete from reference.ref_towns where town_code = ?", [town])
    html = yearly.build(con, YEAR)
    section = html[html.index('<section id="towns">'):]
    section = section[:section.index("</section>")]
    drawn = {r["town_code"]: r["town"] for rows in _specs(html)["town_quality"]["datasets"].values() for r in rows}
    assert drawn[town] == town
    assert section.count(towns.NAMES_SOURCE) == 1
    page = profile.html(profile.load(con, subject))
    assert f"<td>{town}（1 个镇街代码无名称 ({towns.NAMES_SOURCE})）</td>" in page
    con.close()


def test_profile_shows_the_town_and_sector_names(run):
    con = run["con"]
    subject, town, sector = con.execute(f"""select subject_id, town_code, sector from marts.subject_evaluation
        where year = {YEAR} and sector is not null order by subject_id limit 1""").fetchone()
    p = profile.load(con, subject)
    sector_zh = sector_names()[sector]
    town_zh = seed_names()[town]
    text = profile.text(p)
    assert f"行业 sector {sector_zh} ({sector})" in text and f"镇街 town {town_zh} ({town})" in text
    page = profile.html(p)
    assert f"<td>{sector_zh} ({sector})</td>" in page and f"<td>{town_zh} ({town})</td>" in page
    assert towns.NAMES_SOURCE not in page


def test_remediation_export_title_names_the_town(run, tmp_path):
    files = export_remediation(run["con"], YEAR, tmp_path, issued_on=ISSUED)
    names = seed_names()
    assert files
    for path in files:
        code = path.stem.rsplit("_", 1)[1]
        title, _ = _title_and_note(path)
        assert title == f"{YEAR}年度亩均效益评价D类企业低效整治名单（{names[code]}，镇街{code}）"
