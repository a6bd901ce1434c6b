"""Random audit (rules.md §7): real DuckDB, real dbt, real GX, real Dagster.

One warehouse of the hand-built county of orchestration/audit/scenario.py, built by one real
`dbt build`, with two data years: 2022 is clean (every town ordinary, one audit finding) and 2021 is
broken (town 330109002 has one subject per cross-department check built to fail exactly that check,
town 330109003 a far too large and a far too small subject; no finding). Copies of the file keep
its name (dbt's views name the catalog after the file).
"""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

from orchestration.audit import scenario, suites as S  # noqa: E402
from orchestration import masking  # noqa: E402
from orchestration.audit.run import file_connector, run_audit  # noqa: E402
from orchestration.audit.sampling import draw_sample  # noqa: E402
from orchestration.audit import parameters  # noqa: E402
from orchestration.publish import PublicationBlocked, publish  # noqa: E402

ALL = {"sample_share": 1.0}   # audit every graded subject: each breaker is in the sample


CLEAN, BROKEN = scenario.CLEAN_YEAR, scenario.BROKEN_YEAR


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("audit_wh")
    wh = root / "wh.duckdb"
    scenarios = scenario.build_warehouse(wh, root / "target")
    return {"wh": wh, "ids": scenarios[BROKEN].ids}


def _copy(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / src.name
    shutil.copy(src, dst)
    return dst


@pytest.fixture(scope="module")
def clean_audit(built, tmp_path_factory):
    d = tmp_path_factory.mktemp("clean_audit")
    wh = _copy(built["wh"], d)
    return wh, d, run_audit(file_connector(wh), 20211, d / "reports", run_key="clean", overrides=ALL,
                            years=[CLEAN])


@pytest.fixture(scope="module")
def broken_audit(built, tmp_path_factory):
    d = tmp_path_factory.mktemp("broken_audit")
    wh = _copy(built["wh"], d)
    return wh, d, run_audit(file_connector(wh), 20211, d / "reports", run_key="broken", overrides=ALL,
                            years=[BROKEN])


# ------------------------------------------------------------------------------------------------
# suites kept as files

def test_suite_files_match_definitions_and_carry_rule_ids():
    defs = S.suite_definitions()
    files = sorted(p.stem for p in (S.project_root() / S.SUITES_SUBDIR).glob("*.json"))
    assert files == sorted(defs)
    for name, d in defs.items():
        stored = S.load_suite_json(name)
        assert S.normalised(stored["expectations"]) == S.normalised(d["expectations"]), \
            f"{name}.json is stale: run python -m orchestration.audit.suites"
        assert isinstance(stored["meta"]["critical"], bool)
        for e in stored["expectations"]:
            assert e["meta"]["rule_id"].startswith("R-") and e["meta"]["check"]
    cross = S.load_suite_json(S.CROSS_SUITE)
    assert {e["meta"]["rule_id"] for e in cross["expectations"]} == {"R-AUDIT-3"}
    # policy numbers are parameters, never literals in the suite
    text = json.dumps(cross)
    for p in ("tax_revenue_ratio_max", "ledger_area_multiple", "certificate_max_years"):
        assert f'"$PARAMETER": "{p}"' in text
    assert S.load_suite_json(S.MARTS_SUITE)["meta"]["critical"] is True
    assert cross["meta"]["critical"] is False


def test_every_cross_check_has_a_breaker():
    checks = {e["meta"]["check"] for e in S.CROSS_CHECKS}
    assert checks == set(scenario.BREAKERS), "a cross-department check without a dataset that breaks it"


# ------------------------------------------------------------------------------------------------
# R-AUDIT-1 sampling

def test_sample_reproducible_and_stratified(built):
    with duckdb.connect(str(built["wh"]), read_only=True) as con:
        params = parameters.load(con)
        a = draw_sample(con, 7, params)
        b = draw_sample(con, 7, params)
        c = draw_sample(con, 8, params)
        graded = con.execute("select year, town_code, count(*) n from marts.subject_evaluation "
                             "where excluded_reason is null group by all").df()
        big = draw_sample(con, 7, {**params, "sample_share": 0.1})
    key = ["year", "town_code", "subject_id"]
    assert a[key].equals(b[key])                              # same seed + same data = same sample
    assert not a[key].reset_index(drop=True).equals(c[key].reset_index(drop=True))  # another seed, another sample
    assert set(a["seed"]) == {7}
    for share, smp in ((params["sample_share"], a), (0.1, big)):
        got = smp.groupby(["year", "town_code"]).size()
        for r in graded.itertuples():
            assert got[(r.year, r.town_code)] == max(1, math.ceil(share * r.n))
    assert params["sample_share"] == 0.05                     # from seeds/policy/audit_parameters.csv


# ------------------------------------------------------------------------------------------------
# a clean dataset passes

def test_clean_dataset_passes(clean_audit, built):
    wh, d, out = clean_audit
    assert all(s.success for s in out.gx.suites.values()), {n: s.failed_expectations for n, s in out.gx.suites.items()}
    assert not out.critical_failures
    cr = out.check_results
    assert len(cr) > 0 and cr["passed"].all()
    assert set(cr["check_name"]) == {e["meta"]["check"] for e in S.CROSS_CHECKS}   # every check applied somewhere
    assert (out.town_quality["quality_score"] == 1.0).all()
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select count(*) from audit.sample").fetchone()[0] == len(out.sample)
        cols = {r[0] for r in con.execute("describe audit.check_results").fetchall()}
        assert {"year", "subject_id", "check_name", "rule_id", "passed", "observed_value", "expected"} <= cols
        tq = {r[0] for r in con.execute("describe audit.town_quality").fetchall()}
        assert {"year", "town_code", "checked_values", "failed_values", "quality_score"} <= tq
        # the individual subject (P1) is audited under its masked id only
        rows = con.execute("select subject_id, observed_value, expected from audit.check_results").fetchall()
    person = built["ids"]["P1"]
    assert masking.mask_text(person, force=True) in {r[0] for r in rows}
    assert not any(person in " ".join(map(str, r)) for r in rows)


# ------------------------------------------------------------------------------------------------
# each cross-department check fails on the dataset built to break it

def test_each_cross_check_fails_on_its_breaker(broken_audit, built):
    wh, d, out = broken_audit
    ids = built["ids"]
    cr = out.check_results
    failed = cr[~cr["passed"]]
    assert not out.gx.suites[S.CROSS_SUITE].success
    assert not out.critical_failures                     # findings for auditors, not a pipeline error
    for check, label in scenario.BREAKERS.items():
        subject = ids[label]
        got = set(failed.loc[failed["subject_id"] == subject, "check_name"])
        assert got == {check}, f"{label}: expected only {check} to fail, got {got}"
        row = failed[(failed["subject_id"] == subject)].iloc[0]
        assert row["rule_id"] == "R-AUDIT-3" and row["observed_value"] and row["expected"]
    assert set(failed["subject_id"]) == {ids[label] for label in scenario.BREAKERS.values()}
    tq = out.town_quality.set_index("town_code")
    assert tq.loc[scenario.TOWN_CLEAN, "quality_score"] == 1.0
    assert tq.loc[scenario.TOWN_BREAK, "failed_values"] == 7
    assert tq.loc[scenario.TOWN_RANGE, "failed_values"] == 2
    assert 0 < tq.loc[scenario.TOWN_BREAK, "quality_score"] < 1


def test_reports_for_auditors(broken_audit):
    wh, d, out = broken_audit
    assert out.docs_index and out.docs_index.exists()
    assert out.docs_index == d / "reports" / "data_docs" / "broken" / "index.html"
    html = "".join(p.read_text(encoding="utf-8", errors="ignore")
                   for p in (d / "reports" / "data_docs" / "broken").rglob("*.html"))
    assert "cross_department" in html and "structural_tax_payments" in html
    (xlsx,) = (d / "reports" / "worklists" / str(BROKEN)).glob(f"{scenario.TOWN_BREAK}_*.xlsx")
    assert xlsx in out.worklists
    wl = pd.read_excel(xlsx, header=2)                     # below the title and office rows
    for h in ("评价主体", "主体名称", "核查项目", "规则", "上报值", "期望", "校验结果", "核实值", "核实日期"):
        assert h in wl.columns
    assert (wl["校验结果"] != "通过").sum() == 7
    assert wl.iloc[0]["校验结果"] != "通过"                    # failures first


# ------------------------------------------------------------------------------------------------
# R-AUDIT-4 findings

def test_finding_moves_a_grade(built):
    """F reports 15 亩 both years; in 2022 an audit finding verifies 30 亩: tax_per_mu < 2 → D (R-GRADE-2)."""
    f = built["ids"]["F"]
    q = "select area_mu, tax_per_mu, grade, grade_rules from marts.subject_evaluation where year = ? and subject_id = ?"
    with duckdb.connect(str(built["wh"]), read_only=True) as con:
        area0, tpm0, grade0, rules0 = con.execute(q, [BROKEN, f]).fetchone()      # no finding
        area1, tpm1, grade1, rules1 = con.execute(q, [CLEAN, f]).fetchone()       # finding applied
        fa = con.execute("select * from audit.findings_applied").df()
    assert abs(area0 - 15) < 1e-3 and tpm0 > 2 and grade0 != "D"
    assert abs(area1 - 30) < 1e-3 and tpm1 < 2 and grade1 == "D" and "R-GRADE-2" in list(rules1)
    assert len(fa) == 1
    row = fa.iloc[0]
    assert (row["year"], row["subject_id"], row["field"], row["source_feed"], row["record_key"]) == \
        (CLEAN, f, "area_m2", "land_parcels", "P-F")
    assert float(row["verified_value"]) == pytest.approx(30 * scenario.M2_PER_MU, rel=1e-6)
    assert float(row["reported_value"]) == pytest.approx(15 * scenario.M2_PER_MU, rel=1e-6)


# ------------------------------------------------------------------------------------------------
# critical (structural) failures block publication

def _pass_delivery_gates(con) -> None:
    """The scenario's rows go straight into raw.* (no deliveries to gate): record passed gates, so
    that only the audit decides these publications (the gates have tests of their own)."""
    from orchestration import gates

    gates.write(con, [gates.Gate(CLEAN, "reject_share.tax_payments", "passed", "0.0 % rejected", "tax_payments")])


def test_structural_failure_blocks_publication(clean_audit, tmp_path):
    wh = _copy(clean_audit[0], tmp_path / "wh")               # audited: every critical suite held
    pub = tmp_path / "published" / "mujun.duckdb"
    connect = file_connector(wh)
    with connect() as con:
        _pass_delivery_gates(con)
        publish(con, pub)
    before = pub.stat()
    with connect() as con:   # a row ingestion would have refused: lower-case USCC
        con.execute("insert into raw.tax_payments by name select * replace (lower(uscc) as uscc, 'X-1' as record_id) "
                    f"from raw.tax_payments where year = {CLEAN} limit 1")
    out = run_audit(connect, 20211, tmp_path / "r2", run_key="bad", years=[CLEAN])
    assert out.critical_failures == [S.structural_suite_name("tax_payments")]
    failed = set(out.gx.suites[S.structural_suite_name("tax_payments")].failed_expectations)
    assert failed == {"uscc_shape"}
    with connect() as con:
        with pytest.raises(PublicationBlocked, match="structural_tax_payments"):
            publish(con, pub)
    assert pub.stat().st_ino == before.st_ino and pub.stat().st_mtime_ns == before.st_mtime_ns
    with duckdb.connect(str(pub), read_only=True) as r:
        assert r.execute("select count(*) from audit.suite_results where not success").fetchone()[0] == 0


# ------------------------------------------------------------------------------------------------
# Dagster: the multi_asset with its asset checks, and publish downstream of the blocking checks

def test_dagster_audit_checks_gate_publication(built, tmp_path):
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from orchestration.assets.audit import AUDIT_KEYS, publish_warehouse, random_audit
    from orchestration.resources import RunSettings

    audit_assets, audit_checks = [random_audit, publish_warehouse], []   # gates: _pass_delivery_gates
    wh = _copy(built["wh"], tmp_path / "wh")
    with duckdb.connect(str(wh)) as con:
        _pass_delivery_gates(con)
    pub = tmp_path / "published" / "mujun.duckdb"
    resources = {
        "duckdb": DuckDBResource(database=str(wh)),
        "run_settings": RunSettings(audit_seed=5, reports_dir=str(tmp_path / "reports"), published_path=str(pub)),
    }
    ok = dg.materialize([*audit_assets, *audit_checks], resources=resources)
    assert ok.success
    evals = {e.check_name: e for e in ok.get_asset_check_evaluations()}
    assert set(evals) == {f"gx_{i.name}" for i in S.suite_infos()}
    assert all(e.passed for n, e in evals.items() if n != f"gx_{S.CROSS_SUITE}")
    assert "data_docs" in evals[f"gx_{S.CROSS_SUITE}"].metadata
    materialized = {e.asset_key for e in ok.get_asset_materialization_events()}
    assert set(AUDIT_KEYS.values()) <= materialized and dg.AssetKey("publish") in materialized
    assert pub.exists()
    with duckdb.connect(str(pub), read_only=True) as r:
        assert r.execute("select count(*) from audit.sample where seed = 5").fetchone()[0] > 0
        assert r.execute("select count(*) from marts.subject_evaluation").fetchone()[0] > 0
    inode = pub.stat().st_ino

    with duckdb.connect(str(wh)) as con:   # break a critical (structural) suite
        con.execute("insert into raw.registry_enterprises by name select * replace ('坏' as status) "
                    "from raw.registry_enterprises limit 1")
    bad = dg.materialize([*audit_assets, *audit_checks], resources=resources, raise_on_error=False)
    assert not bad.success
    evals = {e.check_name: e for e in bad.get_asset_check_evaluations()}
    assert not evals["gx_structural_registry_enterprises"].passed
    materialized = {e.asset_key for e in bad.get_asset_materialization_events()}
    assert dg.AssetKey("publish") not in materialized
    assert pub.stat().st_ino == inode                       # the last good publication stays


# ------------------------------------------------------------------------------------------------
# population suites in the database (GX's SQL engine on DuckDB, one batch per suite and year)

def _audit_after(built, tmp_path, name: str, breaking_sql: list[str]):
    wh = _copy(built["wh"], tmp_path / name)
    with duckdb.connect(str(wh)) as con:
        for sql in breaking_sql:
            con.execute(sql)
    return run_audit(file_connector(wh), 20211, tmp_path / f"{name}_reports", run_key=name, years=[CLEAN])


def _failed(out, suite: str) -> dict[str, list]:
    return {e.check: e for e in out.gx.suites[suite].expectations if not e.success}


def test_structural_suite_fails_on_an_empty_year(built, tmp_path):
    out = _audit_after(built, tmp_path, "empty", [f"delete from raw.tax_payments where year = {CLEAN}"])
    suite = S.structural_suite_name("tax_payments")
    assert suite in out.critical_failures
    failed = _failed(out, suite)
    assert set(failed) == {"rows_not_near_empty"}, failed        # every column check "passes" on no rows
    assert failed["rows_not_near_empty"].partial_unexpected == ["0 rows"]
    row = out.suite_results[(out.suite_results["suite"] == suite) & ~out.suite_results["success"]].iloc[0]
    assert row["year"] == CLEAN and row["check_name"] == "rows_not_near_empty"


def test_structural_suite_fails_on_a_near_empty_year(built, tmp_path):
    """Fewer than suite_min_share_of_previous_year (0.5) of Y-1's rows: near-empty."""
    with duckdb.connect(str(built["wh"]), read_only=True) as con:
        before = con.execute(f"select count(*) from raw.registry_enterprises where year = {BROKEN}").fetchone()[0]
    keep = int(before * 0.4)
    out = _audit_after(built, tmp_path, "near_empty", [
        f"delete from raw.registry_enterprises where year = {CLEAN} and uscc not in "
        f"(select uscc from raw.registry_enterprises where year = {CLEAN} order by uscc limit {keep})"])
    failed = _failed(out, S.structural_suite_name("registry_enterprises"))
    assert "rows_not_near_empty" in failed
    assert failed["rows_not_near_empty"].partial_unexpected == [f"{keep} rows"]
    clean = out.gx.suites[S.structural_suite_name("tax_payments")]
    assert clean.success                                         # the untouched feeds still pass


def test_failing_records_name_subject_name_and_town(built, tmp_path):
    with duckdb.connect(str(built["wh"]), read_only=True) as con:
        uscc, name, town, file_row = con.execute(f"""
            select t.uscc, r.name, r.town_code, t._row_number from raw.tax_payments t
            join raw.registry_enterprises r on r.year = t.year and r.uscc = t.uscc
            where t.year = {CLEAN} order by t.record_id limit 1""").fetchone()
    out = _audit_after(built, tmp_path, "null_amount", [
        f"update raw.tax_payments set amount_yuan = null where year = {CLEAN} and uscc = '{uscc}' "
        f"and _row_number = {file_row}"])
    failed = _failed(out, S.structural_suite_name("tax_payments"))
    assert set(failed) == {"amount_yuan_not_null"}
    example = failed["amount_yuan_not_null"].partial_unexpected[0]
    assert uscc in example and name in example and town in example and f"row {file_row}" in example
    with duckdb.connect(str(tmp_path / "null_amount" / built["wh"].name), read_only=True) as con:
        shown = con.execute("select examples from audit.suite_results where not success").fetchall()
    assert any(name in r[0] for r in shown)


def test_audit_tables_written_after_the_read_only_validation(clean_audit):
    """GX's SQL engine holds its own read-only connection; the audit still writes its tables in the
    same process afterwards (a second connection with another configuration would be refused)."""
    wh, d, out = clean_audit
    with duckdb.connect(str(wh), read_only=True) as con:
        n = con.execute("select count(*) from audit.suite_results").fetchone()[0]
        years = {r[0] for r in con.execute("select distinct year from audit.suite_results "
                                           "where suite <> 'cross_department'").fetchall()}
    assert n == len(out.suite_results) > 0 and years == {CLEAN}


def test_duplicated_key_and_bad_code_fail_in_sql_and_name_their_records(built, tmp_path):
    """In-set, regex and key-uniqueness expectations evaluated by DuckDB: a registry row delivered
    twice with an unknown status fails exactly status_in_set and key_unique_per_year, and the
    duplicated key names its enterprise without multiplying the rows of the other feeds."""
    with duckdb.connect(str(built["wh"]), read_only=True) as con:
        uscc, name = con.execute(f"select uscc, name from raw.registry_enterprises where year = {CLEAN} "
                                 "order by uscc limit 1").fetchone()
    out = _audit_after(built, tmp_path, "dup", [
        f"insert into raw.registry_enterprises by name select * replace ('坏' as status) "
        f"from raw.registry_enterprises where year = {CLEAN} and uscc = '{uscc}'"])
    failed = _failed(out, S.structural_suite_name("registry_enterprises"))
    assert set(failed) == {"status_in_set", "key_unique_per_year"}
    assert failed["status_in_set"].unexpected_count == 1
    dup = failed["key_unique_per_year"]
    assert dup.unexpected_count == 1 and uscc in dup.partial_unexpected[0] and name in dup.partial_unexpected[0]
    assert "occurrences=2" in dup.partial_unexpected[0]
    for feed in ("tax_payments", "stats_enterprise_annual", "energy_monthly"):
        assert out.gx.suites[S.structural_suite_name(feed)].success, feed


def _unexpected(result: dict) -> int:
    """Unexpected values of a column expectation, or the observed value of a table expectation."""
    if "unexpected_count" in result:
        return int(result["unexpected_count"] or 0)
    return int(result.get("observed_value") or 0)


def _gx_sql_engine(wh: Path, batch, params: dict) -> list[tuple[bool, int]]:
    """GX's own SQL engine (made to run on DuckDB by gx_duckdb) on one batch: the reference."""
    import great_expectations as gx

    from orchestration.audit import gx_duckdb

    gx_duckdb.enable()
    ctx = gx.get_context(mode="ephemeral")
    ds = ctx.data_sources.add_sql(name=f"ref_{batch.name}", connection_string=f"duckdb:///{wh}",
                                  kwargs={"connect_args": {"read_only": True}})
    bd = ds.add_query_asset(name=batch.name, query=batch.base).add_batch_definition_whole_table("all")
    suite = ctx.suites.add(S.build_suite(batch.suite, S.suite_definitions()[batch.suite]))
    res = bd.get_batch().validate(suite, result_format="SUMMARY",
                                  expectation_parameters={**params, "min_rows": batch.min_rows or 0})
    out = [(bool(r.success), _unexpected(r.result or {})) for r in res.results]
    gx_duckdb.close_all_engines()
    return out


def test_duckdb_counts_agree_with_great_expectations_sql_engine(built, tmp_path):
    """sql_expectations counts every population expectation in one DuckDB pass; GX's own SQL engine
    must reach the same verdict and the same unexpected count (observed value) on the same batches,
    clean and broken in every way the suites check."""
    from orchestration.audit import batches as B, sql_expectations

    wh = _copy(built["wh"], tmp_path / "conformance")
    with duckdb.connect(str(wh)) as con:
        con.execute(f"update raw.tax_payments set amount_yuan = null where year = {CLEAN} and _row_number in (3, 4)")
        con.execute(f"update raw.tax_payments set uscc = lower(uscc) where year = {CLEAN} and _row_number = 5")
        con.execute(f"update raw.land_parcels set area_m2 = -1 where year = {CLEAN} and _row_number = 1")
        con.execute(f"update raw.land_parcels set area_m2 = 0 where year = {CLEAN} and _row_number = 2")   # strict
        con.execute(f"update raw.land_ledger set arrangement = 'borrowed' where year = {CLEAN} and _row_number = 1")
        con.execute(f"insert into raw.registry_enterprises by name select * replace ('坏' as status) "
                    f"from raw.registry_enterprises where year = {CLEAN} limit 2")
        con.execute(f"delete from raw.stats_enterprise_annual where year = {CLEAN}")
        params = {**parameters.load(con)}
        batches = [b for b in B.population_batches(con, params, [CLEAN])]
        ours = {}
        for b in batches:
            exps = [(e["type"], e["kwargs"]) for e in S.load_suite_json(b.suite)["expectations"]]
            got = sql_expectations.evaluate(con, b, exps, {**params, "min_rows": b.min_rows or 0})
            ours[b.name] = [(ok, _unexpected(r)) for ok, r in got]
    broken = 0
    for b in batches:
        theirs = _gx_sql_engine(wh, b, params)
        assert ours[b.name] == theirs, b.name
        broken += sum(1 for ok, _ in theirs if not ok)
    assert broken >= 7      # null, regex, between, in-set (×2 feeds), duplicated key, empty year
