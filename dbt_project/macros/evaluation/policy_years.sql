{#- Policy rules belong to the evaluation years they were written for. Every policy seed row carries
    valid_from_year / valid_to_year (inclusive; empty = open-ended); a model reads a seed only through
    policy_for_year, which pairs each evaluated year (int_evaluation_years) with the rows valid in it,
    so adding next year's rows never re-grades an earlier year. policy_version names the row range
    that produced a number, e.g. `policy_indicator_weights@2022-` (shown in subject_indicator_detail
    and by `mujun explain`). Portable SQL. -#}

{% macro policy_version_label(seed, alias) -%}
    ('{{ seed }}@' || coalesce(cast({{ alias }}.valid_from_year as {{ dbt.type_string() }}), '')
        || '-' || coalesce(cast({{ alias }}.valid_to_year as {{ dbt.type_string() }}), ''))
{%- endmacro %}

{#- The rows of `seed` valid in each evaluated year, as a subquery with the seed's columns plus
    `year` and `policy_version`. `year_column` names the year column the caller joins on. -#}
{% macro policy_for_year(seed, year_column='year') -%}
    {%- if execute and flags.WHICH in ('run', 'build') and model.resource_type != 'unit_test' -%}
        {%- do policy_require(seed) -%}
    {%- endif -%}
    (
        select
            cast(evaluated.year as integer) as {{ year_column }},
            policy_row.*,
            {{ policy_version_label(seed, 'policy_row') }} as policy_version
        from {{ ref('int_evaluation_years') }} as evaluated
        inner join {{ ref(seed) }} as policy_row
            on (policy_row.valid_from_year is null or policy_row.valid_from_year <= evaluated.year)
            and (policy_row.valid_to_year is null or policy_row.valid_to_year >= evaluated.year)
    )
{%- endmacro %}

{#- Scalar (parameter, value) seeds: one row per evaluated year, one column per parameter, and
    `<parameter>_version` naming the seed rows used. -#}
{% macro policy_params_for_year(seed, parameters, year_column='year') -%}
    {%- if execute and flags.WHICH in ('run', 'build') and model.resource_type != 'unit_test' -%}
        {%- do policy_require(seed, parameters) -%}
    {%- endif -%}
    (
        select
            cast(evaluated.year as integer) as {{ year_column }}
            {%- for name in parameters %},
            max(case when policy_row.parameter = '{{ name }}' then cast(policy_row.value as double) end) as {{ name }},
            max(case when policy_row.parameter = '{{ name }}' then {{ policy_version_label(seed, 'policy_row') }} end)
                as {{ name }}_version
            {%- endfor %}
        from {{ ref('int_evaluation_years') }} as evaluated
        inner join {{ ref(seed) }} as policy_row
            on (policy_row.valid_from_year is null or policy_row.valid_from_year <= evaluated.year)
            and (policy_row.valid_to_year is null or policy_row.valid_to_year >= evaluated.year)
        group by evaluated.year
    )
{%- endmacro %}

{#- The key column(s) of each policy seed (one row per key and year) and the keys every year needs.
    A year missing a required key, or holding two rows of one key (overlapping year ranges), stops the
    build naming the seed, the key and the year. -#}
{% macro policy_seed_keys(seed) -%}
    {%- set keys = {
        'policy_indicator_weights': {'key': ['category', 'indicator'], 'required_column': 'category',
                                     'required': ['industrial_above', 'industrial_below', 'services']},
        'policy_scoring': {'key': ['parameter'], 'required_column': 'parameter', 'required': []},
        'policy_grade_thresholds': {'key': ['parameter'], 'required_column': 'parameter', 'required': []},
        'policy_talent_bonus': {'key': ['talent_level'], 'required_column': 'talent_level', 'required': []},
        'policy_bonuses': {'key': ['bonus'], 'required_column': 'bonus', 'required': ['hightech_bonus', 'water_bonus']},
        'policy_grade_cuts': {'key': ['grade'], 'required_column': 'grade', 'required': ['D']},
        'policy_counted_land_uses': {'key': ['land_use'], 'required_column': 'land_use', 'required': []},
        'policy_merged_tenant_types': {'key': ['tenant_type'], 'required_column': 'tenant_type', 'required': []},
        'policy_near_cut_margins': {'key': ['parameter'], 'required_column': 'parameter',
                                    'required': ['score_margin_points', 'tax_margin_wan_per_mu']},
        'leader_lists': {'key': ['list_code'], 'required_column': 'list_code', 'required': []},
        'leader_list_classes': {'key': ['list_code', 'class_code'], 'required_column': 'list_code', 'required': []},
        'leader_candidate_grades': {'key': ['grade'], 'required_column': 'grade', 'required': []},
        'leader_indicators': {'key': ['list_code', 'indicator'], 'required_column': 'list_code', 'required': []},
        'leader_tilts': {'key': ['tilt_code'], 'required_column': 'tilt_code', 'required': []},
        'leader_parameters': {'key': ['parameter'], 'required_column': 'parameter', 'required': []},
        'audit_parameters': {'key': ['parameter'], 'required_column': 'parameter', 'required': []},
        'publication_gates': {'key': ['parameter'], 'required_column': 'parameter', 'required': []},
        'publication': {'key': ['level'], 'required_column': 'level', 'required': []},
        'policy_publication_stages': {'key': ['parameter'], 'required_column': 'parameter',
                                      'required': ['publicity_days']},
        'policy_differentiated_measures': {'key': ['measure_id'], 'required_column': 'measure_id', 'required': []},
        'policy_chain_walk': {'key': ['parameter'], 'required_column': 'parameter', 'required': ['max_links']},
    } -%}
    {{ return(keys.get(seed, {'key': [], 'required_column': none, 'required': []})) }}
{%- endmacro %}

{% macro policy_require(seed, parameters=[]) -%}
    {%- set spec = policy_seed_keys(seed) -%}
    {%- set required = (spec['required'] + parameters) | unique | list -%}
    {%- set applies -%}
        (p.valid_from_year is null or p.valid_from_year <= y.year)
        and (p.valid_to_year is null or p.valid_to_year >= y.year)
    {%- endset -%}
    {%- if required and spec['required_column'] -%}
        {%- set sql -%}
            select y.year, k.required_key
            from {{ ref('int_evaluation_years') }} as y
            cross join (
                {%- for key in required %}
                select '{{ key }}' as required_key{% if not loop.last %} union all{% endif %}
                {%- endfor %}
            ) as k
            where not exists (
                select 1 from {{ ref(seed) }} as p
                where cast(p.{{ spec['required_column'] }} as {{ dbt.type_string() }}) = k.required_key
                  and {{ applies }}
            )
            order by y.year, k.required_key
        {%- endset -%}
        {%- set missing = run_query(sql) -%}
        {%- if missing.rows | length > 0 -%}
            {%- set r = missing.rows[0] -%}
            {{ exceptions.raise_compiler_error(
                "policy seed " ~ seed ~ " (seeds/policy/" ~ seed ~ ".csv) has no row for "
                ~ spec['required_column'] ~ " '" ~ r[1] ~ "' valid in evaluation year " ~ r[0]
                ~ " (" ~ (missing.rows | length) ~ " such gap(s)): add a row whose valid_from_year/valid_to_year cover "
                ~ r[0] ~ ", or leave both empty for every year") }}
        {%- endif -%}
    {%- endif -%}
    {%- if spec['key'] -%}
        {%- set key_cols = [] -%}
        {%- for c in spec['key'] %}{% do key_cols.append('cast(p.' ~ c ~ ' as ' ~ dbt.type_string() ~ ')') %}{% endfor -%}
        {%- set sql -%}
            select y.year, {{ key_cols | join(" || '/' || ") }} as policy_key, count(*) as n
            from {{ ref('int_evaluation_years') }} as y
            inner join {{ ref(seed) }} as p on {{ applies }}
            group by y.year, {{ key_cols | join(" || '/' || ") }}
            having count(*) > 1
            order by 1, 2
        {%- endset -%}
        {%- set doubled = run_query(sql) -%}
        {%- if doubled.rows | length > 0 -%}
            {%- set r = doubled.rows[0] -%}
            {{ exceptions.raise_compiler_error(
                "policy seed " ~ seed ~ " (seeds/policy/" ~ seed ~ ".csv) has " ~ r[2] ~ " rows for "
                ~ (spec['key'] | join('/')) ~ " '" ~ r[1] ~ "' valid in evaluation year " ~ r[0]
                ~ ": their valid_from_year/valid_to_year ranges overlap; close the older row (valid_to_year) before the new one starts") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
