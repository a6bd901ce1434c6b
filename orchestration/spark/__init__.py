"""The scale-out path (issue #14): the same dbt models built on Spark through dbt-spark.

DuckDB stays the system of record: ingestion (validation, quarantine, ledger) writes raw.* there.
`mujun spark-build` exports that raw layer as Parquet (export.py) and runs `dbt build --target
spark` over it (build.py); the Spark tables land as Parquet under <spark-dir>/warehouse
(tables.py finds them). Nothing here publishes: the analysts' file still comes from DuckDB.
"""
