"""One ingest asset per departmental feed, partitioned by data year.

Each asset loads <feeds>/<year>/<feed>.csv|.xlsx into raw.<feed> through the ingestion library
(orchestration/feeds/loader.py): rows that break the contract go to quarantine.rejected_rows,
every delivery is recorded in quarantine.delivery_ledger. All ingest assets share the DuckDB
writer pool with dbt, because DuckDB allows one writing process per file.

The data version of a feed-year is the sha256 of its delivered file ("absent" for an optional
feed not delivered): `mujun run` compares these versions, recorded by Dagster with each
materialization, to those of the last publication to decide whether anything must be re-evaluated.
Per-feed lines go to the Dagster event log; the terminal gets one line per year (cli.py).
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.feeds.contract import FEEDS, Feed
from orchestration.feeds.loader import (DeliveryRefused, IngestOutOfMemory, MissingRequiredFeeds, ingest_feed,
                                        preflight)
from orchestration.resources import FeedsResource

YEAR_PARTITIONS = dg.StaticPartitionsDefinition(settings.YEARS)


def _build_ingest_asset(feed: Feed) -> dg.AssetsDefinition:
    kind = "required" if feed.required else "optional"

    @dg.asset(
        key=["raw", feed.name],
        name=None,
        group_name="raw",
        partitions_def=YEAR_PARTITIONS,
        pool=settings.WRITER_POOL,
        kinds={"duckdb", "python"},
        description=f"{feed.zh} — `{feed.name}` feed ({kind}) from the {feed.department} department, "
        f"loaded into raw.{feed.name}; rejects go to quarantine.rejected_rows.",
        metadata={"feed": feed.name, "department": feed.department, "required": feed.required},
    )
    def _ingest(context: dg.AssetExecutionContext, duckdb: DuckDBResource, feeds: FeedsResource):
        year = int(context.partition_key)
        root = Path(feeds.root)
        try:
            # A missing required feed stops every feed of the year before anything is written.
            preflight(root, year)
        except MissingRequiredFeeds as exc:
            raise dg.Failure(description=str(exc)) from exc
        with duckdb.get_connection() as con:
            try:
                result = ingest_feed(con, root, year, feed.name)
            except DeliveryRefused as exc:
                context.log.error(f"{year} {feed.name}: REFUSED — {exc}")
                raise dg.Failure(description=str(exc), metadata={"file": str(exc.file)}) from exc
            except IngestOutOfMemory as exc:
                context.log.error(f"{year} {feed.name}: OUT OF MEMORY — {exc}")
                raise dg.Failure(description=str(exc), metadata={"file": str(exc.file)}) from exc
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.reasons.items())) or "none"
        context.log.info(
            f"{year} {feed.name}: {result.status}"
            + (f" — {result.rows_loaded:,} loaded, {result.rows_rejected:,} quarantined ({reasons})"
               if result.status in ("loaded", "unchanged") else ""),
        )
        return dg.MaterializeResult(
            data_version=dg.DataVersion(result.sha256 or result.status),
            metadata={
                "status": result.status,
                "file": str(result.file) if result.file else "",
                "sha256": result.sha256 or "",
                "rows_delivered": result.rows_delivered,
                "rows_loaded": result.rows_loaded,
                "rows_rejected": result.rows_rejected,
                "reject_reasons": dict(result.reasons),
            }
        )

    return _ingest


ingest_assets = [_build_ingest_asset(f) for f in FEEDS]
