{#- Indicator columns each pool can be scored on; seed leader_indicators picks per list. -#}
{%- set enterprise_indicators = [
    'tax_per_mu', 'value_added_per_mu', 'labour_productivity', 'energy_productivity',
    'emission_productivity', 'rd_intensity', 'revenue_per_mu', 'tax_wan'] -%}
{%- set park_indicators = [
    'tax_per_mu', 'output_per_mu', 'value_added_per_mu', 'labour_productivity', 'rd_intensity',
    'energy_productivity', 'output_per_employee', 'output_per_tce', 'investment_per_mu',
    'factor_density', 'patents_per_10k_employees', 'hightech_value_added_per_mu',
    'cultivated_enterprises', 'hightech_share'] -%}
-- Long form of the scored indicators of every leader-list candidate (rules.csv §6).
-- Grain: year × list_code × candidate_id × indicator (the list's indicators, seed leader_indicators).
-- value = the indicator in Y; value_prev = the same entity's value in Y-1 (same subject_id / park_id),
-- growth = value / value_prev - 1, only where value_prev > 0 (else null: growth scores 0).
-- Only candidates (is_candidate) are scored: non-candidates never set a sector or class maximum.
with

indicator_weights as (
    select year, list_code, indicator, weight
    from {{ policy_for_year('leader_indicators') }} as i
),

enterprise_values as (
    {%- for ind in enterprise_indicators %}
    select year, subject_id as entity_id, '{{ ind }}' as indicator, cast({{ ind }} as double) as value
    from {{ ref('subject_evaluation') }}
    where subject_kind = 'enterprise'
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

park_values as (
    {%- for ind in park_indicators %}
    select year, park_id as entity_id, '{{ ind }}' as indicator, cast({{ ind }} as double) as value
    from {{ ref('int_leader_park_measures') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

candidates as (
    select year, list_code, sector as class_code, subject_id as candidate_id, 'enterprise' as pool
    from {{ ref('int_leader_enterprise_pool') }}
    where is_candidate
    union all
    select year, list_code, park_class as class_code, park_id as candidate_id, 'park' as pool
    from {{ ref('int_leader_park_pool') }}
    where is_candidate
),

entity_values as (
    select 'enterprise' as pool, year, entity_id, indicator, value from enterprise_values
    union all
    select 'park' as pool, year, entity_id, indicator, value from park_values
)

select
    cast(c.year as integer) as year,
    cast(c.list_code as {{ dbt.type_string() }}) as list_code,
    cast(c.class_code as {{ dbt.type_string() }}) as class_code,
    cast(c.candidate_id as {{ dbt.type_string() }}) as candidate_id,
    cast(w.indicator as {{ dbt.type_string() }}) as indicator,
    cast(w.weight as double) as weight,
    cast(v.value as double) as value,
    cast(p.value as double) as value_prev,
    cast(case when p.value > 0 then v.value / p.value - 1 end as double) as growth
from candidates as c
inner join indicator_weights as w
    on w.year = c.year and w.list_code = c.list_code
left join entity_values as v
    on v.pool = c.pool
    and v.year = c.year
    and v.entity_id = c.candidate_id
    and v.indicator = w.indicator
left join entity_values as p
    on p.pool = c.pool
    and p.year = c.year - 1
    and p.entity_id = c.candidate_id
    and p.indicator = w.indicator
