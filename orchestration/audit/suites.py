"""The GX suites of the random audit, defined here and kept as JSON files in git.

`python -m orchestration.audit.suites` writes them into the GX file-context project
(expectations/gx/expectations/<suite>.json); the runner loads them back from that project, and a
test checks that the files and these definitions agree.

Every expectation carries the rule it enforces in `meta` ({"rule_id": ..., "check": ...}); every
suite carries `critical` in its meta: a failed critical suite blocks publication.

- structural_<feed>: whole population of a raw feed (R-AUDIT-2), validated per data year in DuckDB
  (GX's SQL engine, gx_duckdb.py): shapes from the feed contract (not-null, id regexes, enum sets,
  ranges), the key unique in the year, and — for required feeds — at least `min_rows` rows (a suite
  that passes on an empty delivery is a defect). Critical.
- marts_subject_evaluation: the public mart per year: one row per subject, person ids masked,
  grade / kind / exclusion vocabularies, at least `min_rows` rows. Critical.
- cross_department: the sampled subjects' base records across departments (R-AUDIT-2/3). Not
  critical: its failures are what the auditors verify on site (worklists), not pipeline errors.
  Policy numbers are GX `$PARAMETER`s filled from reference.audit_parameters at run time.

Failing records name the subject: every population batch carries `subject` (USCC or masked person
id), `enterprise_name`, `town` and `file_row` (the row of the delivered file), reported by GX as the
unexpected index columns.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings
from orchestration.feeds import contract as fc
from orchestration.feeds.idchecks import PERSON_REGEX, USCC_REGEX

GX_DIR = "gx"
SUITES_SUBDIR = Path(GX_DIR) / "expectations"

USCC_RE = f"^{USCC_REGEX}$"
PERSON_RE = f"^{PERSON_REGEX}$"
MASKED_PERSON_RE = r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$"
SHAPES = {
    fc.USCC: USCC_RE,
    fc.PERSON: PERSON_RE,
    fc.SUBJECT: f"(?:{USCC_RE})|(?:{PERSON_RE})",
    fc.COUNTY: r"^[0-9]{6}$",
    fc.TOWN: r"^[0-9]{9}$",
    fc.INDUSTRY: r"^[0-9]{4}$",
    fc.TAX_CODE: r"^[0-9]{5}$",
}

# Feeds whose whole population gets the structural suite: the ones the audit reads.
STRUCTURAL_FEEDS = (
    "registry_enterprises",
    "stats_enterprise_annual",
    "tax_payments",
    "land_parcels",
    "land_ledger",
    "energy_monthly",
    "hightech_certificates",
    "audit_findings",
)

CROSS_SUITE = "cross_department"
MARTS_SUITE = "marts_subject_evaluation"


@dataclass(frozen=True)
class SuiteInfo:
    name: str
    critical: bool
    scope: str          # population | sample
    relation: str       # what the frame is read from
    asset: str          # audit table the Dagster check is attached to


def structural_suite_name(feed: str) -> str:
    return f"structural_{feed}"


def suite_infos() -> list[SuiteInfo]:
    infos = [
        SuiteInfo(structural_suite_name(f), True, "population", f"raw.{f}", "suite_results")
        for f in STRUCTURAL_FEEDS
    ]
    infos.append(SuiteInfo(MARTS_SUITE, True, "population", "marts.subject_evaluation", "suite_results"))
    infos.append(SuiteInfo(CROSS_SUITE, False, "sample", "sampled base records", "check_results"))
    return infos


def _meta(rule_id: str, check: str, **extra) -> dict:
    return {"rule_id": rule_id, "check": check, **extra}


def _structural_expectations(feed: fc.Feed) -> list[dict]:
    """Plain dicts (type + kwargs + meta) so that this module imports without GX."""
    out: list[dict] = [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "year"},
         "meta": _meta("R-AUDIT-2", "year_not_null")},
    ]
    for c in feed.columns:
        if not c.nullable:
            out.append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c.name},
                        "meta": _meta("R-AUDIT-2", f"{c.name}_not_null")})
        if c.kind in SHAPES:
            out.append({"type": "expect_column_values_to_match_regex",
                        "kwargs": {"column": c.name, "regex": SHAPES[c.kind]},
                        "meta": _meta("R-AUDIT-2", f"{c.name}_shape", kind=c.kind)})
        if c.enum and not c.enum_open:
            out.append({"type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": c.name, "value_set": list(c.enum)},
                        "meta": _meta("R-AUDIT-2", f"{c.name}_in_set")})
        if c.positive:
            out.append({"type": "expect_column_values_to_be_between",
                        "kwargs": {"column": c.name, "min_value": 0, "strict_min": True},
                        "meta": _meta("R-AUDIT-2", f"{c.name}_positive")})
        elif c.min_value is not None:
            out.append({"type": "expect_column_values_to_be_between",
                        "kwargs": {"column": c.name, "min_value": c.min_value},
                        "meta": _meta("R-AUDIT-2", f"{c.name}_min")})
    if feed.key:
        out.append(_unique_rows(feed.key, "R-AUDIT-2", "key_unique_per_year"))
    if feed.required:
        out.append(_min_rows("R-AUDIT-2"))
    return out


def _unique_rows(columns, rule_id: str, check: str) -> dict:
    """Key uniqueness as the duplicated keys themselves (one batch = one year). GX's own compound
    uniqueness joins the whole table back onto its group counts once per metric (36 s on 15 M rows).
    The keys are first grouped by their hash (a fixed-width value: half the CPU of grouping 15 M
    distinct texts), and only the rows whose hash repeats are grouped by the key itself: every
    duplicated key has a repeated hash, so the result is exactly the plain GROUP BY's (a collision
    only costs its rows a second look). first_file_row names the record (the audit adds subject,
    name, town)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return {"type": "unexpected_rows_expectation",
            "kwargs": {"unexpected_rows_query":
                       f"select {cols}, count(*) as occurrences, min(file_row) as first_file_row "
                       f"from {{batch}} where hash({cols}) in "
                       f"(select hash({cols}) from {{batch}} group by 1 having count(*) > 1) "
                       f"group by {cols} having count(*) > 1"},
            "meta": _meta(rule_id, check, key=list(columns), note=f"({', '.join(columns)}) is unique in the year")}


def _min_rows(rule_id: str) -> dict:
    """An empty or near-empty year fails: min_rows comes from the audit parameters at run time
    (max(suite_min_rows, suite_min_share_of_previous_year x the rows of Y-1))."""
    return {"type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": _p("min_rows")},
            "meta": _meta(rule_id, "rows_not_near_empty")}


def _marts_expectations() -> list[dict]:
    return [
        _unique_rows(["subject_key"], "R-AUDIT-2", "year_subject_unique"),
        _min_rows("R-AUDIT-2"),
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "subject_id"},
         "meta": _meta("R-AUDIT-2", "subject_id_not_null")},
        {"type": "expect_column_values_to_match_regex",
         "kwargs": {"column": "subject_id", "regex": f"(?:{USCC_RE})|(?:{MASKED_PERSON_RE})"},
         "meta": _meta("R-AUDIT-2", "subject_id_masked", note="marts.md: person ids masked")},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "subject_kind", "value_set": ["enterprise", "individual"]},
         "meta": _meta("R-AUDIT-2", "subject_kind_in_set")},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "grade", "value_set": list(fc.GRADES)},
         "meta": _meta("R-GRADE-1", "grade_in_set")},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "excluded_reason", "value_set": ["R-SUBJ-1", "R-SUBJ-6", "R-LAND-5", "R-LAND-6"]},
         "meta": _meta("R-AUDIT-2", "excluded_reason_in_set")},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "area_mu", "min_value": 0},
         "meta": _meta("R-LAND-6", "area_mu_not_negative")},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "town_code", "regex": SHAPES[fc.TOWN]},
         "meta": _meta("R-AUDIT-1", "town_code_shape", note="the sample is stratified by town")},
    ]


def _p(name: str) -> dict:
    return {"$PARAMETER": name}


# Cross-department checks (R-AUDIT-3). `observed` names the column reported to auditors; `label_zh`
# is the 核查项目 of the worklist; `field` the feed column to verify on site (audit_findings.field).
CROSS_CHECKS: list[dict] = [
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "output_industry_wan", "column_B": "value_added_industry_wan",
                "or_equal": True, "ignore_row_if": "either_value_is_missing"},
     "meta": _meta("R-AUDIT-3", "value_added_le_output", observed="value_added_industry_wan",
                   label_zh="工业增加值不大于工业总产值(万元)", field="value_added_kyuan",
                   source_feed="stats_enterprise_annual")},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "tax_revenue_ratio", "min_value": _p("tax_revenue_ratio_min"),
                "max_value": _p("tax_revenue_ratio_max")},
     "meta": _meta("R-AUDIT-3", "tax_revenue_band", observed="tax_revenue_ratio",
                   label_zh="税收/营业收入在合理区间", field="revenue_kyuan",
                   source_feed="stats_enterprise_annual", rules=["R-TAX-1"])},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "energy_tce", "column_B": "electricity_tce",
                "or_equal": True, "ignore_row_if": "either_value_is_missing"},
     "meta": _meta("R-AUDIT-3", "energy_ge_electricity", observed="energy_tce",
                   label_zh="综合能耗不低于用电折标煤(吨标煤)", field="energy_tce",
                   source_feed="stats_enterprise_annual", rules=["R-UNIT-3"])},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "employees_if_value_added", "min_value": 0, "strict_min": True},
     "meta": _meta("R-AUDIT-3", "employees_when_value_added", observed="employees_if_value_added",
                   label_zh="有增加值的企业从业人数大于0", field="avg_employees",
                   source_feed="stats_enterprise_annual")},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "ledger_to_landlord_ratio", "min_value": 0, "max_value": _p("ledger_area_multiple")},
     "meta": _meta("R-AUDIT-3", "ledger_area_le_landlord_multiple", observed="ledger_to_landlord_ratio",
                   label_zh="出租方台账出租面积不超过其登记用地面积的倍数", field="area_m2",
                   source_feed="land_ledger")},
    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "separate_evaluation_eligible", "value_set": [True]},
     "meta": _meta("R-AUDIT-3", "separate_evaluation_approved", observed="separate_evaluation_eligible",
                   label_zh="单独评价核准对象须为规上、高新技术或战略性新兴产业企业",
                   field="separate_evaluation", source_feed="land_ledger", rules=["R-SUBJ-2"])},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "certificate_years", "min_value": 0, "max_value": _p("certificate_max_years")},
     "meta": _meta("R-AUDIT-3", "certificate_valid_period", observed="certificate_years",
                   label_zh="高新技术企业证书有效期合理", field="valid_to",
                   source_feed="hightech_certificates", rules=["R-HT-1"])},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "area_mu", "column_B": "town_area_min_mu",
                "or_equal": True, "ignore_row_if": "either_value_is_missing"},
     "meta": _meta("R-AUDIT-3", "land_area_ge_town_min", observed="area_mu",
                   label_zh="用地面积不低于镇街合理区间下限(亩)", field="area_m2",
                   source_feed="land_parcels", rules=["R-LAND-6"])},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "town_area_max_mu", "column_B": "area_mu",
                "or_equal": True, "ignore_row_if": "either_value_is_missing"},
     "meta": _meta("R-AUDIT-3", "land_area_le_town_max", observed="area_mu",
                   label_zh="用地面积不高于镇街合理区间上限(亩)", field="area_m2",
                   source_feed="land_parcels", rules=["R-LAND-6"])},
]


def suite_definitions() -> dict[str, dict]:
    """suite name -> {"meta": ..., "expectations": [dict]}"""
    infos = {i.name: i for i in suite_infos()}
    defs: dict[str, dict] = {}
    for feed_name in STRUCTURAL_FEEDS:
        name = structural_suite_name(feed_name)
        defs[name] = {"expectations": _structural_expectations(fc.feed(feed_name))}
    defs[MARTS_SUITE] = {"expectations": _marts_expectations()}
    defs[CROSS_SUITE] = {"expectations": CROSS_CHECKS}
    for name, d in defs.items():
        i = infos[name]
        d["meta"] = {"critical": i.critical, "scope": i.scope, "relation": i.relation,
                     "rule_id": "R-AUDIT-3" if i.scope == "sample" else "R-AUDIT-2"}
    return defs


def project_root() -> Path:
    return settings.EXPECTATIONS_DIR


def build_suite(name: str, definition: dict):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = gx.ExpectationSuite(name=name, meta=dict(definition["meta"]))
    for e in definition["expectations"]:
        cfg = ExpectationConfiguration(type=e["type"], kwargs=dict(e["kwargs"]), meta=dict(e["meta"]))
        suite.add_expectation_configuration(cfg)
    return suite


def write_suites(root: Path | None = None) -> list[Path]:
    """(Re)write every suite as JSON into the file-context project under `root`."""
    import great_expectations as gx

    root = Path(root or project_root())
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    written = []
    for name, definition in suite_definitions().items():
        suite = build_suite(name, definition)
        try:
            existing = ctx.suites.get(name)
            suite.id = existing.id  # keep ids stable: the files change only when a check changes
            ctx.suites.delete(name)
        except Exception:  # noqa: BLE001 - not there yet
            pass
        ctx.suites.add(suite)
        written.append(root / SUITES_SUBDIR / f"{name}.json")
    return written


def load_suite_json(name: str, root: Path | None = None) -> dict:
    root = Path(root or project_root())
    return json.loads((root / SUITES_SUBDIR / f"{name}.json").read_text(encoding="utf-8"))


def _num(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, dict):
        return {k: _num(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_num(x) for x in v]
    return v


def normalised(expectations: list[dict]) -> list[tuple]:
    """Comparable form of a suite's expectations (type, kwargs, meta) for drift tests (GX stores 0 as 0.0)."""
    out = []
    for e in expectations:
        out.append((e["type"], json.dumps(_num(e.get("kwargs", {})), sort_keys=True),
                    json.dumps(e.get("meta", {}), sort_keys=True, ensure_ascii=False)))
    return sorted(out)


if __name__ == "__main__":
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    for p in write_suites():
        print(p)
