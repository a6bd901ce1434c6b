"""Synthetic feed generator: contract shape, check codes, determinism, rule situations, magnitudes.

The county-scale feeds are generated once per session into a temporary directory (a few seconds)
and queried with DuckDB.  The province-scale run is marked slow (excluded from CI).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from orchestration.feeds import contract as C
from orchestration.synthetic import generate
from orchestration.synthetic import ids

YEARS = [2020, 2021]
SEED = 42
MIN = 3   # every rule situation at least this often at county scale (per year unless noted)
COUNTIES = Path(__file__).resolve().parents[1] / "seeds" / "reference" / "ref_counties.csv"
COUNTED = ("10101", "10102", "10104", "10106", "10107", "10109", "10110", "10111", "10112", "10113",
           "10114", "30203", "30216")


# ------------------------------------------------------------------------------------------
# ids.py against hand-checked and published codes
# ------------------------------------------------------------------------------------------
def test_uscc_known_codes():
    # Published codes: Alibaba (China) Co., Ltd. and Shenzhen Tencent Computer Systems Co., Ltd.
    assert ids.is_valid_uscc("91330100716105852F")
    assert ids.is_valid_uscc("9144030071526726XG")
    assert ids.uscc_check_char("91330100716105852") == "F"
    assert ids.org_check_char("71610585") == "2"      # 3*7+7*1+9*6+10*1+5*0+8*5+4*8+2*5 = 174; 11-174%11 = 2
    assert ids.org_check_char("71526726") == "X"      # Σ = 199; 11 - 1 = 10 → X
    # hand computation: 91330109 + 12345678 + org check 8 (Σ=168, 168%11=3, 11-3=8)
    assert ids.org_check_char("12345678") == "8"
    assert ids.make_uscc("330109", 12345678) == "91330109123456788J"
    assert not ids.is_valid_uscc("91330100716105852G")   # wrong check char
    assert not ids.is_valid_uscc("91330100716105853F")   # wrong organisation check
    assert not ids.is_valid_uscc("91330100716105852f")   # lower case
    assert not ids.is_valid_uscc("9133010071610585I2")   # I is not in the charset
    assert not ids.is_valid_uscc("91330000MA27U00000")


def test_person_id_known_codes():
    # GB 11643-1999 examples
    assert ids.is_valid_person_id("11010519491231002X")
    assert ids.is_valid_person_id("440524188001010014")
    assert ids.person_id_check_char("11010519491231002") == "X"
    assert not ids.is_valid_person_id("110105194912310021")
    assert not ids.is_valid_person_id("330109199902300016")       # 30 Feb is not a date
    pid = ids.make_person_id("330109", dt.date(1980, 2, 29), 7)
    assert pid == "330109198002290079" and ids.is_valid_person_id(pid, zhejiang_only=True)


def test_vectorised_ids_match_scalar():
    import numpy as np
    org = np.array([0, 1, 12345678, 71610585, 99999999, 42424242])
    out = ids.uscc_batch(np.full(len(org), 330109), org)
    assert list(out) == [ids.make_uscc("330109", int(o)) for o in org]
    assert all(ids.is_valid_uscc(u) for u in out)
    births = np.array(["1960-01-01", "1988-12-31", "2000-02-29"], dtype="datetime64[D]")
    p = ids.person_id_batch(np.array([330109, 330106, 331082]), births, np.array([0, 123, 999]))
    assert list(p) == [ids.make_person_id(r, b, q) for r, b, q in
                       [("330109", "19600101", 0), ("330106", "19881231", 123), ("331082", "20000229", 999)]]


# ------------------------------------------------------------------------------------------
# County-scale feeds
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def feeds(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synthetic") / "a"
    summary = generate(out, scale="county", years=YEARS, seed=SEED)
    return out, summary


@pytest.fixture(scope="session")
def db(feeds):
    out, _ = feeds
    con = duckdb.connect()
    for y in YEARS:
        for f in C.FEEDS:
            path = out / str(y) / f"{f.name}.csv"
            con.execute(f"CREATE TABLE {f.name}_{y} AS SELECT * FROM read_csv('{path}', header=true, "
                        f"all_varchar=true, quote='\"', escape='\"')")
    return con


def q1(con, sql):
    return con.execute(sql).fetchone()[0]


def test_every_feed_file_with_contract_header(feeds):
    out, summary = feeds
    for y in YEARS:
        for f in C.FEEDS:
            path = out / str(y) / f"{f.name}.csv"
            assert path.exists(), path
            with open(path, encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh))
            assert header == f.column_names, f.name
            assert summary["rows"][f"{y}/{f.name}"] > 0, f.name
    assert 1500 <= summary["subjects"] <= 2600
    assert not list(out.rglob(".*.part"))


def _id_values(con, kind):
    vals = []
    for y in YEARS:
        for f in C.FEEDS:
            for col in f.columns:
                if col.kind == kind:
                    vals += [r[0] for r in con.execute(
                        f"SELECT DISTINCT {col.name} FROM {f.name}_{y} WHERE {col.name} IS NOT NULL").fetchall()]
    return vals


def test_all_usccs_valid(db):
    vals = _id_values(db, C.USCC)
    assert len(vals) > 2000
    bad = [v for v in vals if not ids.is_valid_uscc(v)]
    assert not bad, bad[:5]
    # ids in subject columns are USCCs or person ids; ledger landlords are USCCs (village collectives N2…)
    for y in YEARS:
        for sql in (f"SELECT occupant_id FROM land_ledger_{y}", f"SELECT landlord_id FROM land_ledger_{y}",
                    f"SELECT subject_id FROM land_use_exceptions_{y}", f"SELECT subject_id FROM grade_adjustments_{y}",
                    f"SELECT subject_id FROM audit_findings_{y}"):
            for (v,) in db.execute(sql).fetchall():
                assert ids.is_valid_uscc(v) or ids.is_valid_person_id(v), v


def test_all_person_ids_valid(db):
    vals = _id_values(db, C.PERSON)
    assert len(vals) > 50
    bad = [v for v in vals if not ids.is_valid_person_id(v, zhejiang_only=True)]
    assert not bad, bad[:5]


def test_county_town_industry_codes(db):
    with open(COUNTIES, encoding="utf-8") as fh:
        counties = {r["county_code"] for r in csv.DictReader(fh)}
    for y in YEARS:
        assert {r[0] for r in db.execute(f"SELECT DISTINCT county_code FROM registry_enterprises_{y}").fetchall()} == {"330109"}
        towns = [r[0] for r in db.execute(
            f"SELECT town_code FROM registry_enterprises_{y} UNION SELECT town_code FROM land_ledger_{y}").fetchall()]
        assert all(len(t) == 9 and t.isdigit() and t[:6] in counties and 1 <= int(t[6:]) <= 99 for t in towns)
        assert all(t[:6] == "330109" for t in towns)
        # USCC division code = registry county
        assert q1(db, f"SELECT count(*) FROM registry_enterprises_{y} WHERE substr(uscc, 3, 6) <> county_code") == 0
        for tbl in (f"parks_{y}", f"county_incentives_{y}"):
            assert {r[0] for r in db.execute(f"SELECT county_code FROM {tbl}").fetchall()} <= counties
        divs = {int(r[0][:2]) for r in db.execute(f"SELECT industry_code FROM registry_enterprises_{y}").fetchall()}
        assert all(len(r[0]) == 4 for r in db.execute(f"SELECT industry_code FROM registry_enterprises_{y}").fetchall())
        manuf = q1(db, f"SELECT avg((left(industry_code, 2)::int BETWEEN 13 AND 43)::int) FROM registry_enterprises_{y}")
        assert 0.6 < manuf < 0.9
        for group in ([51, 52], range(53, 61), [61, 62], [63, 64, 65], [73, 74, 75], range(86, 91), [70]):
            assert divs & set(group), group


def test_determinism(tmp_path, feeds):
    out, _ = feeds

    def digests(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*.csv"))}
    generate(tmp_path / "b", scale="county", years=YEARS, seed=SEED)
    a, b = digests(out), digests(tmp_path / "b")
    assert len(a) == len(C.FEEDS) * len(YEARS)
    assert a == b
    generate(tmp_path / "c", scale="county", years=YEARS, seed=SEED + 1)
    c = digests(tmp_path / "c")
    assert set(c) == set(a)
    assert all(a[k] != c[k] for k in a if not k.endswith("county_incentives.csv"))


def test_keys_unique(db):
    for y in YEARS:
        for f in C.FEEDS:
            if not f.key:
                continue
            cols = ", ".join(f.key)
            dup = q1(db, f"SELECT count(*) FROM (SELECT {cols} FROM {f.name}_{y} GROUP BY ALL HAVING count(*) > 1)")
            assert dup == 0, (y, f.name)


def test_tax_rows_belong_to_their_year(db):
    for y in YEARS:
        bad = q1(db, f"""SELECT count(*) FROM tax_payments_{y} WHERE NOT (
                     left(paid_on, 4)::int = {y} OR (deferred = 'true' AND left(belongs_to, 4)::int = {y}))""")
        assert bad == 0
        assert q1(db, f"SELECT count(*) FROM energy_monthly_{y} WHERE left(month, 4)::int <> {y}") == 0
        # a payment is never before the month it belongs to
        assert q1(db, f"SELECT count(*) FROM tax_payments_{y} WHERE paid_on::DATE < (belongs_to || '-01')::DATE") == 0
    # deferred records across the boundary appear in both files, identically
    cols = [c for c in C.feed("tax_payments").column_names if c != "record_id"]
    same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in cols)
    both = db.execute(f"""SELECT count(*), count(*) FILTER (WHERE {same})
                          FROM tax_payments_2020 a JOIN tax_payments_2021 b USING (record_id)""").fetchone()
    assert both[0] >= MIN and both[0] == both[1]
    assert q1(db, """SELECT count(*) FROM tax_payments_2020 a JOIN tax_payments_2021 b USING (record_id)
                     WHERE NOT (a.deferred = 'true' AND left(a.belongs_to, 4) = '2020' AND left(a.paid_on, 4) = '2021')""") == 0


# ------------------------------------------------------------------------------------------
# Rule situations (rules.md §2-§5), each at least MIN times per year at county scale
# ------------------------------------------------------------------------------------------
def _views(con, y):
    con.execute(f"""
    CREATE OR REPLACE TEMP VIEW reg AS SELECT * FROM registry_enterprises_{y};
    CREATE OR REPLACE TEMP VIEW led AS SELECT * FROM land_ledger_{y};
    CREATE OR REPLACE TEMP VIEW parc AS SELECT *, construction_deadline::DATE AS dl, completed_on::DATE AS done
        FROM land_parcels_{y};
    CREATE OR REPLACE TEMP VIEW own_land AS
        SELECT holder_uscc AS uscc FROM parc WHERE land_use IN ('industrial', 'warehouse')
           AND year(dl) + 1 <= {y}
        UNION SELECT occupant_id FROM led WHERE verified = 'true'
           AND arrangement IN ('village_land_to_enterprise', 'other_occupied');
    CREATE OR REPLACE TEMP VIEW ht AS SELECT DISTINCT uscc FROM hightech_certificates_{y}
        WHERE valid_from::DATE <= DATE '{y}-12-31' AND valid_to::DATE >= DATE '{y}-01-01';
    CREATE OR REPLACE TEMP VIEW merged_rows AS SELECT * FROM led
        WHERE arrangement = 'rented_plant' AND verified = 'true' AND separate_evaluation = 'false'
          AND occupant_id NOT IN (SELECT uscc FROM own_land);
    """)


SITUATIONS = {
    "R-SUBJ-2 valid approval (above-scale)": """SELECT count(*) FROM led JOIN stats_enterprise_annual_{y} s ON s.uscc = occupant_id
        WHERE arrangement = 'rented_plant' AND verified = 'true' AND separate_evaluation = 'true' AND s.above_scale = 'true'""",
    "R-SUBJ-2 valid approval (高企)": """SELECT count(*) FROM led WHERE arrangement = 'rented_plant' AND verified = 'true'
        AND separate_evaluation = 'true' AND occupant_id IN (SELECT uscc FROM ht)""",
    "R-SUBJ-2 valid approval (strategic emerging)": """SELECT count(*) FROM led JOIN reg ON reg.uscc = occupant_id
        WHERE arrangement = 'rented_plant' AND verified = 'true' AND separate_evaluation = 'true' AND strategic_emerging = 'true'""",
    "R-SUBJ-2 invalid approval": """SELECT count(*) FROM led JOIN reg ON reg.uscc = occupant_id
        LEFT JOIN stats_enterprise_annual_{y} s ON s.uscc = occupant_id
        WHERE arrangement = 'rented_plant' AND verified = 'true' AND separate_evaluation = 'true'
          AND coalesce(s.above_scale, 'false') = 'false' AND coalesce(strategic_emerging, 'false') = 'false'
          AND occupant_id NOT IN (SELECT uscc FROM ht)""",
    "R-SUBJ-3 merged tenant (no own land)": "SELECT count(*) FROM merged_rows",
    "R-SUBJ-9 chain (tenant of a merged tenant)": """SELECT count(*) FROM merged_rows t
        WHERE t.landlord_id IN (SELECT occupant_id FROM merged_rows)""",
    "R-SUBJ-9 chain of depth 3": """SELECT count(*) FROM merged_rows t JOIN merged_rows m ON t.landlord_id = m.occupant_id
        WHERE m.landlord_id IN (SELECT occupant_id FROM merged_rows)""",
    "R-SUBJ-4 own land + rented plant, split": """SELECT count(*) FROM led WHERE arrangement = 'rented_plant'
        AND verified = 'true' AND split_by_area = 'true' AND occupant_id IN (SELECT uscc FROM own_land)""",
    "R-SUBJ-4 own land + rented plant, not split": """SELECT count(*) FROM led WHERE arrangement = 'rented_plant'
        AND verified = 'true' AND split_by_area = 'false' AND separate_evaluation = 'false'
        AND occupant_id IN (SELECT uscc FROM own_land)""",
    "R-SUBJ-4 own land + via individual": """SELECT count(*) FROM led WHERE arrangement = 'village_land_via_individual'
        AND occupant_id IN (SELECT holder_uscc FROM parc WHERE land_use IN ('industrial', 'warehouse'))""",
    "R-SUBJ-5 village_land_to_enterprise": "SELECT count(*) FROM led WHERE arrangement = 'village_land_to_enterprise' AND verified = 'true'",
    "R-SUBJ-5 other_occupied": "SELECT count(*) FROM led WHERE arrangement = 'other_occupied' AND verified = 'true'",
    "R-SUBJ-5 individual with several occupants": """SELECT count(*) FROM (SELECT sublessor_person_id FROM led
        WHERE arrangement = 'village_land_via_individual' AND verified = 'true' AND sublessor_person_id IS NOT NULL
          AND landlord_id NOT IN (SELECT uscc FROM reg) AND occupant_id IN (SELECT uscc FROM reg)
        GROUP BY 1 HAVING count(DISTINCT occupant_id) >= 2)""",
    "R-SUBJ-7 unverified ledger row": "SELECT count(*) FROM led WHERE verified = 'false'",
    "R-SUBJ-6 unauthorized_consumer_service": "SELECT count(*) FROM land_use_exceptions_{y} WHERE kind = 'unauthorized_consumer_service'",
    "R-SUBJ-6 approved_public_service": "SELECT count(*) FROM land_use_exceptions_{y} WHERE kind = 'approved_public_service'",
    "R-SUBJ-6 non_industrial_tenant productive_service": """SELECT count(*) FROM land_use_exceptions_{y}
        WHERE kind = 'non_industrial_tenant' AND tenant_type = 'productive_service' AND tenant_uscc IN (SELECT uscc FROM reg)""",
    "R-SUBJ-6 non_industrial_tenant digital_economy": """SELECT count(*) FROM land_use_exceptions_{y}
        WHERE kind = 'non_industrial_tenant' AND tenant_type = 'digital_economy'""",
    "R-SUBJ-6 non_industrial_tenant other": """SELECT count(*) FROM land_use_exceptions_{y}
        WHERE kind = 'non_industrial_tenant' AND tenant_type = 'other'""",
    "R-SUBJ-1 deregistered (注销) holder of land": """SELECT count(DISTINCT uscc) FROM reg JOIN parc ON holder_uscc = uscc
        WHERE status = '注销'""",
    "R-SUBJ-1 revoked (吊销) holder of land": """SELECT count(DISTINCT uscc) FROM reg JOIN parc ON holder_uscc = uscc
        WHERE status = '吊销'""",
    "R-SUBJ-8 registered enterprise without statistics": """SELECT count(*) FROM reg WHERE status = '存续'
        AND uscc NOT IN (SELECT uscc FROM stats_enterprise_annual_{y})""",
    "R-SUBJ-8 services subject with land": """SELECT count(DISTINCT uscc) FROM reg JOIN parc ON holder_uscc = uscc
        WHERE left(industry_code, 2)::int NOT BETWEEN 13 AND 43 AND land_use IN ('industrial', 'warehouse')""",
    "R-LAND-1 industrial": "SELECT count(*) FROM parc WHERE land_use = 'industrial'",
    "R-LAND-1 warehouse": "SELECT count(*) FROM parc WHERE land_use = 'warehouse'",
    "R-LAND-1 other use": "SELECT count(*) FROM parc WHERE land_use NOT IN ('industrial', 'warehouse')",
    "R-LAND-2 deadline years before Y": "SELECT count(*) FROM parc WHERE year(dl) < {y} - 1",
    "R-LAND-2 deadline in Y-1": "SELECT count(*) FROM parc WHERE year(dl) = {y} - 1",
    "R-LAND-2 deadline in Y": "SELECT count(*) FROM parc WHERE year(dl) = {y}",
    "R-LAND-2 deadline after Y": "SELECT count(*) FROM parc WHERE year(dl) > {y}",
    "R-LAND-3 applies (enterprise overrun counted early)": """SELECT count(*) FROM parc WHERE delay_cause = 'enterprise'
        AND (done IS NULL OR done > dl + INTERVAL 6 MONTH) AND dl + INTERVAL 6 MONTH <= DATE '{y}-12-31' AND year(dl) >= {y}""",
    "enterprise delay, completed_on null": "SELECT count(*) FROM parc WHERE delay_cause = 'enterprise' AND done IS NULL AND year(dl) >= {y} - 1",
    "enterprise delay, completed after deadline + 6 months": """SELECT count(*) FROM parc WHERE delay_cause = 'enterprise'
        AND done > dl + INTERVAL 6 MONTH""",
    "enterprise delay, completed within 6 months": """SELECT count(*) FROM parc WHERE delay_cause = 'enterprise'
        AND done > dl AND done <= dl + INTERVAL 6 MONTH""",
    "R-LAND-4 government delay, not completed": """SELECT count(*) FROM parc WHERE delay_cause = 'government'
        AND done IS NULL AND year(dl) + 1 <= {y}""",
    "R-LAND-4 government delay, completed after 31 Dec Y": """SELECT count(*) FROM parc WHERE delay_cause = 'government'
        AND done > DATE '{y}-12-31'""",
    "government delay, completed within Y": """SELECT count(*) FROM parc WHERE delay_cause = 'government'
        AND done <= DATE '{y}-12-31'""",
    "R-LAND-5 new enterprise waiting, no early evaluation": """SELECT count(*) FROM parc WHERE is_new_enterprise = 'true'
        AND early_evaluation = 'false' AND {y} < year(dl) + 2""",
    "R-LAND-5 new enterprise waiting, early evaluation": """SELECT count(*) FROM parc WHERE is_new_enterprise = 'true'
        AND early_evaluation = 'true' AND {y} < year(dl) + 2""",
    "R-LAND-5 new enterprise with counted land, waiting": """SELECT count(*) FROM parc WHERE is_new_enterprise = 'true'
        AND {y} = year(dl) + 1""",
    "R-TAX-1 deferred, belongs to Y, paid in Y+1": """SELECT count(*) FROM tax_payments_{y} WHERE deferred = 'true'
        AND left(belongs_to, 4)::int = {y} AND left(paid_on, 4)::int = {y} + 1""",
    "R-TAX-1 deferred, belongs to Y-1, paid in Y": """SELECT count(*) FROM tax_payments_{y} WHERE deferred = 'true'
        AND left(belongs_to, 4)::int = {y} - 1 AND left(paid_on, 4)::int = {y}""",
    "R-TAX-1 not deferred, belongs to Y-1, paid in Y": """SELECT count(*) FROM tax_payments_{y} WHERE deferred = 'false'
        AND left(belongs_to, 4)::int = {y} - 1""",
    "R-TAX-1 reversal": "SELECT count(*) FROM tax_payments_{y} WHERE amount_yuan::DOUBLE < 0",
    "non-counted 10116": "SELECT count(*) FROM tax_payments_{y} WHERE tax_code = '10116'",
    "non-counted 10118": "SELECT count(*) FROM tax_payments_{y} WHERE tax_code = '10118'",
    "non-counted 10119": "SELECT count(*) FROM tax_payments_{y} WHERE tax_code = '10119'",
    "non-counted 10121": "SELECT count(*) FROM tax_payments_{y} WHERE tax_code = '10121'",
    "non-counted social insurance 60100": "SELECT count(*) FROM tax_payments_{y} WHERE tax_code = '60100'",
    "R-TAX-2 preferential_refund": "SELECT count(*) FROM tax_restorations_{y} WHERE kind = 'preferential_refund'",
    "R-TAX-2 export_adjustment": "SELECT count(*) FROM tax_restorations_{y} WHERE kind = 'export_adjustment'",
    "R-TAX-2 construction_input_vat certified": """SELECT count(*) FROM tax_restorations_{y}
        WHERE kind = 'construction_input_vat' AND audit_certified = 'true'""",
    "R-TAX-2 construction_input_vat not certified": """SELECT count(*) FROM tax_restorations_{y}
        WHERE kind = 'construction_input_vat' AND audit_certified = 'false'""",
    "R-ENERGY-1 stats energy present": "SELECT count(*) FROM stats_enterprise_annual_{y} WHERE energy_tce IS NOT NULL",
    "R-ENERGY-1 stats energy missing (electricity fallback)": """SELECT count(*) FROM stats_enterprise_annual_{y}
        WHERE energy_tce IS NULL AND uscc IN (SELECT uscc FROM energy_monthly_{y})""",
    "no electricity rows": """SELECT count(*) FROM reg WHERE status = '存续'
        AND uscc IN (SELECT uscc FROM stats_enterprise_annual_{y}) AND uscc NOT IN (SELECT uscc FROM energy_monthly_{y})""",
    "R-AUDIT-3 energy below electricity equivalent": """SELECT count(*) FROM stats_enterprise_annual_{y} s
        JOIN (SELECT uscc, sum(electricity_kwh::DOUBLE) k FROM energy_monthly_{y} GROUP BY 1) e USING (uscc)
        WHERE energy_tce::DOUBLE < k * 0.1229 / 1000""",
    "negative value added": "SELECT count(*) FROM stats_enterprise_annual_{y} WHERE value_added_kyuan::DOUBLE < 0",
    "R-EMIT-1 zero emissions": """SELECT count(*) FROM (SELECT uscc FROM emissions_annual_{y} GROUP BY 1
        HAVING sum(emission_kg::DOUBLE) = 0)""",
    "R-SCORE-3 no emission rows (taxed)": """SELECT count(DISTINCT uscc) FROM tax_payments_{y}
        WHERE uscc NOT IN (SELECT uscc FROM emissions_annual_{y})""",
    "R-BONUS-1 talent cap exceeded": """SELECT count(*) FROM (SELECT uscc FROM talents_{y}
        WHERE year(certified_on::DATE) = {y} GROUP BY 1
        HAVING sum(CASE level WHEN 'A' THEN 2 WHEN 'B' THEN 1 WHEN 'C' THEN 0.5 WHEN 'D' THEN 0.2
                              WHEN 'E' THEN 0.1 ELSE 0.05 END) > 2)""",
    "R-TALENT-1 talent certified outside Y": "SELECT count(*) FROM talents_{y} WHERE year(certified_on::DATE) <> {y}",
    "R-HT-1 certificate valid in Y": "SELECT count(*) FROM ht",
    "R-HT-1 certificate not valid in Y": """SELECT count(*) FROM hightech_certificates_{y}
        WHERE valid_to::DATE < DATE '{y}-01-01' OR valid_from::DATE > DATE '{y}-12-31'""",
    "R-BONUS-3 water saving": "SELECT count(*) FROM water_saving_{y} WHERE honor = 'provincial_water_saving'",
    "R-BONUS-3 water benchmark": "SELECT count(*) FROM water_saving_{y} WHERE honor = 'provincial_water_benchmark'",
    "R-BONUS-3 both honours": "SELECT count(*) FROM (SELECT uscc FROM water_saving_{y} GROUP BY 1 HAVING count(*) = 2)",
    "R-GRADE-7 adjustments": "SELECT count(*) FROM grade_adjustments_{y}",
    "audit finding stats": "SELECT count(*) FROM audit_findings_{y} WHERE feed = 'stats_enterprise_annual'",
    "audit finding parcels": "SELECT count(*) FROM audit_findings_{y} WHERE feed = 'land_parcels'",
    "audit finding ledger": "SELECT count(*) FROM audit_findings_{y} WHERE feed = 'land_ledger'",
    "group parent links": "SELECT count(*) FROM reg WHERE parent_uscc IS NOT NULL",
    "group chain depth >= 2": """SELECT count(*) FROM reg c JOIN reg p ON c.parent_uscc = p.uscc
        WHERE p.parent_uscc IS NOT NULL AND p.parent_uscc <> c.uscc""",
    "group chain depth >= 3": """SELECT count(*) FROM reg c JOIN reg p ON c.parent_uscc = p.uscc
        JOIN reg g ON p.parent_uscc = g.uscc WHERE g.parent_uscc IS NOT NULL AND g.parent_uscc NOT IN (c.uscc, p.uscc)""",
    "park members": "SELECT count(*) FROM park_members_{y}",
    "county incentives": "SELECT count(*) FROM county_incentives_{y}",
    "patents": "SELECT count(*) FROM patents_{y} WHERE invention_patents::INT > 0",
}


def situation_counts(con, y) -> dict[str, int]:
    _views(con, y)
    return {name: q1(con, sql.format(y=y)) for name, sql in SITUATIONS.items()}


@pytest.mark.parametrize("y", YEARS)
def test_rule_situations_present(db, y):
    counts = situation_counts(db, y)
    missing = {k: v for k, v in counts.items() if v < MIN}
    assert not missing, missing


def test_group_cycles_and_grade_adjustment_duplicates(db):
    for y in YEARS:
        cycles = q1(db, f"""SELECT count(*) FROM registry_enterprises_{y} a JOIN registry_enterprises_{y} b
                            ON a.parent_uscc = b.uscc WHERE b.parent_uscc = a.uscc""")
        assert cycles >= 2   # A→B→A seen from both ends
        tri = q1(db, f"""SELECT count(*) FROM registry_enterprises_{y} a JOIN registry_enterprises_{y} b ON a.parent_uscc = b.uscc
                         JOIN registry_enterprises_{y} c ON b.parent_uscc = c.uscc WHERE c.parent_uscc = a.uscc AND a.uscc <> b.uscc""")
        assert tri >= 3
        assert q1(db, f"SELECT count(*) FROM (SELECT subject_id FROM grade_adjustments_{y} GROUP BY 1 HAVING count(*) > 1)") >= 1


def test_parks_types_classes(db):
    for y in YEARS:
        got = set(db.execute(f"SELECT park_type, park_class FROM parks_{y}").fetchall())
        want = {(t, c) for t, cs in C.PARK_CLASSES_BY_TYPE.items() for c in cs}
        assert got == want
        assert q1(db, f"SELECT count(*) FROM parks_{y} WHERE park_id NOT IN (SELECT park_id FROM park_members_{y})") == 0
        assert q1(db, f"SELECT count(*) FROM parks_{y} WHERE eligible = 'false'") >= 1
        assert q1(db, f"SELECT min(area_mu::DOUBLE) FROM parks_{y}") > 0


def test_enums_and_ranges(db):
    for y in YEARS:
        for f in C.FEEDS:
            for col in f.columns:
                if col.kind == C.ENUM and not col.enum_open:
                    vals = {r[0] for r in db.execute(f"SELECT DISTINCT {col.name} FROM {f.name}_{y} WHERE {col.name} IS NOT NULL").fetchall()}
                    assert vals <= set(col.enum), (f.name, col.name, vals - set(col.enum))
                if col.kind in (C.DECIMAL, C.INTEGER) and (col.min_value is not None or col.positive):
                    lo = q1(db, f"SELECT min({col.name}::DOUBLE) FROM {f.name}_{y}")
                    assert lo is None or (lo > 0 if col.positive else lo >= col.min_value), (f.name, col.name, lo)
                if not col.nullable:
                    assert q1(db, f"SELECT count(*) FROM {f.name}_{y} WHERE {col.name} IS NULL") == 0, (f.name, col.name)
        # park classes legal for their type; ledger sublessor only for via-individual rows
        for t, cs in C.PARK_CLASSES_BY_TYPE.items():
            assert q1(db, f"SELECT count(*) FROM parks_{y} WHERE park_type = '{t}' AND park_class NOT IN {tuple(cs)!r}") == 0
        assert q1(db, f"""SELECT count(*) FROM land_ledger_{y} WHERE (sublessor_person_id IS NOT NULL)
                          <> (arrangement = 'village_land_via_individual')""") == 0


def test_audit_findings_match_reported_values(db):
    for y in YEARS:
        n = q1(db, f"SELECT count(*) FROM audit_findings_{y}")
        ok = 0
        for f, key in (("stats_enterprise_annual", "uscc"), ("land_parcels", "parcel_id"), ("land_ledger", "record_id")):
            for field in [r[0] for r in db.execute(f"SELECT DISTINCT field FROM audit_findings_{y} WHERE feed = '{f}'").fetchall()]:
                ok += q1(db, f"""SELECT count(*) FROM audit_findings_{y} a JOIN {f}_{y} t ON t.{key} = a.record_key
                                 WHERE a.feed = '{f}' AND a.field = '{field}' AND t.{field} = a.reported_value
                                   AND a.verified_value <> a.reported_value""")
        assert ok == n


def test_years_are_linked(db):
    # same enterprises across years, a few new, a few deregistered; measures grow
    new = q1(db, "SELECT count(*) FROM registry_enterprises_2021 WHERE uscc NOT IN (SELECT uscc FROM registry_enterprises_2020)")
    gone = q1(db, "SELECT count(*) FROM registry_enterprises_2020 WHERE uscc NOT IN (SELECT uscc FROM registry_enterprises_2021)")
    dereg = q1(db, """SELECT count(*) FROM registry_enterprises_2021 b JOIN registry_enterprises_2020 a USING (uscc)
                      WHERE a.status = '存续' AND b.status <> '存续'""")
    assert 3 <= new <= 200 and gone == 0 and dereg >= 3
    growth = db.execute(f"""
        WITH t AS (SELECT y, uscc, sum(amount_yuan::DOUBLE) t FROM (
                     SELECT 2020 y, * FROM tax_payments_2020 UNION ALL SELECT 2021, * FROM tax_payments_2021)
                   WHERE tax_code IN {COUNTED!r}
                     AND ((left(paid_on, 4)::int = y AND deferred = 'false') OR (deferred = 'true' AND left(belongs_to, 4)::int = y))
                   GROUP BY ALL)
        SELECT median(b.t / a.t), avg((b.t / a.t > 1.15)::int) FROM t a JOIN t b USING (uscc)
        WHERE a.y = 2020 AND b.y = 2021 AND a.t > 0""").fetchone()
    assert 1.02 < growth[0] < 1.15 and growth[1] > 0.05
    va = q1(db, """SELECT median(b.value_added_kyuan::DOUBLE / a.value_added_kyuan::DOUBLE)
                   FROM stats_enterprise_annual_2020 a JOIN stats_enterprise_annual_2021 b USING (uscc)
                   WHERE a.value_added_kyuan::DOUBLE > 0""")
    assert 1.02 < va < 1.15


def test_magnitudes(db):
    y = 2021
    _views(db, y)
    db.execute(f"""CREATE OR REPLACE TEMP VIEW tax AS SELECT uscc, sum(amount_yuan::DOUBLE) AS t FROM tax_payments_{y}
                   WHERE tax_code IN {COUNTED!r} AND ((left(paid_on, 4)::int = {y} AND deferred = 'false')
                         OR (deferred = 'true' AND left(belongs_to, 4)::int = {y})) GROUP BY 1""")
    db.execute(f"""CREATE OR REPLACE TEMP VIEW land AS SELECT holder_uscc AS uscc, sum(area_m2::DOUBLE) * 15 / 10000 AS mu
                   FROM parc WHERE land_use IN ('industrial', 'warehouse') AND year(dl) + 1 <= {y} GROUP BY 1""")
    med, below2, below5 = db.execute("""SELECT median(coalesce(t, 0) / 10000 / mu), avg((coalesce(t, 0) / 10000 / mu < 2)::int),
                                        avg((coalesce(t, 0) / 10000 / mu < 5)::int) FROM land LEFT JOIN tax USING (uscc)""").fetchone()
    assert 5 <= med <= 60
    assert 0.005 < below2 < below5 < 0.3
    va_tax, rev_va, lp, rd = db.execute(f"""SELECT median(value_added_kyuan::DOUBLE / 10 / (t / 10000)),
            median(revenue_kyuan::DOUBLE / value_added_kyuan::DOUBLE), median(value_added_kyuan::DOUBLE / 10 / avg_employees::DOUBLE),
            median(rd_expense_kyuan::DOUBLE / revenue_kyuan::DOUBLE)
            FROM stats_enterprise_annual_{y} JOIN tax USING (uscc) WHERE t > 0 AND value_added_kyuan::DOUBLE > 0""").fetchone()
    assert 4 <= va_tax <= 6.5 and 2 <= rev_va <= 6 and 12 <= lp <= 22 and 0.01 <= rd <= 0.05
    ok_energy = q1(db, f"""SELECT avg((energy_tce::DOUBLE >= k * 0.1229 / 1000)::int) FROM stats_enterprise_annual_{y}
                          JOIN (SELECT uscc, sum(electricity_kwh::DOUBLE) k FROM energy_monthly_{y} GROUP BY 1) USING (uscc)
                          WHERE energy_tce IS NOT NULL""")
    assert ok_energy > 0.85
    above_no_energy = q1(db, f"SELECT count(*) FROM stats_enterprise_annual_{y} WHERE above_scale = 'true' AND energy_tce IS NULL")
    assert above_no_energy == 0
    per_ent = q1(db, f"SELECT count(*) / count(DISTINCT uscc) FROM tax_payments_{y}")
    assert 30 <= per_ent <= 90    # monthly / quarterly records per tax type


# ------------------------------------------------------------------------------------------
# Province scale (slow; excluded from CI)
# ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_province_scale(tmp_path):
    s = generate(tmp_path / "p", scale="province", years=[2021], seed=7)
    assert 180_000 <= s["subjects"] <= 230_000
    assert 12_000_000 <= s["rows"]["2021/tax_payments"] <= 20_000_000
    assert s["rows"]["2021/energy_monthly"] >= 2_000_000
    con = duckdb.connect()
    n_counties = q1(con, f"SELECT count(DISTINCT county_code) FROM read_csv('{tmp_path}/p/2021/registry_enterprises.csv', all_varchar=true)")
    assert n_counties == 90
    lines = sum(1 for _ in open(tmp_path / "p" / "2021" / "tax_payments.csv", "rb")) - 1
    assert lines == s["rows"]["2021/tax_payments"]
