"""A re-run that finds nothing changed, answered before Dagster is imported.

`mujun run` decides "nothing changed" from Dagster's own records (run_inputs.current_publication:
the data versions of the ingested feeds and the inputs fingerprint of the last publication). Asking
them means importing Dagster and opening its instance: 1.4 of the 2.0 s of a county re-run, 6 % of
a cold run where the target is 5 %. So when that check finds the publication current, it leaves a
note beside Dagster's storage of what the answer was decided from:

* the state of Dagster's storage: the number and last id of the stored events (the asset index,
  where every materialization and data version is) and of the runs, with the runs' last update,
  read with sqlite3 from the files orchestration/instance.py configures;
* the run's inputs: the code fingerprint, the sha256 of every delivered file of the years run,
  audit seed, accepted gates and reason, and the sha256 of the published file;
* the paths (data dir, warehouse, published file, feeds root).

The next run compares the same values first. Any difference (one more event or run in Dagster, a
wiped asset, a changed file, another parameter, a storage that cannot be read) and it asks Dagster
as before. The note never answers anything Dagster's records would answer differently: on the same
storage state and the same inputs, current_publication is the same function of the same values.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import settings
from orchestration.fingerprints import code_fingerprint, file_sha256

NOTE_NAME = "mujun-nothing-changed.json"
# said when the answer is the note's: Dagster's records were not read again
SHORTCUT_WORDS = "; Dagster's records as the last run left them"


def _storage_state(home: Path) -> list | None:
    """Counts and last ids of Dagster's stored events and runs (None: not readable as expected)."""
    index, runs = home / "history" / "runs" / "index.db", home / "history" / "runs.db"
    if not (index.is_file() and runs.is_file()):
        return None
    try:
        state = []
        for db, query in ((index, "select count(*), max(id) from event_logs"),
                          (index, "select count(*), max(last_materialization_timestamp), max(wipe_timestamp) "
                                  "from asset_keys"),
                          (runs, "select count(*), max(id), max(update_timestamp) from runs")):
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                state.append([str(v) for v in con.execute(query).fetchone()])
            finally:
                con.close()
        return state
    except sqlite3.Error:
        return None


class FileDigests:
    """sha256 of files, read again only when a file's (size, mtime, ctime, inode) changed since it
    was last read (as git's index does): hashing the 2.7 GB of a province's deliveries was 3 CPU-s
    and, with the files out of the page cache, 13 s of disk reads in every re-run. ctime cannot be
    set back by any tool, and a replaced file has another inode. Kept in <dagster_home>/NAME."""

    NAME = "mujun-file-digests.json"

    def __init__(self, home: Path):
        self.path = home / self.NAME
        try:
            known = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        self.known = known if isinstance(known, dict) else {}
        self.changed = False

    def sha256(self, path: Path) -> str:
        st = path.stat()
        signature = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
        hit = self.known.get(str(path))
        if isinstance(hit, list) and len(hit) == 2 and hit[0] == signature:
            return hit[1]
        sha = file_sha256(path)
        self.known[str(path)] = [signature, sha]
        self.changed = True
        return sha

    def save(self) -> None:
        if self.changed:
            _write_atomically(self.path, json.dumps(self.known))
            self.changed = False


def _write_atomically(path: Path, text: str) -> None:
    """Written then renamed: a killed run leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def deliveries(feeds_root: Path, years: list[int], digests: FileDigests) -> dict[str, str] | None:
    """'<year>/<feed>' -> sha256 of the delivered file, or "absent" (None: a year's files conflict)."""
    from orchestration.feeds.contract import FEEDS
    from orchestration.feeds.loader import DeliveryRefused, find_deliveries

    out = {}
    for year in years:
        try:
            files = find_deliveries(feeds_root, year)
        except DeliveryRefused:
            return None
        for feed in FEEDS:
            path = files.get(feed.name)
            out[f"{year}/{feed.name}"] = digests.sha256(path.resolve()) if path else "absent"
    digests.save()
    return out


@dataclass
class RunQuestion:
    """What a whole run asks: is the last publication current for these deliveries and parameters?"""
    home: Path                      # DAGSTER_HOME: the storage read, where the note and digests live
    feeds_root: Path
    years: list[int]
    audit_seed: int
    accept: list[str]
    reason: str
    digests: FileDigests = field(init=False)
    delivered: dict[str, str] | None = field(init=False)   # deliveries(), read once per run

    def __post_init__(self):
        self.digests = FileDigests(self.home)
        self.delivered = deliveries(self.feeds_root, self.years, self.digests)

    def _inputs(self) -> str | None:
        """Digest of the run's inputs as they are now (None: no shortcut possible)."""
        published = settings.published_path()
        if self.delivered is None or not published.is_file():
            return None
        parts = {"code": code_fingerprint(), "deliveries": self.delivered, "years": sorted(self.years),
                 "audit_seed": self.audit_seed, "accept": sorted(self.accept),
                 "reason": self.reason if self.accept else "", "published": self.digests.sha256(published),
                 "paths": [str(p) for p in (settings.data_dir().resolve(), settings.warehouse_path(), published,
                                            Path(self.feeds_root).resolve())]}
        self.digests.save()
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def _key(self) -> str | None:
        """The inputs together with the present state of Dagster's storage (None: no shortcut)."""
        inputs = self._inputs()
        state = _storage_state(self.home) if inputs else None
        return hashlib.sha256(json.dumps([inputs, state]).encode()).hexdigest() if state else None

    def recorded_answer(self) -> str | None:
        """The run id of the publication an earlier run found current on exactly this key."""
        run_key = self._key()
        if run_key is None:
            return None
        try:
            note = json.loads((self.home / NOTE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return note.get("run_id") if isinstance(note, dict) and note.get("key") == run_key else None

    def ask_dagster(self, instance) -> str | None:
        """Dagster's answer (run_inputs.current_publication): the current publication's run id, or
        None; when current, the note for the next run, on the storage and files as they are now."""
        from orchestration import run_inputs

        current = run_inputs.current_publication(instance, self.delivered, self.audit_seed, self.accept,
                                                 self.reason, settings.published_path())
        if current is None:
            return None
        run_key = self._key()
        if run_key is not None:
            _write_atomically(self.home / NOTE_NAME, json.dumps({"key": run_key, "run_id": current.run_id}))
        return current.run_id
