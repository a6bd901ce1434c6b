-- 亩均效益领跑特色小镇 / 经济开发区 / 高新区 / 小微企业园 (rules.csv §6, [S1] §二(二)-(五)).
-- Grain: year × park_type × rank. All park indicators are shown for every park; the list's own
-- indicators (seed leader_indicators) are the scored ones.
with

selection as (
    select s.*
    from {{ ref('int_leader_selection') }} as s
    inner join {{ policy_for_year('leader_lists') }} as l
        on l.year = s.year and l.list_code = s.list_code
    where l.list_kind = 'park'
)

select
    cast(s.year as integer) as year,
    cast(p.list_code as {{ dbt.type_string() }}) as park_type,
    cast(s.list_rank as integer) as rank,
    cast(p.park_class as {{ dbt.type_string() }}) as park_class,
    cast(p.park_class_name as {{ dbt.type_string() }}) as park_class_name,
    cast(s.class_rank as integer) as class_rank,
    cast(s.class_quota as integer) as class_quota,
    cast(p.park_id as {{ dbt.type_string() }}) as park_id,
    cast(p.park_name as {{ dbt.type_string() }}) as park_name,
    cast(p.county_code as {{ dbt.type_string() }}) as county_code,
    cast(k.county_name as {{ dbt.type_string() }}) as county_name,
    cast(s.score as double) as score,
    cast(sc.level_score as double) as level_score,
    cast(sc.growth_score as double) as growth_score,
    cast(s.indicator_score as double) as indicator_score,
    cast(s.tilt_points as double) as tilt_points,
    cast(m.area_mu as double) as area_mu,
    cast(m.members as integer) as members,
    cast(m.members_without_subject_row as integer) as members_without_subject_row,
    cast(m.tax_per_mu as double) as tax_per_mu,
    cast(m.output_per_mu as double) as output_per_mu,
    cast(m.value_added_per_mu as double) as value_added_per_mu,
    cast(m.labour_productivity as double) as labour_productivity,
    cast(m.rd_intensity as double) as rd_intensity,
    cast(m.energy_productivity as double) as energy_productivity,
    cast(m.output_per_employee as double) as output_per_employee,
    cast(m.output_per_tce as double) as output_per_tce,
    cast(m.investment_per_mu as double) as investment_per_mu,
    cast(m.factor_density as double) as factor_density,
    cast(m.patents_per_10k_employees as double) as patents_per_10k_employees,
    cast(m.hightech_value_added_per_mu as double) as hightech_value_added_per_mu,
    cast(m.cultivated_enterprises as integer) as cultivated_enterprises,
    cast(m.hightech_share as double) as hightech_share,
    cast(p.tax_per_mu_prev as double) as tax_per_mu_prev,
    cast(p.tax_per_mu_growth as double) as tax_per_mu_growth,
    p.in_26_counties
from selection as s
inner join {{ ref('int_leader_park_pool') }} as p
    on p.year = s.year
    and p.list_code = s.list_code
    and p.park_id = s.candidate_id
inner join {{ ref('int_leader_park_measures') }} as m
    on m.year = s.year
    and m.park_id = s.candidate_id
left join {{ ref('ref_counties') }} as k
    on k.county_code = p.county_code
left join {{ ref('int_leader_scores') }} as sc
    on sc.year = s.year
    and sc.list_code = s.list_code
    and sc.candidate_id = s.candidate_id
