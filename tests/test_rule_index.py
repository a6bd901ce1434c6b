"""The rule index (orchestration/rule_index.py): every rule id of rules.md has an implementing model
and a test, and every model and dbt unit test names its rules with ids that exist.

Reads target/manifest.json (`mujun prepare`) and the in-repo copy of the rule ids, dbt_project/rules.csv;
a second test checks that copy against ../shared/spec/rules.md when the spec folder is there.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from orchestration import rule_index as RI

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO.parent / "shared" / "spec" / "rules.md"
if not SPEC.exists():                         # a worktree under /work/wt/<name>: the spec is two levels up
    SPEC = REPO.parent.parent / "shared" / "spec" / "rules.md"


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not RI.MANIFEST.exists():
        pytest.fail(f"{RI.MANIFEST} is missing: run `mujun prepare` first")
    return json.loads(RI.MANIFEST.read_text(encoding="utf-8"))


def test_every_rule_is_implemented_and_tested_and_every_model_names_its_rules(manifest):
    index, problems = RI.build_index(manifest, RI.load_rules())
    assert not problems, "\n".join(problems)
    assert len(index) == len(RI.load_rules()) > 40


def _model(manifest: dict, name: str) -> dict:
    return next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == name)


def _unit_test(manifest: dict, name: str) -> dict:
    return next(t for t in manifest["unit_tests"].values() if t["name"] == name)


def test_a_gap_in_the_index_is_reported(manifest):
    """Each kind of gap the index must catch, made in a copy of the real manifest."""
    rules = RI.load_rules()

    def problems_after(change) -> list[str]:
        m = copy.deepcopy(manifest)
        change(m)
        return RI.build_index(m, rules)[1]

    def drop_model_meta(m):
        _model(m, "int_grades")["config"]["meta"].pop("rules")
        _model(m, "int_grades").get("meta", {}).pop("rules", None)
    assert any("model int_grades" in p and "no meta.rules" in p for p in problems_after(drop_model_meta))

    def unknown_id(m):
        _model(m, "int_total_scores")["config"]["meta"]["rules"] = ["R-BONUS-1", "R-BONUS-9"]
    assert any("'R-BONUS-9'" in p for p in problems_after(unknown_id))

    def no_implementer(m):                    # int_enterprise_tax is the only model of R-TAX-1
        _model(m, "int_enterprise_tax")["config"]["meta"]["rules"] = ["R-TAX-2"]
    got = problems_after(no_implementer)
    assert any(p.startswith("R-TAX-1: no model implements it") for p in got), got

    def no_unit_test(m):                      # ut_int_grades__r_grade_1_to_7 is the only test of R-GRADE-5
        _unit_test(m, "ut_int_grades__r_grade_1_to_7")["config"]["meta"]["rules"] = ["R-GRADE-1"]
    assert any(p.startswith("R-GRADE-5: no dbt unit test tests it") for p in problems_after(no_unit_test))

    def claims_a_rule_of_another_model(m):
        _unit_test(m, "ut_int_enterprise_tax__r_tax_1_r_tax_2")["config"]["meta"]["rules"] = ["R-TAX-1", "R-GRADE-1"]
    assert any("its model int_enterprise_tax does not name R-GRADE-1" in p
               for p in problems_after(claims_a_rule_of_another_model))


def test_python_references_of_the_index_exist(monkeypatch, manifest):
    monkeypatch.setitem(RI.PYTHON_TESTS, "R-AUDIT-1", ["tests/test_audit.py::test_that_does_not_exist"])
    problems = RI.build_index(manifest, RI.load_rules())[1]
    assert any("test_that_does_not_exist" in p for p in problems)


@pytest.mark.skipif(not SPEC.exists(), reason="the spec folder (shared/spec/rules.md) is not beside the repository")
def test_in_repo_copy_matches_rules_md():
    spec = RI.parse_rules_md(SPEC.read_text(encoding="utf-8"))
    assert len(spec) > 40
    assert RI.load_rules() == spec, ("dbt_project/rules.csv differs from rules.md: run "
                                     f"`python -m orchestration.rule_index --copy {SPEC}`")


def test_rules_md_parser_reads_only_rule_tables():
    text = ("## 1. Units\n\n| id | rule |\n|---|---|\n| R-UNIT-1 | 1 亩 = 10000/15 m². |\n\n"
            "| indicator | formula |\n|---|---|\n| R-NOT-1 | a formula row |\n\n"
            "## 8. Precise readings\n\n| topic | reading |\n|---|---|\n| R-UNIT-1 | a reading |\n")
    assert RI.parse_rules_md(text) == [RI.Rule("R-UNIT-1", "1. Units", "1 亩 = 10000/15 m².")]
