"""dbt models, seeds and tests as Dagster assets (one op: `dbt build`).

Keys are [schema, name] (e.g. ["marts", "subject_evaluation"]); always look them up with
`get_asset_key_for_model` rather than spelling them. Groups follow the dbt layer so the
Dagster UI shows reference → staging → intermediate → marts/audit.

The terminal gets a progress line every tenth of the nodes or 15 s and one line for the whole build
(nodes, tests, elapsed); dbt's own node log and the dbt command go to the run's log file
(orchestration/progress.py). When `mujun run` evaluates a subset (orchestration/partial_evaluation.py),
dagster-dbt turns the selected assets into the --select of the command.

Singular tests that read several models name the model they check in `meta.dagster.ref`, so
dagster-dbt reports them as asset checks (not as an AssetObservation with a warning).
"""

import contextlib
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration import settings
from orchestration.progress import Ticker, log_lines, log_stream, say
from orchestration.project import dbt_project
from orchestration.warehouse_guard import GUARD, WarehouseInUse

# Set by `mujun run` when the seeds (policy and reference data) are those of the last published
# evaluation: their tests re-check files that did not change, so they are left out of the build.
SKIP_SEED_TESTS_ENV = "MUJUN_DBT_SKIP_SEED_TESTS"


def seed_test_names(manifest: dict) -> list[str]:
    """The generic tests declared in seeds/**/*.yml, by name. Not `resource_type:test,path:seeds`:
    dbt selects path:seeds with its tests (eager indirect selection) before intersecting, which
    would also drop every model test and singular test that merely reads a seed (the leader-list
    quotas, the grade cuts ending at 1)."""
    return sorted(n["name"] for n in manifest["nodes"].values()
                  if n.get("resource_type") == "test" and n.get("original_file_path", "").startswith("seeds/"))


# Tests on the dbt sources (raw.*, not_null year) re-check what ingestion guarantees: the loader
# writes `year` from the year folder of the delivery (orchestration/feeds/loader.py). They would
# also be reported as observations of raw assets outside the evaluate job, with a warning each.
SOURCE_TESTS = "source:*"


class MujunDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn") or []
        # fqn = [project, layer, ...]: staging / intermediate / marts / audit
        return fqn[1] if len(fqn) > 2 else "dbt"


TRANSLATOR = MujunDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class _NodeCount:
    """Finished nodes of the build against dbt's own total (its "12 of 547 START …" lines)."""

    def __init__(self, ticker: Ticker):
        self.ticker, self.done, self.total = ticker, 0, None

    def see(self, raw: Mapping[str, Any]) -> None:
        name, data = raw.get("info", {}).get("name", ""), raw.get("data", {})
        if "index" not in data or name.startswith("LogHook"):   # on-run-start hooks count apart
            return
        if name == "LogStartLine":
            self.total = data.get("total") or self.total
        else:                                                   # a result line: one node done
            self.done += 1
            self.ticker.update(self.done, self.total)


# Set by `mujun run --unit-tests`: the build also runs the dbt unit tests.
UNIT_TESTS_ENV = "MUJUN_DBT_UNIT_TESTS"
# dbt unit tests check the SQL of a model on fixed fixture rows: their result depends on the code only,
# never on a delivery, so a production run leaves them out (dbt Labs recommends running them in
# development and CI only); `make test` runs every one (tests/test_dbt_unit_tests.py). Measured: 10.5
# of the 65 s of a province build.
UNIT_TESTS = "resource_type:unit_test"


def unit_tests_requested() -> bool:
    return os.environ.get(UNIT_TESTS_ENV) == "1"


# Set by `mujun run --contract-tests`: the build also runs the staging tests tagged ingestion_contract.
CONTRACT_TESTS_ENV = "MUJUN_DBT_CONTRACT_TESTS"
# The staging row_checks re-check the feed contract that ingestion enforces on every row it loads
# (required columns, enums, bounds, keys): only a change of the loader's code can make one fail, so a
# production run leaves them out like the unit tests, and `make test` runs every one
# (tests/test_dbt_contract_tests.py). Measured: 3-4 s of a province build, 1.6 s of it the tax rows.
CONTRACT_TAG = "ingestion_contract"
CONTRACT_TESTS = f"tag:{CONTRACT_TAG}"


def contract_tests_requested() -> bool:
    return os.environ.get(CONTRACT_TESTS_ENV) == "1"


def is_contract_test(node: Mapping[str, Any]) -> bool:
    return CONTRACT_TAG in (node.get("config", {}).get("tags") or node.get("tags") or [])


def build_args(manifest: dict, skip_seed_tests: bool, unit_tests: bool = False,
               contract_tests: bool = False) -> list[str]:
    """`dbt build` without the source tests, without the unit tests and the ingestion-contract tests
    unless asked for, and without the seeds' own tests when they are unchanged."""
    # one space-separated value: with a subset of the job dagster-dbt re-places the --exclude value
    # next to its own --select, and only the first token after --exclude would go with it
    return ["build", "--exclude", " ".join([SOURCE_TESTS, *([] if unit_tests else [UNIT_TESTS]),
                                            *([] if contract_tests else [CONTRACT_TESTS]),
                                            *(seed_test_names(manifest) if skip_seed_tests else [])])]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    pool=settings.WRITER_POOL,
)
def mujun_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # `build` runs seeds, models, data tests and unit tests in dependency order.
    skip_seed_tests = os.environ.get(SKIP_SEED_TESTS_ENV) == "1"
    unit_tests, contract_tests = unit_tests_requested(), contract_tests_requested()
    args = build_args(json.loads(Path(dbt_project.manifest_path).read_text(encoding="utf-8")), skip_seed_tests,
                      unit_tests, contract_tests)
    # DuckDB creates only the last folder of its spill directory (profiles.yml config_options.temp_directory)
    settings.duckdb_temp_dir().mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    built = passed = warned = failed = 0
    try:
        # dbt is another process: the run's lock on the warehouse is lent to it for the build.
        # dagster-dbt echoes every dbt event to stdout: that node log goes to the run's log file.
        terminal = sys.stdout
        with GUARD.released_for(settings.warehouse_path()), log_stream() as node_log, \
                contextlib.redirect_stdout(node_log or sys.stdout):
            invocation = dbt.cli(args, context=context, target_path=settings.dbt_target_dir())
            # the command as run: with a subset of the job, dagster-dbt's --select of its nodes
            log_lines([f"dbt command: {invocation.dbt_command}"])
            nodes = _NodeCount(Ticker("dbt build", stream=terminal))
            # stream() with the raw dbt events in view: they carry dbt's "n of total" for progress
            for raw in invocation.stream_raw_events():
                nodes.see(raw.raw_event)
                for event in raw.to_default_asset_events(
                        manifest=invocation.manifest, dagster_dbt_translator=invocation.dagster_dbt_translator,
                        context=context, target_path=invocation.target_path, project=invocation.project):
                    if isinstance(event, (dg.Output, dg.MaterializeResult, dg.AssetMaterialization)):
                        built += 1
                    elif isinstance(event, dg.AssetCheckResult):
                        passed += event.passed
                        if not event.passed:   # a dbt test of severity warn does not fail the build
                            warned += event.severity == dg.AssetCheckSeverity.WARN
                            failed += event.severity != dg.AssetCheckSeverity.WARN
                    yield event
    except WarehouseInUse as exc:
        raise dg.Failure(description=str(exc)) from exc
    say(f"dbt build: {built} nodes built, {passed} tests passed, {warned} warned, {failed} failed"
        + (" (seed tests skipped: seeds unchanged)" if skip_seed_tests else "")
        + ("" if unit_tests else " (unit tests left out: --unit-tests runs them)")
        + ("" if contract_tests else " (ingestion-contract tests left out: --contract-tests runs them)")
        + f" in {time.monotonic() - t0:.1f}s")
