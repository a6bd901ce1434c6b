"""Codes by name (feeds.md "booleans, enums"): a tax_code or pollutant cell that is the official
Chinese name its reference seed gives a code loads as that code; anything else is unknown_code. A
registry town_code must be a town of the row's county_code.

The last test is the end-to-end proof that names are *counted* like codes: a generated county year
is ingested twice (codes / names) and real dbt builds marts.subject_evaluation on both.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import uscc, valid_rows, write_feed  # noqa: E402

from orchestration.feeds.loader import find_deliveries, ingest_feed  # noqa: E402
from orchestration.settings import SEEDS_DIR  # noqa: E402

YEAR = 2022
REPO = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "mujun-dbt")
REFERENCE = SEEDS_DIR / "reference"


def _seed(name: str, code_col: str) -> dict[str, str]:
    """code -> official name, read from the seed the way a tester reads it (not via the code under test)."""
    with open(REFERENCE / f"{name}.csv", encoding="utf-8") as f:
        return {r[code_col]: r["name_zh"] for r in csv.DictReader(f)}


TAX_NAMES = _seed("ref_tax_codes", "tax_code")
POLLUTANT_NAMES = _seed("ref_pollutants", "pollutant")


@pytest.fixture
def tmp_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_INGEST_TMP", str(tmp_path / "tmp"))
    return tmp_path


def _ingest(folder: Path, feed: str, rows, reference_dir: Path | None = None, **kw):
    """Ingest ``rows`` as <folder>/feeds/<YEAR>/<feed>.csv into <folder>/w.duckdb."""
    root = folder / "feeds"
    write_feed(root / str(YEAR), feed, rows, **kw)
    con = duckdb.connect(str(folder / "w.duckdb"))
    res = ingest_feed(con, root, YEAR, feed, reference_dir=reference_dir)
    assert res.rows_delivered == res.rows_loaded + res.rows_rejected
    return res, con


def _raw(con, feed: str, cols: str) -> list[tuple]:
    return con.execute(f"select _row_number, {cols} from raw.{feed} order by _row_number").fetchall()


def _rejected(con, feed: str) -> dict[int, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in con.execute(
        "select row_number, reason, detail from quarantine.rejected_rows where feed = ? order by 1", [feed]).fetchall()}


def test_tax_names_load_the_same_rows_as_codes(tmp_env):
    # every code the seed names (counted and uncounted), plus a social-insurance code it does not name
    codes = [*TAX_NAMES, "60100"]
    rows = valid_rows("tax_payments", len(codes), YEAR)
    for r, code in zip(rows, codes):
        r["tax_code"] = code
    by_name = [{**r, "tax_code": TAX_NAMES.get(r["tax_code"], r["tax_code"])} for r in rows]
    by_name[0]["tax_code"] = f" {by_name[0]['tax_code']}\u3000"       # trimmed like every cell
    assert by_name[0]["tax_code"].strip() == "增值税"

    res_c, con_c = _ingest(tmp_env / "codes", "tax_payments", rows)
    res_n, con_n = _ingest(tmp_env / "names", "tax_payments", by_name, lang="zh")
    assert res_c.rows_rejected == 0 and res_n.rows_rejected == 0, _rejected(con_n, "tax_payments")
    cols = "record_id, uscc, tax_code, belongs_to, paid_on, deferred, amount_yuan"
    loaded = _raw(con_n, "tax_payments", cols)
    assert loaded == _raw(con_c, "tax_payments", cols)
    assert [r[3] for r in loaded] == codes


def test_unknown_tax_name_is_quarantined_with_its_row(tmp_env):
    rows = valid_rows("tax_payments", 4, YEAR)
    rows[1]["tax_code"] = "企业所得税"        # a name of the seed: loaded as 10104
    rows[2]["tax_code"] = "增值税款"          # not a name of the seed
    rows[3]["tax_code"] = "社会保险费"        # a real levy, but the seed gives it no name
    res, con = _ingest(tmp_env, "tax_payments", rows)
    assert res.rows_loaded == 2 and res.reasons == {"unknown_code": 2}
    assert [r[1] for r in _raw(con, "tax_payments", "tax_code")] == ["10101", "10104"]
    q = _rejected(con, "tax_payments")
    assert set(q) == {3, 4} and {reason for reason, _ in q.values()} == {"unknown_code"}
    detail = q[3][1]
    assert detail.startswith('tax_code = "增值税款"')
    assert "5-digit" in detail and "ref_tax_codes" in detail and "企业所得税" in detail, detail


def test_names_with_full_width_brackets(tmp_env):
    """Names are compared with （） and () as equal, in the seed and in the delivery."""
    ref = tmp_env / "reference"
    shutil.copytree(REFERENCE, ref)
    seed = ref / "ref_tax_codes.csv"
    seed.write_text(seed.read_text(encoding="utf-8").replace("10121,环境保护税,", "10121,环境保护税（试行）,"),
                    encoding="utf-8")
    rows = valid_rows("tax_payments", 3, YEAR)
    rows[0]["tax_code"] = "环境保护税(试行)"
    rows[1]["tax_code"] = "环境保护税（试行）"
    rows[2]["tax_code"] = "环境保护税"        # the renamed seed no longer gives this name
    res, con = _ingest(tmp_env, "tax_payments", rows, reference_dir=ref)
    assert [r[1] for r in _raw(con, "tax_payments", "tax_code")] == ["10121", "10121"]
    assert set(_rejected(con, "tax_payments")) == {3}


def test_a_seed_name_given_to_two_codes_stops_ingestion(tmp_env):
    ref = tmp_env / "reference"
    shutil.copytree(REFERENCE, ref)
    with open(ref / "ref_tax_codes.csv", "a", encoding="utf-8") as f:
        f.write("10199,增值税,false,R-TAX-1\n")
    with pytest.raises(ValueError, match="增值税.*two codes"):
        _ingest(tmp_env, "tax_payments", valid_rows("tax_payments", 1, YEAR), reference_dir=ref)


def test_pollutant_names_map_to_codes(tmp_env):
    cells = [*POLLUTANT_NAMES.values(), "nh3n", "总磷"]
    rows = [{"uscc": uscc(i), "pollutant": p, "emission_kg": "10"} for i, p in enumerate(cells)]
    res, con = _ingest(tmp_env, "emissions_annual", rows)
    assert [r[1] for r in _raw(con, "emissions_annual", "pollutant")] == [*POLLUTANT_NAMES, "NH3N"]
    q = _rejected(con, "emissions_annual")
    assert list(q) == [len(cells)] and q[len(cells)][0] == "unknown_code"
    assert "COD" in q[len(cells)][1] and "化学需氧量" in q[len(cells)][1], q


def test_town_of_another_county_is_quarantined(tmp_env):
    rows = valid_rows("registry_enterprises", 3, YEAR)
    for r in rows:
        r["county_code"] = "330106"
    rows[0]["town_code"] = "330106001"           # a town of its county: loaded
    rows[1]["town_code"] = "330109001"           # a town of 萧山区, not of 西湖区
    rows[2]["town_code"] = "330999001"           # no such county at all: the generic text
    res, con = _ingest(tmp_env, "registry_enterprises", rows)
    assert res.rows_loaded == 1 and res.reasons == {"unknown_code": 2}
    q = _rejected(con, "registry_enterprises")
    assert q[2] == ("unknown_code", "town_code 330109001 is not a town of county_code 330106 "
                                    "(its first 6 digits must be the row's county_code)")
    assert q[3] == ("unknown_code", 'town_code = "330999001": not 9 digits starting with a known county code')


# ------------------------------------------------------------------------- counted like codes
def _write_by_name(src: Path, dst: Path, column: str, names: dict[str, str]) -> int:
    """Copy a generated feed file, the codes the seed names replaced by their names; returns how many."""
    n = 0
    with open(src, encoding="utf-8", newline="") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        reader, writer = csv.reader(fin), csv.writer(fout, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        i = header.index(column)
        for row in reader:
            if row[i] in names:
                row[i] = names[row[i]]
                n += 1
            writer.writerow(row)
    return n


def _build(feeds: Path, work: Path) -> Path:
    """Ingest every delivered feed of the year, then real dbt builds subject_evaluation and its parents."""
    wh = work / "warehouse.duckdb"
    with duckdb.connect(str(wh)) as con:
        for feed in find_deliveries(feeds, 2021):
            res = ingest_feed(con, feeds, 2021, feed)
            assert res.rows_rejected == 0, res.message      # the clean sample, by codes or by names
    env = {**os.environ, "MUJUN_WAREHOUSE": str(wh), "DBT_PROFILES_DIR": str(REPO / "dbt_project")}
    proc = subprocess.run([DBT, "build", "--select", "+subject_evaluation",
                           "--exclude", "resource_type:test", "resource_type:unit_test",
                           "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return wh


@pytest.mark.slow   # two warehouses and two dbt builds (~40 s): `make test-slow`; CI proves the typed rows equal
def test_tax_and_pollutant_names_are_counted_like_codes(tmp_path, monkeypatch):
    from orchestration.synthetic.generate import generate

    monkeypatch.setenv("MUJUN_INGEST_TMP", str(tmp_path / "tmp"))
    codes = tmp_path / "codes" / "feeds"
    generate(codes, scale="county", years=[2021], seed=42)
    names = tmp_path / "names" / "feeds"
    shutil.copytree(codes, names)
    y = "2021"
    assert _write_by_name(codes / y / "tax_payments.csv", names / y / "tax_payments.csv", "tax_code", TAX_NAMES) > 100_000
    assert _write_by_name(codes / y / "emissions_annual.csv", names / y / "emissions_annual.csv", "pollutant",
                          POLLUTANT_NAMES) > 1_000

    def evaluation(wh: Path) -> dict[str, dict]:
        with duckdb.connect(str(wh), read_only=True) as con:
            cur = con.execute("select * from marts.subject_evaluation")
            cols = [d[0] for d in cur.description]
            return {r["subject_key"]: r for r in (dict(zip(cols, row)) for row in cur.fetchall())}

    by_codes = evaluation(_build(codes, tmp_path / "codes"))
    by_names = evaluation(_build(names, tmp_path / "names"))
    assert len(by_codes) > 1000 and {r["grade"] for r in by_codes.values()} >= {"A", "B", "C", "D"}
    assert by_names.keys() == by_codes.keys()
    for key, c in by_codes.items():
        n = by_names[key]
        # DOUBLE sums of a parallel aggregation may differ in the last bit between two builds
        floats = {k for k, v in c.items() if isinstance(v, float)}
        assert {k: v for k, v in n.items() if k not in floats} == {k: v for k, v in c.items() if k not in floats}, key
        assert {k: n[k] for k in floats} == pytest.approx({k: c[k] for k in floats}, rel=1e-9, nan_ok=True), key
