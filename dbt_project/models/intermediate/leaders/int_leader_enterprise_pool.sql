-- The pool of the enterprise leader lists (rules.csv §6, [S1] §二(六)(七)).
-- Grain: year × list_code × subject_id. Every enterprise subject of Y whose category is the list's
-- (seed leader_lists.subject_category: manufacturing = industrial_above, services = services) and
-- whose sector (§6 mapping, subject_evaluation.sector) belongs to the list (ref_sectors.leader_list).
-- is_candidate = graded (excluded_reason null) with a grade in seed leader_candidate_grades
-- (DEFAULT A, B). Non-candidates are kept (is_candidate false) so that the group de-duplication can
-- be shown to ignore them: a group whose best member is not a candidate competes with its best
-- candidate.
-- Tilt ([S1] §三(一), seed leader_tilts): tax_per_mu growth over the same subject's Y-1 row
-- (graded or not; growth needs a positive Y-1 tax_per_mu, compared at 9 decimals) and the
-- subject's county being one of the 26 加快发展县 (ref_counties.in_26_counties).
with

evaluation as (
    select * from {{ ref('subject_evaluation') }}
),

lists as (
    select year, list_code, subject_category
    from {{ policy_for_year('leader_lists') }} as l
    where list_kind = 'enterprise'
),

sectors as (
    select sector_code, name_zh as sector_name, leader_list
    from {{ ref('ref_sectors') }}
),

candidate_grades as (
    select distinct year, grade from {{ policy_for_year('leader_candidate_grades') }} as g
),

groups as (
    select year, uscc, group_root_uscc, cycle_detected
    from {{ ref('int_enterprise_group_roots') }}
),

counties as (
    select county_code, in_26_counties from {{ ref('ref_counties') }}
),

tilts as (
    {{ leader_tilt_parameters() }}
),

previous_year as (
    select year + 1 as year, subject_id, tax_per_mu as tax_per_mu_prev
    from evaluation
),

pool as (
    select
        e.year,
        l.list_code,
        e.sector,
        s.sector_name,
        e.subject_id,
        e.subject_name,
        e.county_code,
        e.grade,
        -- `grade in (candidate grades)` as a join (null grade: null, as IN gives)
        (e.excluded_reason is null and case when e.grade is not null then cg.grade is not null end) as is_candidate,
        coalesce(g.group_root_uscc, e.subject_id) as group_root_uscc,
        coalesce(g.cycle_detected, false) as group_cycle_detected,
        e.tax_wan,
        e.tax_per_mu,
        e.value_added_per_mu,
        e.labour_productivity,
        e.energy_productivity,
        e.emission_productivity,
        e.rd_intensity,
        e.revenue_per_mu,
        p.tax_per_mu_prev,
        case
            when p.tax_per_mu_prev > 0 then e.tax_per_mu / p.tax_per_mu_prev - 1
        end as tax_per_mu_growth,
        coalesce(c.in_26_counties, false) as in_26_counties
    from evaluation as e
    inner join sectors as s
        on s.sector_code = e.sector
    inner join lists as l
        on l.year = e.year
        and l.list_code = s.leader_list
        and l.subject_category = e.category
    left join candidate_grades as cg
        on cg.year = e.year
        and cg.grade = e.grade
    left join groups as g
        on g.year = e.year
        and g.uscc = e.subject_id
    left join previous_year as p
        on p.year = e.year
        and p.subject_id = e.subject_id
    left join counties as c
        on c.county_code = e.county_code
    where e.subject_kind = 'enterprise'
)

select
    cast(pool.year as integer) as year,
    cast(pool.list_code as {{ dbt.type_string() }}) as list_code,
    cast(pool.sector as {{ dbt.type_string() }}) as sector,
    cast(pool.sector_name as {{ dbt.type_string() }}) as sector_name,
    cast(pool.subject_id as {{ dbt.type_string() }}) as subject_id,
    cast(pool.subject_name as {{ dbt.type_string() }}) as subject_name,
    cast(pool.county_code as {{ dbt.type_string() }}) as county_code,
    cast(pool.grade as {{ dbt.type_string() }}) as grade,
    coalesce(pool.is_candidate, false) as is_candidate,
    cast(pool.group_root_uscc as {{ dbt.type_string() }}) as group_root_uscc,
    pool.group_cycle_detected,
    cast(pool.tax_wan as double) as tax_wan,
    cast(pool.tax_per_mu as double) as tax_per_mu,
    cast(pool.value_added_per_mu as double) as value_added_per_mu,
    cast(pool.labour_productivity as double) as labour_productivity,
    cast(pool.energy_productivity as double) as energy_productivity,
    cast(pool.emission_productivity as double) as emission_productivity,
    cast(pool.rd_intensity as double) as rd_intensity,
    cast(pool.revenue_per_mu as double) as revenue_per_mu,
    cast(pool.tax_per_mu_prev as double) as tax_per_mu_prev,
    cast(pool.tax_per_mu_growth as double) as tax_per_mu_growth,
    pool.in_26_counties,
    {{ leader_tilt_points('pool', 'tilts') }} as tilt_points
from pool
inner join tilts on tilts.year = pool.year
