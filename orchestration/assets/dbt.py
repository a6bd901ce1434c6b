"""dbt models, seeds and tests as Dagster assets (one op: `dbt build`).

Keys are [schema, name] (e.g. ["marts", "subject_evaluation"]); always look them up with
`get_asset_key_for_model` rather than spelling them. Groups follow the dbt layer so the
Dagster UI shows reference → staging → intermediate → marts/audit.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration import settings
from orchestration.progress import say
from orchestration.project import dbt_project
from orchestration.warehouse_guard import GUARD, WarehouseInUse


class MujunDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn") or []
        # fqn = [project, layer, ...]: staging / intermediate / marts / audit
        return fqn[1] if len(fqn) > 2 else "dbt"


TRANSLATOR = MujunDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    pool=settings.WRITER_POOL,
)
def mujun_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # `build` runs seeds, models, data tests and unit tests in dependency order.
    built = 0
    try:
        # dbt is another process: the run's lock on the warehouse is lent to it for the build.
        with GUARD.released_for(settings.warehouse_path()):
            for event in dbt.cli(["build"], context=context).stream():
                if isinstance(event, dg.Output):
                    key = context.asset_key_for_output(event.output_name)
                else:
                    key = getattr(event, "asset_key", None)
                if isinstance(event, (dg.Output, dg.MaterializeResult, dg.AssetMaterialization)) and key is not None:
                    built += 1
                    # Progress on the terminal for the public layers; the rest is counted.
                    if key.path[0] in ("marts", "audit"):
                        say(f"dbt: built {'.'.join(key.path)} ({built} nodes so far)")
                yield event
    except WarehouseInUse as exc:
        raise dg.Failure(description=str(exc)) from exc
    say(f"dbt build finished: {built} nodes materialized")
