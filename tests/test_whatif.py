"""`mujun whatif` (issue #12): re-grade one year under replacement policy seeds on a scratch copy.

The runs are real: the session's county run (conftest.county_run) gives the pipeline warehouse, and
each what-if copies it and runs `dbt build` on the copy. Bad policy folders are refused before
anything is copied or run.
"""
from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import whatif

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHIPPED = REPO / "seeds" / "policy"


def _mujun(*args, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJUN_DATA_DIR": str(data_dir)}
    for k in ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    return subprocess.run([str(BIN / "mujun"), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _weights_text(**changes: int) -> str:
    """The shipped weights with some (category/indicator → weight) changed."""
    lines = (SHIPPED / "policy_indicator_weights.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        key = f"{cells[0]}/{cells[1]}"
        if key in changes:
            cells[2] = str(changes[key])
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- bad input (no run)
@pytest.mark.parametrize("name, text, expected", [
    ("policy_weights.csv", "a,b\n1,2\n", ["policy_weights.csv", "unknown policy file"]),
    ("policy_indicator_weights.csv",
     "category,indicator,weight,rule_id,valid_from_year,valid_to_year\nservices,tax_per_mu,50,R,,\n",
     ["policy_indicator_weights.csv", "missing column 'scoring_method'"]),
    ("policy_indicator_weights.csv",
     _weights_text(**{"industrial_below/tax_per_mu": 40}),
     ["policy_indicator_weights.csv, rows 7, 8", "industrial_below", "2021", "sum to 90", "needs 100"]),
    ("policy_scoring.csv",
     (SHIPPED / "policy_scoring.csv").read_text(encoding="utf-8").replace("score_cap,2,", "score_cap,two,"),
     ["policy_scoring.csv, row 1", "'value'", "'two'", "is not a number"]),
    ("policy_grade_thresholds.csv",
     (SHIPPED / "policy_grade_thresholds.csv").read_text(encoding="utf-8").replace(
         "tax_per_mu_floor_ab,5,万元/亩,R-GRADE-4,[S2] §七 亩均税收低于5万元原则上不得列入A、B类,,",
         "tax_per_mu_floor_ab,5,万元/亩,R-GRADE-4,note,2022.5,"),
     ["policy_grade_thresholds.csv, row 2", "'valid_from_year'", "not a whole number"]),
])
def test_bad_policy_folder_is_refused_naming_file_row_problem(tmp_path, name, text, expected):
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(whatif.PolicyFolderError) as exc:
        whatif.validate_policy_folder(folder, 2021)
    message = str(exc.value)
    for part in expected:
        assert part in message, message


def test_bad_folder_refused_by_the_cli_before_anything_runs(tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "policy_indicator_weights.csv").write_text(_weights_text(**{"services/tax_per_mu": 60}),
                                                          encoding="utf-8")
    data = tmp_path / "data"
    proc = _mujun("whatif", "--policy", str(folder), "--year", "2021", "--data-dir", str(data), data_dir=data)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "nothing was run" in proc.stderr and "Traceback" not in proc.stderr
    assert "services, year 2021): weights sum to 110" in proc.stderr
    assert not (data / "whatif").exists()      # no scratch copy was even started


def test_the_shipped_seeds_pass_validation(tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    for f in SHIPPED.glob("*.csv"):
        if not f.name.startswith("publication"):
            (folder / f.name).write_bytes(f.read_bytes())
    assert len(whatif.validate_policy_folder(folder, 2021)) >= 8


# --------------------------------------------------------------------------- real what-ifs
@pytest.fixture(scope="module")
def pipeline(county_run) -> dict:
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    return county_run


def test_unchanged_policy_reports_zero_moves_and_leaves_the_pipeline_files_alone(pipeline, tmp_path):
    folder = tmp_path / "same"
    folder.mkdir()
    # policy_scoring rebuilds from the land rules on: it proves the year window (Y-1 feeds Y) is complete
    for name in ("policy_indicator_weights.csv", "policy_grade_cuts.csv", "policy_bonuses.csv", "policy_scoring.csv"):
        (folder / name).write_bytes((SHIPPED / name).read_bytes())
    before = {p: _sha(p) for p in (pipeline["warehouse"], pipeline["published"])}
    out = tmp_path / "out"
    proc = _mujun("whatif", "--policy", str(folder), "--year", "2021", "--out", str(out),
                  "--data-dir", str(pipeline["data_dir"]), data_dir=pipeline["data_dir"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "grade changed: 0;  leader-list place changed: 0" in proc.stdout
    assert _read(out / "moved_subjects.csv") == []
    transitions = _read(out / "transitions.csv")
    assert transitions and all(t["from_grade"] == t["to_grade"] for t in transitions)
    assert sum(int(t["subjects"]) for t in transitions) > 1000
    assert (out / "transitions.xlsx").stat().st_size > 0
    assert {p: _sha(p) for p in before} == before          # pipeline warehouse and published file untouched
    assert not list((pipeline["data_dir"] / "whatif").rglob("*.duckdb"))   # scratch copy removed


def test_changed_weights_move_subjects_with_their_reasons(pipeline, tmp_path):
    folder = tmp_path / "heavier_tax"
    folder.mkdir()
    (folder / "policy_indicator_weights.csv").write_text(
        _weights_text(**{"industrial_above/tax_per_mu": 40, "industrial_above/energy_productivity": 10}),
        encoding="utf-8")
    out = tmp_path / "out"
    proc = _mujun("whatif", "--policy", str(folder), "--year", "2021", "--out", str(out),
                  "--data-dir", str(pipeline["data_dir"]), data_dir=pipeline["data_dir"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    moved = _read(out / "moved_subjects.csv")
    transitions = _read(out / "transitions.csv")
    off_diagonal = sum(int(t["subjects"]) for t in transitions if t["from_grade"] != t["to_grade"])
    grade_moves = [m for m in moved if m["old_grade"] != m["new_grade"]]
    assert off_diagonal == len(grade_moves) > 0
    # only industrial_above weights changed: nobody else moves grade
    assert {m["category"] for m in grade_moves} == {"industrial_above"}
    assert all("tax_per_mu" in m["moved_by"] or "rank" in m["moved_by"] or "others" in m["moved_by"]
               for m in grade_moves)
    assert all(m["old_total_score"] != m["new_total_score"] for m in grade_moves if "tax_per_mu" in m["moved_by"])
    assert f"grade changed: {len(grade_moves)}" in proc.stdout
