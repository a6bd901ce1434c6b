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
              unique: [[year, uscc]]                      # each combination identifies a row (rows
                                                          #   with a null in it are not compared)
    Each argument is optional, at least one is given. A failure returns one row per failing check:
    check_kind (not_null / accepted_values / expression / aggregate / unique), checked (the column,
    the expression or the combination) and n_failing_rows (1 for an aggregate; for unique, the rows
    that share their combination with another row); dbt's "Got N results" counts the failing
    checks. (A grain check was a unique_combination test of its own, ~40 ms of dbt and a Dagster
    check each, 70 of them: now it is one more select of the model's row_checks.) A check with its own config (severity, where, meta) stays a test of its own: it is a
    different check. Portable SQL (DuckDB and Spark): one aggregate select, then a union all of one
    select per check. -#}
{% test row_checks(model, not_null=[], accepted_values={}, expressions=[], aggregates=[], unique=[]) %}

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
{%- for combination in unique %}
    {%- if combination is string or not combination %}
        {{ exceptions.raise_compiler_error("row_checks on " ~ model ~ ": unique is a list of column lists, e.g. unique: [[year, uscc]]") }}
    {%- endif %}
{%- endfor %}
{%- if not (checks or unique) or not_null is string or expressions is string or aggregates is string or unique is string %}
    {{ exceptions.raise_compiler_error("row_checks on " ~ model ~ ": give not_null, accepted_values, expressions, aggregates or unique as lists, e.g. not_null: [year, uscc]") }}
{%- endif %}

with
{%- if checks %}
failing_counts as (
    select
        {%- for kind, checked, failing in checks %}
        {{ failing }} as n_failing_{{ loop.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
){% if unique %},{% endif %}
{%- endif %}
{%- for combination in unique %}
duplicated_{{ loop.index }} as (
    select coalesce(sum(n_rows), 0) as n_failing
    from (
        select count(*) as n_rows
        from {{ model }}
        where {% for c in combination %}{{ c }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
        group by {{ combination | join(', ') }}
        having count(*) > 1
    ) as duplicate_keys
){% if not loop.last %},{% endif %}
{%- endfor %}

{%- for kind, checked, failing in checks %}
select '{{ kind }}' as check_kind, '{{ checked | replace("'", "''") }}' as checked, n_failing_{{ loop.index }} as n_failing_rows
from failing_counts
where n_failing_{{ loop.index }} > 0
{% if not loop.last or unique %}union all{% endif %}
{%- endfor %}
{%- for combination in unique %}
select 'unique' as check_kind, '{{ combination | join(', ') }}' as checked, n_failing as n_failing_rows
from duplicated_{{ loop.index }}
where n_failing > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}

{% endtest %}
