"""Exceptions of the ingestion library (orchestration.feeds.loader is the public entry point)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable


class DeliveryRefused(Exception):
    """A delivered file cannot be read at all; nothing of it was loaded.

    ``file`` is the delivered file (or files, joined with `` + `` for a csv+xlsx conflict) and
    ``reason`` the problem in words. The message names both. The earlier good load of the same
    feed and year is left untouched; the refusal itself is recorded in quarantine.delivery_ledger.
    """

    def __init__(self, file: Path | str, reason: str, feed: str | None = None, year: int | None = None):
        self.file = file
        self.reason = reason
        self.feed = feed
        self.year = year
        super().__init__(f"{file}: {reason}")


class MissingRequiredFeeds(Exception):
    """A year folder lacks required feed files (raised before anything is written)."""

    def __init__(self, year_dir: Path, missing: Iterable[str], notes: Iterable[str] = ()):
        self.year_dir = Path(year_dir)
        self.missing = list(missing)
        self.notes = list(notes)
        msg = f"{self.year_dir}: missing required feed file(s): " + ", ".join(self.missing)
        if self.notes:
            msg += " (" + "; ".join(self.notes) + ")"
        super().__init__(msg)


class FileProblem(Exception):
    """Internal: the file cannot be ingested; the loader turns it into a recorded DeliveryRefused."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class IngestOutOfMemory(Exception):
    """DuckDB could not ingest a file within the ingestion memory limit even by spilling to disk.

    Not a fault of the file, so no delivery is recorded and nothing is replaced: the earlier good
    load stays. The message names the file, the limit and the setting to raise.
    """

    def __init__(self, file: Path | str, limit: str, detail: str):
        self.file = file
        self.limit = limit
        super().__init__(f"{file}: DuckDB ran out of memory under the ingestion memory limit {limit} "
                         f"({detail}); nothing was loaded or replaced. Raise MUJUN_INGEST_MEMORY_LIMIT "
                         f"(e.g. 2GB) or free disk space for the spill folder, then run again")
