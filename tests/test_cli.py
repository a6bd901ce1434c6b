"""The command line: a useful --help for every command, and errors a person can act on."""
from __future__ import annotations

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
