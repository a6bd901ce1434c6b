"""The ingestion-contract tests: the staging row_checks (tag ingestion_contract) re-check what the
loader enforces on every row it writes (required columns, enums, bounds, keys), so a production
`mujun run` leaves them out and `mujun run --contract-tests` or this module runs them.

Real: the session's county run (tests/conftest.py `county_run`), dbt's own run_results.json, and real
dbt on a copy of that warehouse, first as loaded, then with raw rows edited past the loader to break
three contracts: each breaks exactly the test of its own model."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.assets.dbt import is_contract_test

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _contract_results(tmp: Path, warehouse: Path) -> dict[str, tuple[str, int]]:
    """test name -> (status, failing checks) of `dbt test --select tag:ingestion_contract`."""
    env = {**os.environ, "MUJUN_WAREHOUSE": str(warehouse), "MUJUN_DBT_TEMP_DIR": str(tmp / "spill"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run([str(BIN / "mujun-dbt"), "test", "--select", "tag:ingestion_contract",
                    "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROFILES_DIR),
                    "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
                   cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    results = json.loads((tmp / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"].split(".")[2]: (r["status"], r.get("failures") or 0) for r in results
            if r["unique_id"].startswith("test.")}


def test_a_run_leaves_the_contract_tests_out(county_run, dbt_manifest):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    assert "ingestion-contract tests left out: --contract-tests runs them" in county_run["stdout"]
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    contract = {u for u, n in manifest["nodes"].items() if n["resource_type"] == "test" and is_contract_test(n)}
    results = json.loads((county_run["data_dir"] / "dbt" / "target" / "run_results.json")
                         .read_text(encoding="utf-8"))["results"]
    ran_tests = {r["unique_id"] for r in results if r["unique_id"].startswith("test.")}
    # every staging model has its contract test; the model tests of the layers above still run
    assert len(contract) >= 19 and ran_tests and not ran_tests & contract


def test_each_contract_test_passes_on_loaded_rows_and_fails_on_a_row_breaking_its_contract(county_run, tmp_path):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(county_run["warehouse"], warehouse)
    loaded = _contract_results(tmp_path / "loaded", warehouse)
    assert len(loaded) >= 19 and {s for s, _ in loaded.values()} == {"pass"}, loaded

    con = duckdb.connect(str(warehouse))
    try:
        # rows the loader would have quarantined: a missing uscc and a 3-digit levy code (two checks),
        # an enterprise delivered twice in one year, a negative emission
        con.execute("update raw.tax_payments set uscc = null where _row_number = 1")
        con.execute("update raw.tax_payments set tax_code = '101' where _row_number = 2")
        con.execute("insert into raw.registry_enterprises select * from raw.registry_enterprises limit 1")
        con.execute("update raw.emissions_annual set emission_kg = -1 where _row_number = 1")
    finally:
        con.close()
    broken = _contract_results(tmp_path / "broken", warehouse)
    failed = {name: n for name, (status, n) in broken.items() if status != "pass"}
    assert failed == {"row_checks_stg_tax__payments": 2, "row_checks_stg_market__enterprises": 1,
                      "row_checks_stg_ecology__emissions": 1}, broken


def test_contract_tests_flag_adds_them_to_a_run(county_run, dbt_manifest, tmp_path):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    data = tmp_path / "data"
    shutil.copytree(county_run["data_dir"], data, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    env = {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    proc = subprocess.run([str(BIN / "mujun"), "run", "--data-dir", str(data), "--only", "evaluate", "--contract-tests"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "ingestion-contract tests left out" not in proc.stdout
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    contract = {u for u, n in manifest["nodes"].items() if n["resource_type"] == "test" and is_contract_test(n)}
    results = json.loads((data / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"] in contract}
    assert set(ran) == contract and set(ran.values()) == {"pass"}, ran
