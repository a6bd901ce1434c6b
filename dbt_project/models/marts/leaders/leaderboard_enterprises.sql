-- 亩均效益领跑企业 (rules.csv §6, [S1] §二(六)(七)): the manufacturing and services leader lists.
-- Grain: year × list × rank.
with

selection as (
    select s.*
    from {{ ref('int_leader_selection') }} as s
    inner join {{ policy_for_year('leader_lists') }} as l
        on l.year = s.year and l.list_code = s.list_code
    where l.list_kind = 'enterprise'
),

pool as (
    select * from {{ ref('int_leader_enterprise_pool') }}
)

select
    cast(s.year as integer) as year,
    cast(s.list_code as {{ dbt.type_string() }}) as list,
    cast(s.list_rank as integer) as rank,
    cast(p.sector as {{ dbt.type_string() }}) as sector,
    cast(p.sector_name as {{ dbt.type_string() }}) as sector_name,
    cast(s.class_rank as integer) as sector_rank,
    cast(s.class_quota as integer) as sector_quota,
    cast(p.subject_id as {{ dbt.type_string() }}) as subject_id,
    cast(p.subject_name as {{ dbt.type_string() }}) as subject_name,
    cast(p.county_code as {{ dbt.type_string() }}) as county_code,
    cast(k.county_name as {{ dbt.type_string() }}) as county_name,
    cast(p.grade as {{ dbt.type_string() }}) as grade,
    cast(s.score as double) as score,
    cast(s.indicator_score as double) as indicator_score,
    cast(s.tilt_points as double) as tilt_points,
    cast(p.group_root_uscc as {{ dbt.type_string() }}) as group_root_uscc,
    cast(p.tax_per_mu as double) as tax_per_mu,
    cast(p.value_added_per_mu as double) as value_added_per_mu,
    cast(p.labour_productivity as double) as labour_productivity,
    cast(p.energy_productivity as double) as energy_productivity,
    cast(p.emission_productivity as double) as emission_productivity,
    cast(p.rd_intensity as double) as rd_intensity,
    cast(p.revenue_per_mu as double) as revenue_per_mu,
    cast(p.tax_wan as double) as tax_wan,
    cast(p.tax_per_mu_prev as double) as tax_per_mu_prev,
    cast(p.tax_per_mu_growth as double) as tax_per_mu_growth,
    p.in_26_counties
from selection as s
inner join pool as p
    on p.year = s.year
    and p.list_code = s.list_code
    and p.subject_id = s.candidate_id
left join {{ ref('ref_counties') }} as k
    on k.county_code = p.county_code
