"""The rule index: for every rule id of rules.md, the code that implements it and the tests that test it.

The rule ids and texts are copied into the repository (``dbt_project/rules.csv``: CI has the repository
only, not the spec folder beside it); ``python -m orchestration.rule_index --copy PATH/rules.md``
rewrites the copy and tests/test_rule_index.py checks that it matches rules.md when the spec is there.

Where a rule is implemented and tested is said once, next to the code:

* every dbt model names the rules it implements in its yml, ``config: {meta: {rules: [R-TAX-1]}}``
  (``rules: []`` for a model that implements none: a leader list of rules.md §6, which has no ids);
  seeds may do the same (the reference seeds of R-REF-1);
* every dbt unit test names the rules it tests the same way; they must be rules of its model;
* the few rules implemented or tested in Python (the GX audit) are listed in ``PYTHON_IMPLEMENTATIONS``
  and ``PYTHON_TESTS`` below, as ``path::name`` that must exist.

``python -m orchestration.rule_index`` prints the index (rule → models → tests) from target/manifest.json.
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES_CSV = ROOT / "dbt_project" / "rules.csv"
MANIFEST = ROOT / "target" / "manifest.json"
RULE_ID_RE = re.compile(r"^R-[A-Z]+-\d+$")

# Rules whose logic is Python, not dbt: rule id -> "file::top-level name".
PYTHON_IMPLEMENTATIONS: dict[str, list[str]] = {
    "R-AUDIT-1": ["orchestration/audit/sampling.py::draw_sample"],
    "R-AUDIT-2": ["orchestration/audit/run.py::run_audit", "orchestration/audit/batches.py::population_batches"],
    "R-AUDIT-3": ["orchestration/audit/suites.py::CROSS_CHECKS"],
}
# Rules tested by pytest rather than by a dbt unit test (seeds, the GX audit): rule id -> "file::test".
PYTHON_TESTS: dict[str, list[str]] = {
    "R-REF-1": ["tests/test_staging.py::test_seed_counties", "tests/test_staging.py::test_seed_tax_codes",
                "tests/test_staging.py::test_seed_industry_divisions_and_sectors"],
    "R-AUDIT-1": ["tests/test_audit.py::test_sample_reproducible_and_stratified"],
    "R-AUDIT-2": ["tests/test_audit.py::test_clean_dataset_passes",
                  "tests/test_audit.py::test_structural_failure_blocks_publication"],
    "R-AUDIT-3": ["tests/test_audit.py::test_each_cross_check_fails_on_its_breaker"],
}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    section: str
    text: str


@dataclass
class Entry:
    rule: Rule
    nodes: list[str] = field(default_factory=list)        # models and seeds implementing it
    unit_tests: list[str] = field(default_factory=list)   # dbt unit tests testing it
    python: list[str] = field(default_factory=list)       # PYTHON_IMPLEMENTATIONS
    pytests: list[str] = field(default_factory=list)      # PYTHON_TESTS


# ---------------------------------------------------------------------------------------- rules
def parse_rules_md(text: str) -> list[Rule]:
    """Every row of the rule tables of rules.md (tables headed `| id | rule |`), with its section
    heading. The readings of §8 (`| topic | reading |`) refine rules but define none."""
    rules, section, in_rule_table = [], "", False
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not line.startswith("|"):
            in_rule_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:2] == ["id", "rule"]:
            in_rule_table = True
        elif in_rule_table and RULE_ID_RE.match(cells[0]):
            rules.append(Rule(cells[0], section, "|".join(cells[1:]).strip()))
    return rules


def load_rules(path: Path = RULES_CSV) -> list[Rule]:
    with open(path, encoding="utf-8", newline="") as f:
        return [Rule(r["rule_id"], r["section"], r["rule"]) for r in csv.DictReader(f)]


def write_rules(rules: list[Rule], path: Path = RULES_CSV) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["rule_id", "section", "rule"])
        w.writerows([r.rule_id, r.section, r.text] for r in rules)


# ------------------------------------------------------------------------------------ manifest
def _rules_of(node: dict) -> list | None:
    """The node's `meta.rules` (None when the key is missing)."""
    meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
    return meta.get("rules")


def _python_name_exists(ref: str) -> bool:
    path, _, name = ref.partition("::")
    file = ROOT / path
    if not file.is_file():
        return False
    tree = ast.parse(file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def build_index(manifest: dict, rules: list[Rule]) -> tuple[dict[str, Entry], list[str]]:
    """The index and the list of problems (empty when every rule is implemented and tested and every
    model and unit test names its rules)."""
    known = {r.rule_id for r in rules}
    index = {r.rule_id: Entry(r) for r in rules}
    problems: list[str] = []
    model_rules: dict[str, set[str]] = {}

    def check_ids(what: str, ids) -> list[str]:
        if not isinstance(ids, list):
            problems.append(f"{what}: meta.rules must be a list of rule ids, got {ids!r}")
            return []
        for i in ids:
            if i not in known:
                problems.append(f"{what}: names {i!r}, which is no rule id of rules.md (dbt_project/rules.csv)")
        return [i for i in ids if i in known]

    for node in manifest["nodes"].values():
        kind, name = node["resource_type"], node["name"]
        if kind not in ("model", "seed"):
            continue
        ids = _rules_of(node)
        if ids is None:
            if kind == "model":
                problems.append(f"model {name} ({node['original_file_path']}): no meta.rules in its yml "
                                "(name the rule ids it implements, or [] if none)")
            continue
        ids = check_ids(f"{kind} {name}", ids)
        model_rules[name] = set(ids)
        for i in ids:
            index[i].nodes.append(name)

    for test in manifest.get("unit_tests", {}).values():
        name, model = test["name"], test["model"]
        ids = _rules_of(test)
        if ids is None:
            problems.append(f"unit test {name} (model {model}): no meta.rules (the rule ids it tests, or [])")
            continue
        for i in check_ids(f"unit test {name}", ids):
            if i not in model_rules.get(model, set()):
                problems.append(f"unit test {name}: tests {i}, but its model {model} does not name {i} in meta.rules")
            index[i].unit_tests.append(name)

    for table, attr in ((PYTHON_IMPLEMENTATIONS, "python"), (PYTHON_TESTS, "pytests")):
        for i, refs in table.items():
            if i not in known:
                problems.append(f"orchestration/rule_index.py: {i!r} is no rule id of rules.md")
                continue
            for ref in refs:
                if not _python_name_exists(ref):
                    problems.append(f"orchestration/rule_index.py: {ref} (for {i}) does not exist")
                getattr(index[i], attr).append(ref)

    for i, e in index.items():
        if not e.nodes and not e.python:
            problems.append(f"{i}: no model implements it (add it to the meta.rules of the model that does)")
        if not e.unit_tests and not e.pytests:
            problems.append(f"{i}: no dbt unit test tests it (write one, with meta.rules: [{i}])")
    return index, problems


def render(index: dict[str, Entry]) -> str:
    lines = ["| rule | implemented by | tested by |", "|---|---|---|"]
    for i, e in index.items():
        done_by = sorted(e.nodes) + e.python
        tested_by = sorted(e.unit_tests) + e.pytests
        lines.append(f"| {i} | {', '.join(done_by) or '-'} | {', '.join(tested_by) or '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m orchestration.rule_index", description=__doc__.split("\n")[0])
    p.add_argument("--copy", metavar="RULES_MD", type=Path,
                   help="rewrite dbt_project/rules.csv from this rules.md, then stop")
    p.add_argument("--manifest", type=Path, default=MANIFEST, help="dbt manifest (default: target/manifest.json)")
    args = p.parse_args(argv)
    if args.copy:
        rules = parse_rules_md(args.copy.read_text(encoding="utf-8"))
        write_rules(rules)
        print(f"wrote {len(rules)} rules to {RULES_CSV}", file=sys.stderr)
        return 0
    if not args.manifest.exists():
        print(f"{args.manifest} does not exist: run `mujun prepare` first", file=sys.stderr)
        return 2
    index, problems = build_index(json.loads(args.manifest.read_text(encoding="utf-8")), load_rules())
    print(render(index))
    for m in problems:
        print(f"problem: {m}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
