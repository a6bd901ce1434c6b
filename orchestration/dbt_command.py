"""`mujun-dbt`: dbt's own command line, with partial parsing that survives a new data dir.

dbt reuses its last parse (partial_parse.msgpack) only when the profile's connection info is the
one it saved. Ours names where the warehouse file and its spill folder are (`path`,
`config_options`), so every fresh data dir (a first run, each test, the benchmark) parsed the whole
project again: 7 CPU-s against 2.9 for a partial parse. Neither value can change what dbt parses:
the relation names come from `database` (the file's stem), which stays in the check, and no model
or macro reads `target.path` or the DuckDB settings. Every dbt command mujun runs goes through
here, so the saved state and the check are always computed the same way.
"""
from __future__ import annotations

import os
import pprint
import sys
from pathlib import Path

# Connection keys that say where the warehouse lives on this machine, not what the project is.
LOCATION_KEYS = frozenset({"path", "config_options"})


def executable() -> str:
    """The venv's `mujun-dbt` (a subprocess command: dagster-dbt and our own calls)."""
    return str(Path(sys.executable).parent / "mujun-dbt")


def _without_location(loader_cls) -> None:
    from dbt.contracts.files import FileHash

    build = loader_cls.build_manifest_state_check

    def build_manifest_state_check(self):
        check = build(self)
        keys = sorted((k, v) for k, v in self.root_project.credentials.connection_info() if k not in LOCATION_KEYS)
        check.profile_hash = FileHash.from_contents(pprint.pformat(keys))
        return check

    loader_cls.build_manifest_state_check = build_manifest_state_check


# Commands that write manifest.json when they finish (with their run_results.json): the copy dbt
# also writes right after parsing is the same manifest, written ~0.7 CPU-s earlier.
RUNNABLE_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot"})


def _command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _manifest_written_once(requires_module) -> None:
    import inspect

    parse = requires_module.parse_manifest
    signature = inspect.signature(parse)

    def parse_manifest(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.arguments["write"] = False   # write_json stays: the end of the command writes it
        return parse(*bound.args, **bound.kwargs)

    requires_module.parse_manifest = parse_manifest


def main() -> int:
    import dbt.cli.requires
    from dbt.cli.main import cli
    from dbt.parser.manifest import ManifestLoader

    from orchestration.process_exit import freeze_heap_before_exit

    _without_location(ManifestLoader)
    # dbt's debug file log (dbt.log) writes every query twice over; the node log is in the run log,
    # the SQL in target/compiled and target/run. Here, not in the runs' environment only: a command
    # typed by hand and the benchmark measure what a run does. DBT_LOG_LEVEL_FILE=debug brings it back.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")
    if _command(sys.argv[1:]) in RUNNABLE_COMMANDS:
        _manifest_written_once(dbt.cli.requires)
    try:
        return cli()
    finally:
        freeze_heap_before_exit()


if __name__ == "__main__":
    sys.exit(main())
