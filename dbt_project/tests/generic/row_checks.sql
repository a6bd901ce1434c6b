{#- Every row-level check of a model in ONE scan and one dbt node (issue #10: a dbt node and a Dagster
    check cost ~30 ms each whatever they read, and a staging view over a 15 M-row raw table is read
    once, not once per check):
      data_tests:
        - row_checks:
            name: row_checks_stg_tax__payments             # the Dagster check's name (else dbt makes one
                                                          #   of every argument: 200 characters)
            arguments:
              not_null: [year, uscc, amount_wan]          # no null in these columns
              accepted_values:                            # a non-null value is one of these (dbt's
                tax_kind: [vat, income]                   #   accepted_values, quoted)
              expressions: ["amount_wan >= 0"]            # true on every row (a null result passes)
              aggregates: ["count(*) = 90"]               # true over the whole relation (null fails)
    Each argument is optional, at least one is given. A failure returns one row per failing check:
    check_kind (not_null / accepted_values / expression / aggregate), checked (the column or the
    expression) and n_failing_rows (1 for an aggregate); dbt's "Got N results" counts the failing
    checks. A check with its own config (severity, where, meta) stays a test of its own: it is a
    different check. Portable SQL (DuckDB and Spark): one aggregate select, then a union all of one
    select per check. -#}
{% test row_checks(model, not_null=[], accepted_values={}, expressions=[], aggregates=[]) %}

{%- set checks = [] %}
{%- for c in not_null %}
    {%- do checks.append(('not_null', c, "sum(case when " ~ c ~ " is null then 1 else 0 end)")) %}
{%- endfor %}
{%- for c, values in accepted_values.items() %}
    {%- if values is string or not values %}
        {{ exceptions.raise_compiler_error("row_checks on " ~ model ~ ": accepted_values of " ~ c ~ " must be a non-empty list") }}
    {%- endif %}
    {%- set quoted = [] %}
    {%- for v in values %}{% do quoted.append("'" ~ (v | string | replace("'", "''")) ~ "'") %}{% endfor %}
    {%- do checks.append(('accepted_values', c, "sum(case when " ~ c ~ " not in (" ~ quoted | join(', ') ~ ") then 1 else 0 end)")) %}
{%- endfor %}
{%- for e in expressions %}
    {%- do checks.append(('expression', e, "sum(case when not (" ~ e ~ ") then 1 else 0 end)")) %}
{%- endfor %}
{%- for e in aggregates %}
    {%- do checks.append(('aggregate', e, "case when (" ~ e ~ ") then 0 else 1 end")) %}
{%- endfor %}
{%- if not checks or not_null is string or expressions is string or aggregates is string %}
    {{ exceptions.raise_compiler_error("row_checks on " ~ model ~ ": give not_null, accepted_values, expressions or aggregates as lists, e.g. not_null: [year, uscc]") }}
{%- endif %}

with failing_counts as (
    select
        {%- for kind, checked, failing in checks %}
        {{ failing }} as n_failing_{{ loop.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
)

{%- for kind, checked, failing in checks %}
select '{{ kind }}' as check_kind, '{{ checked | replace("'", "''") }}' as checked, n_failing_{{ loop.index }} as n_failing_rows
from failing_counts
where n_failing_{{ loop.index }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}

{% endtest %}
