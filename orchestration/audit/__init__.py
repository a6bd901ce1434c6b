"""Random audit (随机抽查, rules.md §7 R-AUDIT-1..4) with Great Expectations.

Modules:
- parameters  policy numbers of the audit (seeds/policy/audit_parameters.csv → reference.audit_parameters)
- suites      the GX suites (Python definitions, written to expectations/gx/expectations/*.json)
- sampling    R-AUDIT-1 reproducible stratified sample
- batches     what each population suite validates in DuckDB: one batch per suite and data year
- gx_duckdb   GX's SQL engine made to work on DuckDB (persisted connection, regex)
- gx_runner   runs the suites in the file context, builds Data Docs, turns GX results into rows
- worklists   per-town XLSX worklists for auditors
- run         run_audit(): the whole audit, used by the Dagster multi_asset
"""
