"""Every policy seed row carries the evaluation years it applies to (issue #12, the last six seeds).

Python readers (fast, real DuckDB files, copies of the shipped seed files with one row limited to a
year): the publication gate thresholds, the audit sample share, the issuing office, the exported
leader lists and the what-if pairing of subjects. SQL readers: one real `dbt build` of a three-year
hand-made scenario (tests/test_measures.py) on a copy of the project whose after-the-grade and audit
seeds carry year-limited rows, then builds that the year checks must refuse.
"""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_evaluation import DBT, REPO  # noqa: E402
from test_measures import _three_years  # noqa: E402

from orchestration import export, issuing, policy_years, whatif  # noqa: E402
from orchestration import gates as G  # noqa: E402
from orchestration.audit import batches as B  # noqa: E402
from orchestration.audit import parameters  # noqa: E402
from orchestration.audit.sampling import draw_sample  # noqa: E402
from orchestration.feeds import ddl  # noqa: E402

SHIPPED = REPO / "seeds" / "policy"


def _replace_line(name: str, old: str, new: str) -> str:
    text = (SHIPPED / name).read_text(encoding="utf-8")
    assert old in text, (name, old)
    return text.replace(old, new)


def _line(name: str, prefix: str) -> str:
    line = next(ln for ln in (SHIPPED / name).read_text(encoding="utf-8").splitlines() if ln.startswith(prefix))
    assert line.endswith(",,"), line                      # shipped open-ended
    return line


def _limited(name: str, prefix: str, old_value: str, new_value: str, until: int) -> str:
    """`name` with the row starting with `prefix` closed after `until` (valid_to_year) and a copy of it,
    `old_value` replaced by `new_value`, valid from until + 1."""
    line = _line(name, prefix)
    assert f",{old_value}," in line, line
    return _replace_line(name, line, f"{line}{until}\n"
                         + line.replace(f",{old_value},", f",{new_value},", 1)[:-2] + f",{until + 1},")


def _only(name: str, prefix: str, valid_from: str, valid_to: str) -> str:
    """`name` with the row starting with `prefix` valid from `valid_from` to `valid_to` only."""
    line = _line(name, prefix)
    return _replace_line(name, line, f"{line[:-2]},{valid_from},{valid_to}")


def _doubled(name: str, prefix: str, year: int) -> str:
    """`name` with a second row of `prefix`'s key valid in `year` (overlapping the open-ended one)."""
    line = _line(name, prefix)
    return _replace_line(name, line, f"{line}\n{line[:-2]},{year},")


def _reference(con, name: str, text: str) -> None:
    """reference.<name> as `dbt seed` would load it (typed year columns)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    cols = list(rows[0])
    con.execute("create schema if not exists reference")
    con.execute(f"create or replace table reference.{name} ("
                + ", ".join(f'"{c}" {"integer" if c in whatif.YEAR_COLUMNS else "varchar"}' for c in cols) + ")")
    for r in rows:
        con.execute(f"insert into reference.{name} values ({', '.join('?' for _ in cols)})",
                    [(r[c] or None) for c in cols])


# ------------------------------------------------------------------ publication gates (orchestration/gates.py)
REJECT_ROW = "reject_share,max_rejected_share,0.01,true,"


def _gate_warehouse(path: Path, gates_csv: str):
    con = duckdb.connect(str(path))
    ddl.ensure_schemas(con)
    _reference(con, "publication_gates", gates_csv)
    con.execute("create schema if not exists audit")
    con.execute("""create or replace table audit.publication_gate_measures as
        select * from (values (2021, 100, 50.0, 10.0), (2022, 100, 50.0, 10.0))
                 as t(year, graded_subjects, counted_area_mu, counted_tax_wan)""")
    for year in (2021, 2022):
        for feed in G.REQUIRED_FEEDS:
            rejected = 40 if feed == "tax_payments" else 0
            con.execute("insert into quarantine.delivery_ledger values (?, ?, ?, ?, ?, 'loaded', 100, ?, ?, '', now())",
                        [f"d-{feed}-{year}", year, feed, f"{year}/{feed}.csv", f"sha-{feed}-{year}",
                         100 - rejected, rejected])
    return con


def test_a_2022_only_gate_threshold_applies_to_2022_and_not_to_2021(tmp_path):
    limited = _limited("publication_gates.csv", REJECT_ROW, "0.01", "0.5", 2021)
    con = _gate_warehouse(tmp_path / "wh.duckdb", limited)
    judged = {g.name: g for g in G.evaluate(con)}
    y21, y22 = judged["reject_share.tax_payments:2021"], judged["reject_share.tax_payments:2022"]
    assert (y21.threshold, y21.status) == (0.01, "failed")      # 40 % rejected against the 1 % of 2021
    assert (y22.threshold, y22.status) == (0.5, "passed")       # ... against the 50 % of 2022
    assert "threshold 1.0 %" in y21.message


def test_a_gate_year_without_a_row_or_with_two_rows_is_refused_naming_seed_key_year(tmp_path):
    con = _gate_warehouse(tmp_path / "gap.duckdb", _only("publication_gates.csv", REJECT_ROW, "", "2021"))
    with pytest.raises(G.GateError, match=r"publication_gates .*no row for parameter 'max_rejected_share' "
                                          r"valid in year 2022"):
        G.evaluate(con)
    con.close()
    con = _gate_warehouse(tmp_path / "doubled.duckdb", _doubled("publication_gates.csv", REJECT_ROW, 2022))
    with pytest.raises(G.GateError, match=r"publication_gates .*2 rows for parameter 'max_rejected_share' "
                                          r"valid in year 2022: .*overlap"):
        G.evaluate(con)


# ------------------------------------------------------------------ random audit (orchestration/audit)
SHARE_ROW = "sample_share,0.05,"


def _audit_warehouse(path: Path, params_csv: str):
    con = duckdb.connect(str(path))
    ddl.ensure_schemas(con)
    _reference(con, "audit_parameters", params_csv)
    con.execute("create schema if not exists marts")
    con.execute("""create table marts.subject_evaluation as
        select y.year, 'S' || cast(i as varchar) as subject_id, 'S' || cast(i as varchar) as subject_key,
               '330109001' as town_code, cast(null as varchar) as excluded_reason
        from range(100) as r(i) cross join (values (2021), (2022)) as y(year)""")
    return con


def test_a_2022_only_sample_share_draws_more_in_2022_only(tmp_path):
    con = _audit_warehouse(tmp_path / "wh.duckdb", _limited("audit_parameters.csv", SHARE_ROW, "0.05", "0.2", 2021))
    by_year = parameters.by_year(con)
    assert {y: p["sample_share"] for y, p in by_year.items()} == {2021: 0.05, 2022: 0.2}
    sample = draw_sample(con, 7, parameters.one_run(by_year), by_year=by_year)
    assert sample.groupby("year").size().to_dict() == {2021: 5, 2022: 20}      # ceil(share x 100 graded)
    # the suites' row floors follow the year too (suite_min_rows from 2022 on)
    con.close()
    con = _audit_warehouse(tmp_path / "floors.duckdb", _limited("audit_parameters.csv", "suite_min_rows,", "1", "150", 2021))
    by_year = parameters.by_year(con)
    marts = {b.year: b.min_rows for b in B.population_batches(con, parameters.one_run(by_year), None, by_year)
             if b.suite == "marts_subject_evaluation"}
    assert marts == {2021: 1, 2022: 150}       # 2021: no Y-1, the floor 1; 2022: max(150, ceil(0.5 x 100))


def test_an_audit_year_without_a_row_or_with_two_rows_is_refused_naming_seed_key_year(tmp_path):
    gap = _only("audit_parameters.csv", SHARE_ROW, "2022", "")
    with pytest.raises(policy_years.PolicyYearError,
                       match=r"audit_parameters .*no row for parameter 'sample_share' valid in year 2021"):
        parameters.by_year(_audit_warehouse(tmp_path / "gap.duckdb", gap))
    doubled = _doubled("audit_parameters.csv", SHARE_ROW, 2022)
    with pytest.raises(policy_years.PolicyYearError,
                       match=r"audit_parameters .*2 rows for parameter 'sample_share' valid in year 2022"):
        parameters.by_year(_audit_warehouse(tmp_path / "doubled.duckdb", doubled))


def test_a_cross_suite_band_that_differs_between_audited_years_is_refused(tmp_path):
    split = _limited("audit_parameters.csv", "tax_revenue_ratio_max,", "0.5", "0.6", 2021)
    con = _audit_warehouse(tmp_path / "wh.duckdb", split)
    by_year = parameters.by_year(con)
    with pytest.raises(policy_years.PolicyYearError, match=r"'tax_revenue_ratio_max' differs .*2021: 0.5, 2022: 0.6"):
        parameters.one_run(by_year)
    assert parameters.one_run({2022: by_year[2022]})["tax_revenue_ratio_max"] == 0.6   # one year at a time


# ------------------------------------------------------------------ documents (issuing office, leader lists)
def test_the_office_and_publicity_days_of_the_documents_year(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    _reference(con, "publication", _limited("publication.csv", "province,", "7", "10", 2021))
    assert issuing.office(con, "province", year=2021).publicity_days == 7
    assert issuing.office(con, "province", year=2022).publicity_days == 10
    with pytest.raises(LookupError, match="several year ranges"):      # which one? the document's year says
        issuing.office(con, "province")
    _reference(con, "publication", _doubled("publication.csv", "province,", 2022))
    with pytest.raises(policy_years.PolicyYearError,
                       match=r"publication .*2 rows for level 'province' valid in year 2022"):
        issuing.office(con, "province", year=2022)
    _reference(con, "publication", _only("publication.csv", "city,", "2022", ""))
    with pytest.raises(policy_years.PolicyYearError,
                       match=r"publication .*no row for level 'city' valid in year 2021"):
        issuing.office(con, "city", "330109", year=2021)


def test_the_export_reads_the_leader_lists_of_the_exported_year(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    _reference(con, "leader_indicators",
               _limited("leader_indicators.csv", "manufacturing,tax_per_mu,", "亩均税收", "亩均税收贡献", 2021))
    _reference(con, "leader_lists", (SHIPPED / "leader_lists.csv").read_text(encoding="utf-8"))
    headers = {y: [f.header for lst in export.leader_lists(con, y) if lst.code == "manufacturing"
                   for f in lst.indicators] for y in (2021, 2022)}
    assert headers[2021][0] == "亩均税收(万元/亩)" and headers[2022][0] == "亩均税收贡献(万元/亩)"
    assert headers[2021][1:] == headers[2022][1:]                 # one row per indicator in each year


# ------------------------------------------------------------------ whatif pairs subjects per year
def _snapshot_db(path: Path, keys: list[str], grades: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.subject_evaluation (year integer, subject_key varchar, subject_id varchar,
            subject_name varchar, county_code varchar, category varchar, grade varchar, total_score double,
            rank_in_group integer, group_size integer, grade_rules_text varchar, excluded_reason varchar)""")
        for k, g in zip(keys, grades):
            con.execute("insert into marts.subject_evaluation values (2021, ?, '330109********1234', '个体', "
                        "'330109', 'industrial_below', ?, 50, 1, 2, '', null)", [k, g])
        con.execute("create table marts.subject_indicator_detail (year integer, subject_key varchar, "
                    "indicator varchar, score double)")
        con.execute("create table marts.leaderboard_enterprises (year integer, subject_id varchar, list varchar, "
                    "rank integer)")
    return path


def test_whatif_pairs_colliding_individuals_by_their_rank_within_the_year(tmp_path):
    # the warehouse ranks #n over 2019-2021 (a 2019-only person holds #1); the scratch build of
    # [2020, 2021] ranks the same two 2021 persons #1 and #2
    before = _snapshot_db(tmp_path / "before.duckdb", ["330109********1234#2", "330109********1234#3"], ["C", "D"])
    after = _snapshot_db(tmp_path / "after.duckdb", ["330109********1234#1", "330109********1234#2"], ["C", "D"])
    with duckdb.connect(str(before)) as b, duckdb.connect(str(after)) as a:
        transitions, moved = whatif.diff(whatif._snapshot(b, 2021), whatif._snapshot(a, 2021), 2021)
    assert moved == []
    assert {(t["from_grade"], t["to_grade"]): t["subjects"] for t in transitions} == {("C", "C"): 1, ("D", "D"): 1}


# ------------------------------------------------------------------ SQL readers: one real dbt build
MEASURE_ROW = "M-ELEC-D1,electricity_surcharge,差别化电价加价,D,all,1,0.3,"
STAGES_ROW = "publicity_days,5,"
RANGE_ROW = "land_area_range_factor,3,"


def _project(tmp: Path, replaced: dict[str, str]) -> Path:
    project = tmp / "project"
    project.mkdir(parents=True)
    files = []
    for name, text in replaced.items():
        (tmp / name).write_text(text, encoding="utf-8")
        files.append(tmp / name)
    whatif._copy_project(REPO, project, files)
    return project


def _dbt_in(project: Path, warehouse: Path, args: list[str]) -> subprocess.CompletedProcess:
    import os
    env = {**os.environ, "MUJUN_WAREHOUSE": str(warehouse)}
    return subprocess.run([DBT, *args, "--project-dir", str(project),
                           "--profiles-dir", str(project / "dbt_project"),
                           "--target-path", str(project / "target"), "--log-path", str(project / "logs")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("policy_years_all")
    wh = work / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        _three_years(con)                              # 2019-2021; A3 is D every year, 1,000,000 kWh
    project = _project(work, {
        "policy_differentiated_measures.csv": _limited("policy_differentiated_measures.csv", MEASURE_ROW,
                                                       "0.3", "0.35", 2019),
        "policy_publication_stages.csv": _limited("policy_publication_stages.csv", STAGES_ROW, "5", "9", 2020),
        "audit_parameters.csv": _limited("audit_parameters.csv", RANGE_ROW, "3", "10", 2020),
        "policy_chain_walk.csv": _limited("policy_chain_walk.csv", "max_links,", "64", "64", 2020),
    })
    proc = _dbt_in(project, wh, [
        "build", "--select", "resource_type:seed", "staging", "+differentiated_measures", "+int_publication_calendar",
        "+audit_base_records", "--exclude", "path:dbt_project/models/staging,resource_type:test",
        "resource_type:unit_test", "--indirect-selection", "cautious"])
    assert proc.returncode == 0, proc.stdout[-6000:]
    return {"wh": wh, "work": work}


def _rows(wh: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_year_limited_surcharge_moves_the_amount_of_its_years_only(built):
    elec = dict((y, (m, a)) for y, m, a in _rows(built["wh"], """
        select year, measure_id, computed_amount_yuan from marts.differentiated_measures
        where subject_id = 'A3' and lever = 'electricity_surcharge' order by year"""))
    assert elec[2019] == ("M-ELEC-D1", pytest.approx(300_000.0))     # 0.3 元/kWh, valid to 2019
    assert elec[2020] == ("M-ELEC-D1", pytest.approx(350_000.0))     # 0.35 from 2020
    assert elec[2021] == ("M-ELEC-D3", pytest.approx(400_000.0))     # three D years: the D3 tier


def test_the_publicity_window_and_the_audit_range_of_their_years(built):
    days = dict(_rows(built["wh"], "select year, publicity_days from intermediate.int_publication_calendar"))
    assert days == {2019: 5, 2020: 5, 2021: 9}
    ratio = {y: r for y, r in _rows(built["wh"], """
        select year, max(town_area_max_mu) / max(town_area_min_mu) from audit.audit_base_records
        where record_type = 'subject' group by year""")}
    # max / min of the range = (q_high x f) / (q_low / f): f^2 times the (same) quantile ratio
    assert ratio[2021] / ratio[2020] == pytest.approx(100 / 9)
    assert ratio[2020] == pytest.approx(ratio[2019])


def _refused(built: dict, tmp: Path, replaced: dict[str, str], model: str) -> str:
    """dbt output of running `model` on a copy of the built warehouse under the replaced seeds (refused)."""
    project = _project(tmp, replaced)
    copy = tmp / built["wh"].name
    shutil.copy2(built["wh"], copy)
    seeded = _dbt_in(project, copy, ["seed"])
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    proc = _dbt_in(project, copy, ["run", "--select", model])
    assert proc.returncode != 0, proc.stdout[-3000:]
    return " ".join(proc.stdout.split())


@pytest.mark.slow   # a refused dbt build (~14 s); the Python readers' refusals stay in make test
def test_a_build_whose_year_has_no_publicity_days_is_refused(built, tmp_path):
    out = _refused(built, tmp_path, {
        "policy_publication_stages.csv": _only("policy_publication_stages.csv", STAGES_ROW, "", "2020")},
        "int_publication_calendar")
    assert ("policy seed policy_publication_stages (seeds/policy/policy_publication_stages.csv) has no row for "
            "parameter 'publicity_days' valid in evaluation year 2021") in out


@pytest.mark.slow   # a second refused build (~15 s)
def test_a_build_whose_years_need_two_chain_walk_limits_is_refused(built, tmp_path):
    out = _refused(built, tmp_path, {
        "policy_chain_walk.csv": _limited("policy_chain_walk.csv", "max_links,", "64", "8", 2020)},
        "int_subject_membership")
    assert ("policy seed policy_chain_walk (seeds/policy/policy_chain_walk.csv): parameter 'max_links' differs "
            "between the evaluated years (64 in years 2019-2020; 8 in years 2021-2021)") in out
