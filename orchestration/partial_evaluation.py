"""Re-evaluate only what re-delivered feeds change (issue #10).

When one feed of one year is re-delivered, the dbt nodes that do not read it (directly or through
other models) would be rebuilt from exactly the inputs they were built from. `plan()` decides
whether the evaluate job may run on a subset: the assets downstream of the changed raw/<feed>
assets in Dagster's asset graph (`AssetSelection.assets(...).downstream()`, intersected with the
evaluate job), plus the models that read what dbt's lineage does not show, plus the audit and the
publication. dagster-dbt turns the selected dbt assets into `dbt build --select …` (its tests come
with them by dbt's eager indirect selection).

The evidence is Dagster's own record: the data version of every raw/<feed> partition (the sha256
of the delivered file), and what `publish` recorded with the last publication (the feed versions,
the code fingerprint). A subset is run only when all of these hold, else the whole job:

* the last publication recorded its feed versions and code fingerprint, and the code (dbt
  project, seeds, Python, GX suites) is unchanged since;
* no run other than ingestion started after the publication's run (an evaluate run that failed
  mid-build, was blocked at publication or ran one step with --only, or assets materialized from
  the Dagster UI, may have rebuilt nodes from other inputs);
* this run's ingestion had no failure (a refused delivery: unsure what raw holds);
* some feed-year changed (data version differs from the publication's, or was loaded by this run);
* every dbt relation left out exists in the warehouse (not a new or replaced warehouse file).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration import fingerprints, run_inputs

INGEST_JOB = "ingest_feeds"   # the only job that leaves the evaluated warehouse as it was
# Models that read something dbt's lineage does not show are rebuilt on every evaluation: the
# publication log written by `publish` and `mujun publish --initial/--final` (publication_log),
# the date the 公示 window is judged against (publication_as_of), and vars/env/run-time state.
UNTRACKED_INPUT_MACROS = ("publication_log", "publication_as_of")
_UNTRACKED_INPUT_CODE = re.compile(r"run_started_at|env_var\s*\(|\bvar\s*\(|adapter\.get_relation|run_query\s*\(")
# Tests dbt is told to leave out (orchestration/assets/dbt.py SOURCE_TESTS / seed_test_names).
_TEST_TYPES = ("test", "unit_test")


@dataclass
class Plan:
    """What the evaluate job runs: `selection` None is the whole job."""

    selection: list[dg.AssetKey] | None
    reason: str                                         # why, for the operator's progress line
    changed: list[tuple[int, str]] = field(default_factory=list)   # (year, feed)
    dbt_nodes: int = 0                                  # dbt nodes (models, seeds, tests) to run
    dbt_total: int = 0                                  # ... of the whole build


def _whole(reason: str) -> Plan:
    return Plan(None, reason)


def changed_feed_years(recorded: dict[str, str], current: dict[str, str],
                       loaded: set[tuple[int, str]]) -> list[tuple[int, str]]:
    """Feed-years whose data version differs from the publication's, or that this run loaded."""
    keys = {k for k in set(recorded) | set(current) if recorded.get(k) != current.get(k)}
    out = {(int(k.split("/")[0]), k.split("/")[1]) for k in keys} | set(loaded)
    return sorted(out)


def _manifest(dbt_assets) -> dict:
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

    return get_manifest_and_translator_from_dbt_assets([dbt_assets])[0]


def untracked_input_nodes(manifest: dict) -> set[str]:
    """unique_ids of models whose result depends on more than their refs, sources and seeds."""
    out = set()
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        macros = {m.split(".")[-1] for m in node.get("depends_on", {}).get("macros", [])}
        if macros & set(UNTRACKED_INPUT_MACROS) or _UNTRACKED_INPUT_CODE.search(node.get("raw_code") or ""):
            out.add(uid)
    return out


def dbt_node_count(manifest: dict, selected: set[str] | None, skip_seed_tests: bool,
                   unit_tests: bool = False, contract_tests: bool = False) -> int:
    """How many nodes `dbt build` runs (models, seeds, data and unit tests, exposures) for a selection of
    models/seeds (None: all), as dbt counts them: a test runs when any node it depends on is
    selected (eager indirect selection), not when it tests a source (excluded), not a unit test
    unless ``unit_tests``, not an ingestion-contract test unless ``contract_tests``, nor, with seed
    tests skipped, when it is declared in seeds/**/*.yml (orchestration/assets/dbt.py build_args)."""
    from orchestration.assets.dbt import is_contract_test

    def excluded(test: dict) -> bool:
        parents = test.get("depends_on", {}).get("nodes", [])
        return (any(p.startswith("source.") for p in parents)
                or (not contract_tests and is_contract_test(test))
                or (skip_seed_tests and test.get("original_file_path", "").startswith("seeds/")))

    resources = {uid for uid, n in manifest["nodes"].items() if n.get("resource_type") in ("model", "seed", "snapshot")
                 and n.get("config", {}).get("materialized") != "ephemeral"}
    chosen = resources if selected is None else resources & selected
    types = _TEST_TYPES if unit_tests else ("test",)
    tests = [*(n for n in manifest["nodes"].values() if n.get("resource_type") in types),
             *(manifest.get("unit_tests", {}).values() if unit_tests else [])]
    # exposures are nodes of a whole build too (NO-OP), and are not selected by a --select of models
    count = len(chosen) + (len(manifest.get("exposures", {})) if selected is None else 0)
    for test in tests:
        if excluded(test):
            continue
        if set(test.get("depends_on", {}).get("nodes", [])) & chosen:
            count += 1
    return count


def _runs_since(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Ids of the runs other than ingestion created after the run `run_id` (itself excluded): the
    evaluate job with --only or failed, and assets materialized from the Dagster UI (__ASSET_JOB)."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return ["?"]
    later = instance.get_run_records(dg.RunsFilter(created_after=record.create_timestamp))
    return [r.dagster_run.run_id for r in later
            if r.dagster_run.run_id != run_id and r.dagster_run.job_name != INGEST_JOB]


def _missing_relations(warehouse: Path, manifest: dict, uids: set[str]) -> list[str]:
    from orchestration.warehouse_guard import connect_writer

    wanted = {(manifest["nodes"][u]["schema"], manifest["nodes"][u].get("alias") or manifest["nodes"][u]["name"])
              for u in uids}
    if not warehouse.is_file():
        return sorted(f"{s}.{t}" for s, t in wanted)
    # The run holds the warehouse (warehouse_guard): this connection shares its database.
    with connect_writer(warehouse) as con:
        have = set(con.execute("select table_schema, table_name from information_schema.tables "
                               "where table_catalog = current_database()").fetchall())
    return sorted(f"{s}.{t}" for s, t in wanted - have)


def describe(changed: list[tuple[int, str]]) -> str:
    """'tax_payments 2021' / 'tax_payments 2020, 2021 and energy_monthly 2021'."""
    years: dict[str, list[int]] = {}
    for year, feed in changed:
        years.setdefault(feed, []).append(year)
    parts = [f"{feed} {', '.join(map(str, ys))}" for feed, ys in sorted(years.items())]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def plan(instance: dg.DagsterInstance, defs: dg.Definitions, loaded: set[tuple[int, str]],
         ingest_failed: bool, warehouse: Path, skip_seed_tests: bool) -> Plan:
    """The subset of the evaluate job a whole run needs, or the whole job and why (module doc)."""
    from orchestration.assets.dbt import mujun_dbt_assets

    last = run_inputs.last_publication(instance)
    if last is None:
        return _whole("no earlier publication")
    if not last.code_fingerprint or last.feed_versions is None:
        return _whole(f"the publication of run {last.run_id[:8]} did not record its feed versions")
    if last.code_fingerprint != fingerprints.code_fingerprint():
        return _whole("the code (dbt project, seeds or Python) changed since the last publication")
    later = _runs_since(instance, last.run_id)
    if later:
        return _whole(f"run {later[0][:8]} evaluated after the last publication (a failed, blocked or "
                      f"one-step run): the warehouse may hold nodes built from other inputs")
    if ingest_failed:
        return _whole("this run's ingestion had a failure")
    changed = changed_feed_years(last.feed_versions, run_inputs.feed_versions(instance), loaded)
    if not changed:
        return _whole("no feed changed since the last publication")

    graph = defs.resolve_asset_graph()
    job_keys = (dg.AssetSelection.all() - dg.AssetSelection.groups("raw")).resolve(graph)
    manifest = _manifest(mujun_dbt_assets)
    key_by_uid = {spec.metadata["dagster_dbt/unique_id"]: spec.key for spec in mujun_dbt_assets.specs}
    untracked = [key_by_uid[u] for u in untracked_input_nodes(manifest) if u in key_by_uid]
    roots = {dg.AssetKey(["raw", feed]) for _, feed in changed}
    downstream = (dg.AssetSelection.assets(*roots).downstream()
                  | dg.AssetSelection.assets(*untracked).downstream()).resolve(graph)
    # The audit and the publication judge the whole warehouse: always.
    selected = (downstream & job_keys) | (job_keys - set(mujun_dbt_assets.keys))
    dbt_selected = selected & set(mujun_dbt_assets.keys)
    if dbt_selected == set(mujun_dbt_assets.keys):
        return _whole(f"{describe(changed)} changed, and every dbt node depends on it")
    uid_by_key = {k: u for u, k in key_by_uid.items()}
    left_out = {uid_by_key[k] for k in set(mujun_dbt_assets.keys) - dbt_selected}
    left_out = {u for u in left_out if manifest["nodes"][u].get("config", {}).get("materialized") != "ephemeral"}
    missing = _missing_relations(warehouse, manifest, left_out)
    if missing:
        return _whole(f"{len(missing)} dbt relation(s) missing from the warehouse (e.g. {missing[0]})")
    from orchestration.assets.dbt import contract_tests_requested, unit_tests_requested

    codes = unit_tests_requested(), contract_tests_requested()
    nodes = dbt_node_count(manifest, {uid_by_key[k] for k in dbt_selected}, skip_seed_tests, *codes)
    total = dbt_node_count(manifest, None, skip_seed_tests, *codes)
    what = "re-delivered" if all(f"{y}/{f}" in last.feed_versions for y, f in changed) else "delivered"
    reason = (f"{describe(changed)} {what}: re-evaluating {nodes} of {total} dbt nodes, audit, publication")
    return Plan(sorted(selected, key=lambda k: k.to_user_string()), reason, changed, nodes, total)
