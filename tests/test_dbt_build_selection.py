"""What `dbt build` leaves out when the seeds are those of the last publication (real `dbt ls`)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration import settings
from orchestration.assets.dbt import build_args

BIN = Path(sys.executable).parent


def _listed(dbt_manifest: Path, args: list[str]) -> set[str]:
    excluded = [a for x in args[args.index("--exclude") + 1:] for a in x.split()]
    # a target folder of its own, started from the prepared parse: `dbt ls` in the project's target
    # would rewrite the partial-parse state every run of the session starts from
    with tempfile.TemporaryDirectory() as target:
        shutil.copy2(dbt_manifest.parent / "partial_parse.msgpack", Path(target) / "partial_parse.msgpack")
        proc = subprocess.run(
            [str(BIN / "mujun-dbt"), "ls", "--resource-type", "test", "--output", "name", "--quiet",
             "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROFILES_DIR),
             "--target-path", target, "--log-path", target, "--exclude", *excluded],
            cwd=settings.REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return set(proc.stdout.split())


def test_skipping_seed_tests_keeps_the_model_tests_that_read_a_seed(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    tests = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    listed = _listed(dbt_manifest, build_args(manifest, skip_seed_tests=True))
    declared_in_seeds = {k for k, n in tests.items() if n["original_file_path"].startswith("seeds/")}
    assert declared_in_seeds and not listed & declared_in_seeds
    # singular tests and model tests that join a seed still run: they test the models
    for name in ("assert_leader_list_sizes_and_quotas", "eval_grade_cuts_end_at_one"):
        assert name in listed
    reads_a_seed = {k for k, n in tests.items() if k not in declared_in_seeds
                    and any(p.startswith("seed.") for p in n["depends_on"]["nodes"])}
    assert reads_a_seed <= listed
    everything = _listed(dbt_manifest, build_args(manifest, skip_seed_tests=False))
    assert declared_in_seeds <= everything


def test_the_ingestion_contract_tests_run_only_when_asked_for(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    contract = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"
                and "ingestion_contract" in n["config"]["tags"]}
    routine = _listed(dbt_manifest, build_args(manifest, skip_seed_tests=False))
    asked = _listed(dbt_manifest, build_args(manifest, skip_seed_tests=False, contract_tests=True))
    assert "row_checks_stg_tax__payments" in contract and not routine & contract
    assert asked == routine | contract
