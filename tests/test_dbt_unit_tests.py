"""The dbt unit tests: left out of a production `mujun run` (they check the models' SQL on fixed
fixture rows, so no delivery can change their result), run by `mujun run --unit-tests` and here.

Real: the session's county run (tests/conftest.py `county_run`) and dbt's own run_results.json; every
unit test then runs with real dbt against a copy of that run's warehouse (dbt reads the column
types of the inputs a fixture leaves out from the built relations)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration import settings

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _unit_tests_in(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


def _dbt(args: list[str], tmp: Path, warehouse: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJUN_WAREHOUSE": str(warehouse), "MUJUN_DBT_TEMP_DIR": str(tmp / "spill"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run([str(BIN / "mujun-dbt"), *args, "--project-dir", str(settings.DBT_PROJECT_DIR),
                           "--profiles-dir", str(settings.DBT_PROFILES_DIR), "--target-path", str(tmp / "target"),
                           "--log-path", str(tmp / "logs")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def test_a_run_leaves_the_unit_tests_out(county_run):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    assert "unit tests left out: --unit-tests runs them" in county_run["stdout"]
    run_results = county_run["data_dir"] / "dbt" / "target" / "run_results.json"
    built_models = [u for u in json.loads(run_results.read_text(encoding="utf-8"))["results"]
                    if u["unique_id"].startswith("model.")]
    assert built_models and not _unit_tests_in(run_results)


def test_every_unit_test_passes(county_run, dbt_manifest, tmp_path):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(county_run["warehouse"], warehouse)
    proc = _dbt(["test", "--select", "test_type:unit"], tmp_path, warehouse)
    assert proc.returncode == 0, proc.stdout[-4000:]
    declared = set(json.loads(dbt_manifest.read_text(encoding="utf-8"))["unit_tests"])
    ran = _unit_tests_in(tmp_path / "target" / "run_results.json")
    assert len(declared) > 20 and set(ran) == declared
    assert set(ran.values()) == {"pass"}, {k: v for k, v in ran.items() if v != "pass"}
