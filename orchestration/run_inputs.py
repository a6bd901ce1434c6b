"""What a publication was computed from, so that `mujun run` redoes only what changed.

The inputs of an evaluation are
* the data version of every ingested feed-year (the sha256 of its delivered file, recorded by
  Dagster with each materialization of raw/<feed>, orchestration/assets/ingest.py),
* the code: every file dbt reads (models, macros, tests and the seeds, i.e. the policy) and the
  Python and GX suites that audit and publish,
* the run parameters that change the result: the audit seed and the accepted gates.

`publish` records their digest as materialization metadata (`inputs_fingerprint`) together with the
sha256 of the file it wrote, the feed versions and the code fingerprint (orchestration/partial_evaluation.py
re-evaluates only what the feeds changed since then). A run whose inputs have the digest of the last publication, whose
ingestion loaded nothing new, and whose published file is still that file, has nothing to evaluate.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration import settings

PUBLISH_KEY = dg.AssetKey(["publish"])
_CODE_DIRS = ("orchestration", "expectations")


def _hash_files(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(settings.REPO_ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def seeds_fingerprint() -> str:
    return _hash_files([p for p in settings.SEEDS_DIR.rglob("*") if p.is_file()])


def code_fingerprint() -> str:
    """dbt project, seeds and the Python/GX code of audit and publication (caches excluded)."""
    from orchestration.cli import _dbt_sources_fingerprint

    files = []
    for d in _CODE_DIRS:
        files += [p for p in (settings.REPO_ROOT / d).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc",)
                  and "uncommitted" not in p.parts]
    return hashlib.sha256((_dbt_sources_fingerprint() + _hash_files(files)).encode()).hexdigest()


def feed_versions(instance: dg.DagsterInstance) -> dict[str, str]:
    """'<year>/<feed>' -> data version of the latest materialization of raw/<feed> for that year."""
    from dagster._core.definitions.data_version import extract_data_version_from_entry

    from orchestration.feeds.contract import FEEDS

    out = {}
    for feed in FEEDS:
        key = dg.AssetKey(["raw", feed.name])
        for year in sorted(instance.get_materialized_partitions(key)):
            record = instance.get_latest_data_version_record(key, is_source=False, partition_key=year)
            version = extract_data_version_from_entry(record.event_log_entry) if record else None
            out[f"{year}/{feed.name}"] = version.value if version else ""
    return out


def inputs_fingerprint(instance: dg.DagsterInstance, audit_seed: int, accept: list[str], reason: str,
                       versions: dict[str, str] | None = None) -> str:
    """`versions`: feed_versions(instance) when the caller has just read them."""
    versions = feed_versions(instance) if versions is None else versions
    parts = {"feeds": versions, "code": code_fingerprint(), "audit_seed": audit_seed,
             "accept": sorted(accept), "reason": reason if accept else ""}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Publication:
    run_id: str
    inputs_fingerprint: str
    sha256: str
    seeds_fingerprint: str
    code_fingerprint: str = ""
    feed_versions: dict[str, str] | None = None   # feed_versions() when it was evaluated (None: not recorded)


def last_publication(instance: dg.DagsterInstance) -> Publication | None:
    event = instance.get_latest_materialization_event(PUBLISH_KEY)
    if event is None or event.asset_materialization is None:
        return None
    meta = event.asset_materialization.metadata

    def text(name: str) -> str:
        value = meta.get(name)
        return str(value.value) if value is not None else ""

    versions = meta.get("feed_versions")
    versions = versions.value if versions is not None and isinstance(versions.value, dict) else None
    return Publication(event.run_id, text("inputs_fingerprint"), text("sha256"), text("seeds_fingerprint"),
                       text("code_fingerprint"), versions)


def publication_is_current(instance: dg.DagsterInstance, fingerprint: str, published: Path) -> Publication | None:
    """The last publication when it was computed from exactly these inputs and is still on disk."""
    last = last_publication(instance)
    if last is None or not last.inputs_fingerprint or last.inputs_fingerprint != fingerprint:
        return None
    if not published.is_file() or file_sha256(published) != last.sha256:
        return None
    return last


def deliveries_unchanged(recorded: dict[str, str], feeds_root: Path, years: list[int]) -> bool:
    """Every file delivered for these years has the data version `recorded` (feed_versions) for
    its feed-year (an optional feed not delivered: "absent"), so ingesting would load nothing."""
    from orchestration.feeds.contract import FEEDS
    from orchestration.feeds.loader import DeliveryRefused, find_deliveries

    for year in years:
        try:
            files = find_deliveries(feeds_root, year)
        except DeliveryRefused:
            return False
        for feed in FEEDS:
            path = files.get(feed.name)
            if path is None and feed.required:
                return False
            if recorded.get(f"{year}/{feed.name}") != (file_sha256(path) if path else "absent"):
                return False
    return True


def current_publication(instance: dg.DagsterInstance, feeds_root: Path, years: list[int], audit_seed: int,
                        accept: list[str], reason: str, published: Path) -> Publication | None:
    """The last publication if a whole run now would recompute it from the same inputs."""
    versions = feed_versions(instance)   # one read of the event log (0.13 s at county scale)
    if not deliveries_unchanged(versions, feeds_root, years):
        return None
    return publication_is_current(instance, inputs_fingerprint(instance, audit_seed, accept, reason, versions),
                                  published)
