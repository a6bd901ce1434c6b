"""The command line: a useful --help for every command, and errors a person can act on."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MUJUN = str(Path(sys.executable).parent / "mujun")


@pytest.mark.parametrize("command", ["run", "generate", "explain", "export", "status", "prepare", "dev", "docs"])
def test_every_command_has_help(command):
    proc = subprocess.run([MUJUN, command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert f"usage: mujun {command}" in proc.stdout


def test_top_level_help_lists_commands():
    proc = subprocess.run([MUJUN, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for command in ("run", "generate", "explain", "export"):
        assert command in proc.stdout


def test_bad_years_is_a_clear_error(tmp_path):
    proc = subprocess.run([MUJUN, "generate", "--out", str(tmp_path), "--years", "twenty"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "--years" in (proc.stderr + proc.stdout)


def test_explain_without_a_warehouse_says_what_to_do(tmp_path):
    proc = subprocess.run([MUJUN, "explain", "91330109MA2B000000", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "mujun run" in (proc.stderr + proc.stdout)


def test_an_explicit_data_dir_beats_an_inherited_warehouse(tmp_path):
    """flag > env > default: MUJUN_WAREHOUSE left in the environment by an earlier run (make demo,
    then make test) must not redirect a command given --data-dir."""
    import duckdb

    other = tmp_path / "other" / "warehouse.duckdb"
    other.parent.mkdir()
    duckdb.connect(str(other)).close()                 # a warehouse exists where the env points
    data = tmp_path / "data"
    env = {**os.environ, "MUJUN_WAREHOUSE": str(other)}
    proc = subprocess.run([MUJUN, "explain", "91330109MA2B000000", "--data-dir", str(data)],
                          capture_output=True, text=True, env=env)
    out = proc.stderr + proc.stdout
    assert proc.returncode != 0 and "mujun run" in out
    assert str(data / "warehouse.duckdb") in out and str(other) not in out


def test_run_help_documents_the_selective_runs_and_the_log():
    proc = subprocess.run([MUJUN, "run", "--help"], capture_output=True, text=True)
    out = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    assert "--only {ingest,evaluate,audit,publish}" in out
    for step in ("ingest:", "evaluate:", "audit:", "publish:"):
        assert step in out
    assert "--feed NAME" in out and "--years" in out
    assert "logs/run-<timestamp>.log" in out and "no dbt build, audit or publication" in out
