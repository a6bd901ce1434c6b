"""A small hand-built county (萧山区 330109) for the audit tests and demos.

Rows go straight into raw.* (the tables ingestion writes, orchestration/feeds/ddl.py), then a real
`dbt build` turns them into staging, intermediate, marts and audit models. One warehouse holds two
data years of the same enterprises (one dbt build serves every test):
- BROKEN_YEAR 2021: the breakers below, no audit finding;
- CLEAN_YEAR 2022: every town ordinary, with one audit finding (F's parcel area doubled).

Towns:
- 330109001 clean: 22 ordinary manufacturers, a landlord with a merged tenant and an approved
  separately evaluated tenant (R-SUBJ-2 valid: above-scale), a 3-year certificate, an individual
  sub-lessor (village_land_via_individual) with one occupant, and subject F (low tax, strong
  otherwise) whose parcel area an audit finding may double (R-AUDIT-4 → R-GRADE-2 D);
- 330109002 breakers: one subject per cross-department check, built to fail exactly that check;
- 330109003 land range: 20 ordinary subjects plus one far too large and one far too small.
`breakers=False` leaves towns 2 and 3 ordinary (the clean dataset).
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from orchestration import settings
from orchestration.feeds.ddl import ensure_schemas
from orchestration.synthetic.ids import make_person_id, make_uscc

YEAR = 2021
BROKEN_YEAR, CLEAN_YEAR = 2021, 2022
COUNTY = "330109"
TOWN_CLEAN, TOWN_BREAK, TOWN_RANGE = "330109001", "330109002", "330109003"
M2_PER_MU = 10000 / 15

# which enterprise breaks which check (keys of BREAKERS are check names of the cross suite)
BREAKERS = {
    "value_added_le_output": "B1",
    "tax_revenue_band": "B2",
    "energy_ge_electricity": "B3",
    "employees_when_value_added": "B4",
    "ledger_area_le_landlord_multiple": "B5",
    "separate_evaluation_approved": "B6",
    "certificate_valid_period": "B7",
    "land_area_le_town_max": "B8",
    "land_area_ge_town_min": "B9",
}


@dataclass
class Scenario:
    year: int = YEAR
    ids: dict[str, str] = field(default_factory=dict)     # label -> uscc / person id
    rows: dict[str, list[dict]] = field(default_factory=dict)
    _n: int = 0

    def uscc(self, label: str) -> str:
        if label not in self.ids:
            self._n += 1
            self.ids[label] = make_uscc(COUNTY, 10_000_000 + self._n * 7)
        return self.ids[label]

    def add(self, feed_name: str, **row) -> None:
        self.rows.setdefault(feed_name, []).append({"year": self.year, **row})

    def enterprise(self, label: str, town: str, *, area_mu: float | None = 15.0, output=100000.0,
                   value_added=25000.0, revenue=120000.0, energy_tce=500.0, employees=100,
                   above_scale=True, tax_yuan=5_000_000.0, kwh_month=100_000.0, strategic=False) -> str:
        u = self.uscc(label)
        self.add("registry_enterprises", uscc=u, name=f"测试企业{label}", county_code=COUNTY, town_code=town,
                 industry_code="3411", established_on=dt.date(2010, 1, 1), parent_uscc=None, status="存续",
                 strategic_emerging=strategic)
        if area_mu is not None:
            self.add("land_parcels", parcel_id=f"P-{label}", holder_uscc=u, land_use="industrial",
                     area_m2=round(area_mu * M2_PER_MU, 2), delivered_on=dt.date(2010, 3, 1),
                     construction_deadline=dt.date(2012, 12, 31), completed_on=dt.date(2012, 6, 30),
                     delay_cause="none", is_new_enterprise=False, early_evaluation=False)
        self.add("stats_enterprise_annual", uscc=u, above_scale=above_scale, output_value_kyuan=output,
                 value_added_kyuan=value_added, revenue_kyuan=revenue, rd_expense_kyuan=3000.0,
                 hightech_value_added_kyuan=None, energy_tce=energy_tce, avg_employees=employees)
        self.add("tax_payments", record_id=f"T-{label}", uscc=u, tax_code="10101",
                 belongs_to=dt.date(self.year, 3, 1), paid_on=dt.date(self.year, 4, 15), deferred=False,
                 amount_yuan=tax_yuan)
        for m in range(1, 13):
            self.add("energy_monthly", uscc=u, month=dt.date(self.year, m, 1), electricity_kwh=kwh_month)
        return u

    def ledger(self, record_id: str, town: str, occupant: str, landlord: str, arrangement: str, area_m2: float,
               *, separate=False, sublessor=None) -> None:
        self.add("land_ledger", record_id=record_id, town_code=town, occupant_id=occupant, landlord_id=landlord,
                 arrangement=arrangement, sublessor_person_id=sublessor, area_m2=area_m2,
                 separate_evaluation=separate, split_by_area=False, verified=True)

    def certificate(self, label: str, valid_from: dt.date, valid_to: dt.date) -> None:
        self.add("hightech_certificates", uscc=self.uscc(label), certificate_no=f"GR{label}",
                 valid_from=valid_from, valid_to=valid_to)


def build(breakers: bool = True, finding: bool = True, year: int = YEAR) -> Scenario:
    s = Scenario(year=year)
    # town 1 (clean)
    for i in range(22):
        s.enterprise(f"A{i:02d}", TOWN_CLEAN, area_mu=10 + i % 10)
    s.enterprise("L1", TOWN_CLEAN, area_mu=20)
    s.enterprise("S1", TOWN_CLEAN, area_mu=None, above_scale=True)        # approved separate evaluation
    s.enterprise("M1", TOWN_CLEAN, area_mu=None)                          # merged tenant of L1
    s.ledger("LG-S1", TOWN_CLEAN, s.uscc("S1"), s.uscc("L1"), "rented_plant", 3000.0, separate=True)
    s.ledger("LG-M1", TOWN_CLEAN, s.uscc("M1"), s.uscc("L1"), "rented_plant", 2000.0)
    s.certificate("A03", dt.date(2020, 1, 1), dt.date(2022, 12, 31))
    person = make_person_id("330109", "19700101", 12)
    s.ids["P1"] = person
    s.enterprise("V1", TOWN_CLEAN, area_mu=None)
    s.ledger("LG-V1", TOWN_CLEAN, s.uscc("V1"), "某村股份经济合作社", "village_land_via_individual", 8000.0,
             sublessor=person)
    # F: low tax, strong otherwise (tax_per_mu 50/15 = 3.3: R-GRADE-4, not D); verified area 30 亩 → 1.67 → D
    # (its 高新技术企业 certificate keeps it off a D by rank, R-GRADE-6, but never off R-GRADE-2)
    s.enterprise("F", TOWN_CLEAN, area_mu=15, value_added=99000.0, tax_yuan=500_000.0)
    s.certificate("F", dt.date(2020, 1, 1), dt.date(2022, 12, 31))
    if finding:
        s.add("audit_findings", subject_id=s.uscc("F"), feed="land_parcels", record_key="P-F", field="area_m2",
              reported_value=str(round(15 * M2_PER_MU, 2)), verified_value=str(round(30 * M2_PER_MU, 2)),
              verified_on=dt.date(year + 1, 3, 10))

    # town 2: one breaker per check (ordinary when breakers=False)
    b = breakers
    s.enterprise("B1", TOWN_BREAK, value_added=120000.0 if b else 25000.0)
    s.enterprise("B2", TOWN_BREAK, tax_yuan=100_000_000.0 if b else 5_000_000.0)
    s.enterprise("B3", TOWN_BREAK, energy_tce=10.0 if b else 500.0)
    s.enterprise("B4", TOWN_BREAK, employees=0 if b else 100)
    s.enterprise("B5", TOWN_BREAK, area_mu=10)
    s.enterprise("T5", TOWN_BREAK, area_mu=None)
    s.ledger("LG-T5", TOWN_BREAK, s.uscc("T5"), s.uscc("B5"), "rented_plant", 40000.0 if b else 4000.0)
    s.enterprise("B6", TOWN_BREAK, area_mu=15)
    s.enterprise("T6", TOWN_BREAK, area_mu=None, above_scale=not b)   # approval invalid when below-scale
    s.ledger("LG-T6", TOWN_BREAK, s.uscc("T6"), s.uscc("B6"), "rented_plant", 2000.0, separate=True)
    s.enterprise("B7", TOWN_BREAK)
    s.certificate("B7", dt.date(2021, 1, 1), dt.date(2026, 1, 1) if b else dt.date(2023, 12, 31))

    # town 3: land-area range
    for i in range(20):
        s.enterprise(f"C{i:02d}", TOWN_RANGE, area_mu=10 + i % 10)
    s.enterprise("B8", TOWN_RANGE, area_mu=5000 if b else 15)
    s.enterprise("B9", TOWN_RANGE, area_mu=0.5 if b else 15)
    return s


def write_raw(scenarios: list[Scenario], warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        ensure_schemas(con)
        for s in scenarios:
            for feed, rows in s.rows.items():
                df = pd.DataFrame(rows)
                df["_row_number"] = range(1, len(df) + 1)
                df["_delivery_id"] = f"scenario-{feed}-{s.year}"
                con.register("_rows", df)
                con.execute(f"delete from raw.{feed} where year = {s.year}")
                con.execute(f"insert into raw.{feed} by name select * from _rows")
                con.unregister("_rows")
    finally:
        con.close()


DBT_SELECT = ["+subject_evaluation", "+findings_applied", "+audit_base_records"]


def dbt_build(warehouse: Path, target_dir: Path, select: list[str] | None = None, full: bool = False) -> subprocess.CompletedProcess:
    """Real dbt (subprocess) into `warehouse`, with its own target and log paths."""
    env = {**os.environ, "MUJUN_WAREHOUSE": str(warehouse), "DBT_PROFILES_DIR": str(settings.DBT_PROFILES_DIR)}
    dbt = Path(sys.executable).parent / "mujun-dbt"
    args = [str(dbt), "build", "--target-path", str(target_dir), "--log-path", str(target_dir / "logs"),
            "--quiet"]
    if not full:
        args += ["--select", *(select or DBT_SELECT), "--exclude-resource-type", "test", "unit_test"]
    proc = subprocess.run(args, cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return proc


def build_warehouse(warehouse: Path, target_dir: Path) -> dict[int, Scenario]:
    """raw rows of both years, then one real dbt build; {year: scenario}."""
    scenarios = {BROKEN_YEAR: build(breakers=True, finding=False, year=BROKEN_YEAR),
                 CLEAN_YEAR: build(breakers=False, finding=True, year=CLEAN_YEAR)}
    write_raw(list(scenarios.values()), warehouse)
    dbt_build(warehouse, target_dir)
    return scenarios
