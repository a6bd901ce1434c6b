{#- Spark target: the raw layer is the Parquet export of DuckDB's raw schema (orchestration/spark,
    a folder <table>/ of Parquet per source table under $MUJUN_SPARK_RAW). on-run-start (re)creates each
    source('raw', t) as an external table over its file, so staging reads it as on DuckDB (and a
    schema change of a feed is picked up on the next build). A no-op on other adapters. -#}
{% macro register_raw_parquet() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set raw_dir = env_var('MUJUN_SPARK_RAW', '') -%}
        {%- if not raw_dir -%}
            {{ exceptions.raise_compiler_error("MUJUN_SPARK_RAW is not set: run the Spark target through `mujun spark-build`, which exports the raw layer to Parquet first") }}
        {%- endif -%}
        {%- do run_query("create database if not exists raw") -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query("drop table if exists raw." ~ source.identifier) -%}
            {%- do run_query("create table raw." ~ source.identifier ~ " using parquet location '"
                             ~ raw_dir ~ "/" ~ source.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
