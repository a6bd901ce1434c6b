"""The dbt unit tests: left out of a production `mujun run` (they check the models' SQL on fixed
fixture rows, so no delivery can change their result), run by `mujun run --unit-tests` and here.

Real: the session's county run (tests/conftest.py `county_run`), then `mujun run --only evaluate
--unit-tests` on a copy of its data dir; dbt's own run_results.json says what ran."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUJUN = str(Path(sys.executable).parent / "mujun")


def _unit_tests_in(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


def test_a_run_leaves_the_unit_tests_out_and_unit_tests_runs_every_one(county_run, dbt_manifest, tmp_path):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    assert "unit tests left out: --unit-tests runs them" in county_run["stdout"]
    data = tmp_path / "data"
    shutil.copytree(county_run["data_dir"], data, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    run_results = data / "dbt" / "target" / "run_results.json"
    built_models = [u for u in json.loads(run_results.read_text(encoding="utf-8"))["results"]
                    if u["unique_id"].startswith("model.")]
    assert built_models and not _unit_tests_in(run_results)   # the county run's own build

    env = {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    proc = subprocess.run([MUJUN, "run", "--data-dir", str(data), "--only", "evaluate", "--unit-tests"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "unit tests left out" not in proc.stdout
    declared = set(json.loads(dbt_manifest.read_text(encoding="utf-8"))["unit_tests"])
    ran = _unit_tests_in(run_results)
    assert len(declared) > 20 and set(ran) == declared
    assert set(ran.values()) == {"pass"}, {k: v for k, v in ran.items() if v != "pass"}
