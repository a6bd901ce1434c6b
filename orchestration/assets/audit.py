"""Random audit (随机抽查, rules.md §7) and publication as Dagster assets.

- `random_audit` (multi_asset, group "audit", writer pool): draws the R-AUDIT-1 sample, runs every
  GX suite of expectations/gx/ (structural suites on the whole population of the raw feeds, the
  marts suite, the cross-department suite on the sampled subjects' base records), writes
  audit.sample, audit.check_results, audit.town_quality and audit.suite_results, the Data Docs
  (<reports_dir>/data_docs/<run>/index.html) and the per-town XLSX worklists
  (<reports_dir>/worklists/<year>/<town_code>.xlsx). One asset check per suite
  (`gx_<suite>`); critical suites are blocking, so a failure stops `publish` downstream.
- `publication_gates` (writer pool): judges every year of the publication (orchestration/gates.py)
  and writes audit.publication_gates; applies operator acceptances (run config `accept`, `reason`).
- `publish` (writer pool): adds the audit_suites gate, then copies marts, audit, quarantine and
  reference into a new DuckDB file and renames it onto the published path (orchestration/publish.py);
  refuses when a gate failed or a critical suite failed.

Definitions: `from orchestration.assets.audit import audit_assets, audit_checks`.
"""
# no `from __future__ import annotations`: Dagster checks the `context` annotation by identity.
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import get_asset_key_for_model
from dagster_duckdb import DuckDBResource

from orchestration import gates as G
from orchestration import settings
from orchestration.assets.dbt import mujun_dbt_assets
from orchestration.audit import suites as S
from orchestration.audit.run import AUDIT_TABLES, run_audit
from orchestration.feeds.contract import REQUIRED_FEEDS
from orchestration.progress import say
from orchestration.publish import PUBLIC_SCHEMAS, PublicationBlocked, publish
from orchestration.resources import FeedsResource, RunSettings
from orchestration.fingerprints import file_sha256


def _dbt_key(name: str, schema: str) -> "dg.AssetKey | None":
    try:
        return get_asset_key_for_model([mujun_dbt_assets], name)
    except KeyError:  # model not in the manifest (yet): no dependency edge rather than a wrong key
        return None


# What the audit reads: the mart, the sampled subjects' base records (a dbt model built from the
# models that grade), the raw feeds (structural suites) and its parameters.
_READS = [
    ("subject_evaluation", "marts"),
    ("audit_base_records", "audit"),
    ("audit_parameters", "reference"),
]
SUBJECT_EVALUATION_KEY = _dbt_key("subject_evaluation", "marts") or dg.AssetKey(["marts", "subject_evaluation"])
AUDIT_DEPS = sorted({k for k in (_dbt_key(n, s) for n, s in _READS) if k is not None} | {SUBJECT_EVALUATION_KEY}
                    | {dg.AssetKey(["raw", f]) for f in S.STRUCTURAL_FEEDS}, key=lambda k: k.to_user_string())
AUDIT_KEYS = {name: dg.AssetKey(["audit", name]) for name in AUDIT_TABLES}

_DESCRIPTIONS = {
    "sample": "R-AUDIT-1 stratified random sample per town: max(1, ceil(share × graded subjects)), "
              "reproducible from the seed (md5(seed:year:subject_id)).",
    "check_results": "R-AUDIT-2/3 cross-department checks of the sampled subjects' base records, one row per "
                     "year × subject × check_name (GX suite cross_department).",
    "town_quality": "R-AUDIT-4 data-quality score per town: share of checked values that held.",
    "suite_results": "Every GX expectation of the run (structural suites over the whole population, marts "
                     "suite, cross-department suite) with its rule id and whether its suite is critical.",
}


def _check_name(suite: str) -> str:
    return f"gx_{suite}"


AUDIT_CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=_check_name(i.name),
        asset=AUDIT_KEYS[i.asset],
        blocking=i.critical,
        description=f"GX suite `{i.name}` on {i.relation} ({'critical: blocks publication' if i.critical else 'findings for auditors'}).",
        metadata={"suite": i.name, "critical": i.critical, "scope": i.scope},
    )
    for i in S.suite_infos()
]


@dg.multi_asset(
    name="random_audit",
    specs=[
        dg.AssetSpec(key, deps=AUDIT_DEPS, group_name="audit", kinds={"duckdb", "python"},
                     description=_DESCRIPTIONS[name])
        for name, key in AUDIT_KEYS.items()
    ],
    check_specs=AUDIT_CHECK_SPECS,
    pool=settings.WRITER_POOL,
    description="Random audit (随机抽查, [S2] §十): sample, GX suites, Data Docs and worklists.",
)
def random_audit(context: dg.AssetExecutionContext, duckdb: DuckDBResource, run_settings: RunSettings):
    run_key = context.run_id.split("-")[0]
    years = [int(y) for y in run_settings.audit_years.split(",") if y] or None
    t0 = time.monotonic()
    outcome = run_audit(duckdb.get_connection, int(run_settings.audit_seed), Path(run_settings.reports_dir),
                        run_key=run_key, years=years, progress=context.log.info)
    docs = str(outcome.docs_index) if outcome.docs_index else ""
    failed_checks = outcome.check_results[~outcome.check_results["passed"]] if len(outcome.check_results) else []
    towns = outcome.sample[["year", "town_code"]].drop_duplicates().shape[0]
    context.log.info(f"audit: Data Docs {docs}; {len(outcome.worklists)} worklists under "
                     f"{Path(run_settings.reports_dir) / 'worklists'}")
    say(f"audit: seed {outcome.seed}, {len(outcome.sample)} subjects sampled in {towns} year×towns, "
        f"{len(failed_checks)} of {len(outcome.check_results)} subject checks to verify on site, "
        f"{len(outcome.gx.suites)} GX suites"
        + (f", CRITICAL failed: {', '.join(outcome.critical_failures)} — publication blocked"
           if outcome.critical_failures else "")
        + f" in {time.monotonic() - t0:.1f}s")

    cr = outcome.check_results
    tq = outcome.town_quality
    meta = {
        "sample": {"rows": len(outcome.sample), "seed": outcome.seed,
                   "sample_share": outcome.parameters["sample_share"]},
        "check_results": {"rows": len(cr), "failed": int((~cr["passed"]).sum()) if len(cr) else 0},
        "town_quality": {"rows": len(tq),
                         "min_quality_score": float(tq["quality_score"].min()) if tq["quality_score"].notna().any() else None},
        "suite_results": {"rows": len(outcome.suite_results),
                          "critical_failures": ", ".join(outcome.critical_failures) or "none"},
    }
    for name, key in AUDIT_KEYS.items():
        m = {k: v for k, v in meta[name].items() if v is not None}
        m["data_docs"] = dg.MetadataValue.path(docs)
        yield dg.MaterializeResult(asset_key=key, metadata=m)

    infos = {i.name: i for i in S.suite_infos()}
    for name, run in outcome.gx.suites.items():
        info = infos[name]
        yield dg.AssetCheckResult(
            asset_key=AUDIT_KEYS[info.asset],
            check_name=_check_name(name),
            passed=run.success,
            severity=dg.AssetCheckSeverity.ERROR if run.critical else dg.AssetCheckSeverity.WARN,
            description=("all expectations held" if run.success
                         else f"failed: {', '.join(run.failed_expectations)}"),
            metadata={
                "rows": run.rows,
                "evaluated_expectations": run.evaluated,
                "failed_expectations": len(run.failed_expectations),
                "unexpected_values": run.unexpected_total,
                "failed_checks": ", ".join(run.failed_expectations) or "none",
                "critical": run.critical,
                "seconds": round(run.seconds, 2),
                "data_docs": dg.MetadataValue.path(docs),
            },
        )


def _published_dbt_keys() -> list[dg.AssetKey]:
    return sorted((k for k in mujun_dbt_assets.keys if k.path and k.path[0] in PUBLIC_SCHEMAS),
                  key=lambda k: k.to_user_string())


class GateConfig(dg.Config):
    """Operator acceptances of failed gates (`mujun run --accept-gate GATE:YEAR --reason "…"`)."""

    accept: list[str] = []
    reason: str = ""


PUBLICATION_GATES_KEY = dg.AssetKey(["audit", "publication_gates"])
_GATE_READS = [("publication_gate_measures", "audit"), ("subject_evaluation", "marts"),
               ("publication_gates", "reference")]


@dg.asset(
    key=PUBLICATION_GATES_KEY,
    group_name="audit",
    # Not downstream of random_audit: its blocking checks must not hide the gates' verdict.
    deps=sorted({k for k in (_dbt_key(n, s) for n, s in _GATE_READS) if k is not None}
                | {dg.AssetKey(["raw", f]) for f in REQUIRED_FEEDS}, key=lambda k: k.to_user_string()),
    pool=settings.WRITER_POOL,
    kinds={"duckdb", "python"},
    description="Publication gates per year (orchestration/gates.py): required feeds delivered, loaded and "
                "with a small rejected share, key totals stable against Y-1. Writes audit.publication_gates "
                "and records operator acceptances in audit.gate_acceptances; a failed gate stops `publish`.",
)
def publication_gates(context: dg.AssetExecutionContext, config: GateConfig, duckdb: DuckDBResource,
                      feeds: FeedsResource):
    # Errors are raised only after the connection is closed: DuckDBResource.get_connection does not
    # close on an exception, and the CLI's summary then cannot open the warehouse in this process.
    error = None
    with duckdb.get_connection() as con:
        try:
            requests = [G.parse_acceptance(a, config.reason) for a in config.accept]
            gates, notes = G.apply_acceptances(con, G.evaluate(con, Path(feeds.root)), requests,
                                               run_id=context.run_id)
            G.write(con, gates)
        except G.GateError as exc:
            error = exc
    if error is not None:
        raise dg.Failure(description=str(error))
    for note in notes:
        context.log.info(f"gates: {note}")
    for g in gates:    # the run's summary lists them again (cli._print_gates)
        if g.status in (G.FAILED, G.ACCEPTED):
            context.log.warning(f"gate {g.name} {g.status.upper()}: {g.message}"
                               + (f" (accepted {g.accepted_at}: {g.accepted_reason})" if g.accepted_reason else ""))
    counts = {s: sum(g.status == s for g in gates) for s in (G.PASSED, G.FAILED, G.ACCEPTED, G.NOT_APPLICABLE)}
    say("publication gates: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return dg.MaterializeResult(metadata={**counts, "failed_gates": ", ".join(g.name for g in G.failed(gates)) or "none"})


class PublishConfig(dg.Config):
    """What this publication was computed from (orchestration/run_inputs.py), set by `mujun run`;
    empty when only part of the pipeline ran, so no later run takes the file as current."""

    inputs_fingerprint: str = ""
    seeds_fingerprint: str = ""
    code_fingerprint: str = ""
    feed_versions: dict[str, str] = {}    # '<year>/<feed>' -> data version of raw/<feed> (run_inputs)


@dg.asset(
    name="publish",
    group_name="audit",
    deps=[*AUDIT_KEYS.values(), PUBLICATION_GATES_KEY, *_published_dbt_keys()],
    pool=settings.WRITER_POOL,
    kinds={"duckdb"},
    description="The analysts' DuckDB file (marts, audit, quarantine, reference), written to a new file "
                "and renamed onto the published path; blocked by a failed publication gate or critical "
                "audit suite.",
)
def publish_warehouse(context: dg.AssetExecutionContext, config: PublishConfig, duckdb: DuckDBResource,
                      run_settings: RunSettings):
    blocked = None
    with duckdb.get_connection() as con:   # closed before raising (see publication_gates)
        try:
            # audit_suites joins the gate table now that this run's audit is known
            gates = [g for g in G.read(con) if g.gate != G.SUITES_GATE]
            gates += G.suite_gates(con, sorted({g.year for g in gates}))
            G.write(con, gates)
            result = publish(con, Path(run_settings.published_path))
        except PublicationBlocked as exc:
            blocked = exc
    if blocked is not None:
        say(f"publish: BLOCKED — {blocked}")
        raise dg.Failure(description=str(blocked))
    say(f"publish: {result.path} ({len(result.tables)} tables, {result.bytes / 1e6:.1f} MB)")
    return dg.MaterializeResult(metadata={
        "sha256": file_sha256(Path(result.path)),
        "inputs_fingerprint": config.inputs_fingerprint,
        "seeds_fingerprint": config.seeds_fingerprint,
        "code_fingerprint": config.code_fingerprint,
        **({"feed_versions": dg.MetadataValue.json(config.feed_versions)} if config.inputs_fingerprint else {}),
        "path": dg.MetadataValue.path(str(result.path)),
        "tables": len(result.tables),
        "rows": sum(result.tables.values()),
        "bytes": result.bytes,
        "marts_subject_evaluation_rows": result.tables.get("marts.subject_evaluation", 0),
    })


audit_assets = [random_audit, publication_gates, publish_warehouse]
audit_checks: list = []   # every audit check is declared on random_audit (check_specs)
