"""Digests of what a run is computed from that need no Dagster: the code, the seeds, a file.

Kept apart from orchestration/run_inputs.py (which reads Dagster's records) so that a run that finds
nothing changed can compute them before Dagster is imported (orchestration/unchanged_run.py).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration import settings

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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
