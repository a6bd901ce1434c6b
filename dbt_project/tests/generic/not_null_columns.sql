{#- None of the listed columns holds a null, checked in ONE scan of the model (issue #10: one dbt node
    and one Dagster check per model instead of one per column; a staging view over a 15 M-row raw
    table is read once, not once per column):
      data_tests:
        - not_null_columns:
            arguments:
              column_names: [year, uscc, amount_wan]
    A failure returns one row per column that has nulls: column_name, n_null_rows (dbt's "Got N
    results" counts the failing columns). Portable SQL (DuckDB and Spark): one aggregate, then a
    union all of one select per column. A not_null with its own config (severity, where, ...) stays
    a column-level not_null: it is a different check. -#}
{% test not_null_columns(model, column_names) %}

{%- if column_names is string or not column_names %}
    {{ exceptions.raise_compiler_error("not_null_columns on " ~ model ~ ": column_names must be a non-empty list, e.g. [year, uscc]") }}
{%- endif %}

with null_counts as (
    select
        {%- for c in column_names %}
        sum(case when {{ c }} is null then 1 else 0 end) as n_null_{{ loop.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
)

{%- for c in column_names %}
select '{{ c }}' as column_name, n_null_{{ loop.index }} as n_null_rows
from null_counts
where n_null_{{ loop.index }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}

{% endtest %}
