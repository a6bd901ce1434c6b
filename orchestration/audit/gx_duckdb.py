"""Great Expectations' own SQL execution engine on DuckDB: the reference the audit's counts are held to.

The audit counts its population suites in one DuckDB pass per batch (sql_expectations.py), because
GX's SQL engine sends several full scans per expectation (93 s for one province tax year). To make
sure those counts mean what GX means, tests/test_audit.py runs GX's own SQL engine on the same
batches through this module and requires the same verdict and unexpected count for every
expectation.

GX 1.24.1 does not work on DuckDB as shipped (great_expectations#10738, #11579; verified here):
1. every metric fails with "list index out of range": GX reads the rows of a query after the
   `with engine.connect()` block that ran it has closed the connection, and duckdb-engine's lazy
   results are gone by then. GX already keeps one persisted connection for the dialects where this
   matters (sqlite, mssql, bigquery, databricks); DuckDB is put on that list.
2. `expect_column_values_to_match_regex` raises "Regex is not supported for dialect duckdb": GX
   builds the regex predicate per dialect; DuckDB's is `regexp_full_match` (the suites' regexes are
   anchored, so full and partial match agree).
3. (not a DuckDB gap) an `unexpected_rows_expectation` computes its unexpected rows (at most
   MAX_RESULT_RECORDS) but reports them only under result_format COMPLETE, which would make every
   column expectation return all its unexpected values; under SUMMARY the first rows are kept, so
   that a duplicated key names its records in the Data Docs.
`enable()` applies all three, once per process; an upgrade of GX that changes one of these internals
fails loudly in that test.
"""
from __future__ import annotations

import importlib
import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

_REGEX_METRIC_MODULES = (
    "column_values_match_regex",
    "column_values_not_match_regex",
    "column_values_match_regex_list",
    "column_values_not_match_regex_list",
)
_enabled = False


class _DuckDBDialect(str):
    """Shaped like GX's GXSqlDialect members (a str with `.value`)."""

    @property
    def value(self) -> str:
        return str(self)


def _is_duckdb(dialect) -> bool:
    for candidate in (dialect, getattr(dialect, "dialect", None)):
        if getattr(candidate, "name", None) == "duckdb":
            return True
    return False


def enable() -> None:
    """Make GX's SQL engine usable on DuckDB (idempotent)."""
    global _enabled
    if _enabled:
        return
    import sqlalchemy as sa
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine
    from great_expectations.expectations.metrics import util

    if not any(str(d) == "duckdb" or getattr(d, "value", None) == "duckdb"
               for d in engine._PERSISTED_CONNECTION_DIALECTS):
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, _DuckDBDialect("duckdb"))

    shipped = util.get_dialect_regex_expression

    def regex_expression(column, regex, dialect, positive=True):
        if _is_duckdb(dialect):
            match = sa.func.regexp_full_match(column, sa.literal(regex))
            return match if positive else sa.not_(match)
        return shipped(column, regex, dialect, positive)

    util.get_dialect_regex_expression = regex_expression
    for name in _REGEX_METRIC_MODULES:   # they imported the function by name
        module = importlib.import_module(f"great_expectations.expectations.metrics.column_map_metrics.{name}")
        module.get_dialect_regex_expression = regex_expression
    _keep_unexpected_rows_in_summary()
    _enabled = True


UNEXPECTED_ROWS_SHOWN = 20


def _keep_unexpected_rows_in_summary() -> None:
    from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation

    shipped = UnexpectedRowsExpectation._validate

    def validate(self, metrics, runtime_configuration=None, execution_engine=None):
        out = shipped(self, metrics, runtime_configuration, execution_engine)
        result = out.get("result") if isinstance(out, dict) else None
        rows = metrics.get("unexpected_rows_query.table")
        if result is not None and "details" not in result and rows:
            result["details"] = {"unexpected_rows": list(rows)[:UNEXPECTED_ROWS_SHOWN]}
        return out

    UnexpectedRowsExpectation._validate = validate


def _close(execution_engine) -> None:
    connection = getattr(execution_engine, "_connection", None)
    if connection is not None:
        connection.close()
        execution_engine._connection = None
    execution_engine.close()


def close_datasource(datasource) -> None:
    """Release the persisted read-only connection of a datasource's engine."""
    _close(datasource.get_execution_engine())


def close_all_engines() -> int:
    """Close every GX SQL engine on DuckDB and every duckdb-engine connection in this process
    (returns the number of GX engines closed)."""
    import gc

    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    import sqlalchemy as sa
    from duckdb_engine import ConnectionWrapper

    gc.collect()
    closed = 0
    for obj in gc.get_objects():
        if isinstance(obj, SqlAlchemyExecutionEngine) and getattr(obj, "dialect_name", None) == "duckdb":
            _close(obj)
            closed += 1
        elif isinstance(obj, sa.engine.Engine) and obj.url.get_backend_name() == "duckdb":
            obj.dispose()
    # a StaticPool keeps its one DBAPI connection past dispose(); only this module uses duckdb-engine
    for obj in gc.get_objects():
        if isinstance(obj, ConnectionWrapper):
            obj.close()
    return closed
