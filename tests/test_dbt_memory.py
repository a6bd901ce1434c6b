"""dbt's DuckDB runs under a memory limit and spills under the data dir (profiles.yml
config_options, exported by orchestration/settings.py), read back from a real dbt session."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "mujun-dbt"


def _dbt_settings(tmp_path: Path, **env: str) -> dict:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    full_env = {**os.environ, "MUJUN_WAREHOUSE": str(warehouse), "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
                **env}
    for k in ("MUJUN_DBT_MEMORY_LIMIT", "MUJUN_DBT_TEMP_DIR"):
        if k not in env:
            full_env.pop(k, None)
    proc = subprocess.run(
        [str(DBT), "show", "--inline",
         "select current_setting('memory_limit') as memory_limit, current_setting('temp_directory') as spill",
         "--output", "json", "--log-format", "json", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for line in proc.stdout.splitlines():
        data = json.loads(line).get("data", {})
        if "preview" in data:
            return json.loads(data["preview"])[0]
    raise AssertionError(proc.stdout[-3000:])


def test_the_limit_and_spill_folder_reach_dbts_duckdb(tmp_path):
    spill = tmp_path / "tmp" / "duckdb" / "dbt"
    got = _dbt_settings(tmp_path, MUJUN_DBT_MEMORY_LIMIT="300MB", MUJUN_DBT_TEMP_DIR=str(spill))
    assert got["memory_limit"] == "286.1 MiB"        # DuckDB shows 300 MB in MiB
    assert got["spill"] == str(spill)


def test_by_hand_the_default_limit_and_duckdbs_own_spill_folder(tmp_path):
    got = _dbt_settings(tmp_path)
    assert got["memory_limit"] == "3.7 GiB"          # 4GB
    assert got["spill"] == str(tmp_path / "w.duckdb") + ".tmp"
