-- Scored leader-list candidates with the enterprise-group de-duplication (rules.csv §6, [S1] §三(三)).
-- Grain: year × list_code × candidate_id, candidates only (is_candidate).
-- score = indicator_score + tilt_points. Order everywhere: round(score, 6) desc,
-- round(tax_per_mu, 6) desc (nulls last), candidate_id asc.
-- group_rank ranks the candidates of one enterprise group (group_root_uscc; a park is its own
-- group) within the whole list, across sectors. Only group_rank = 1 (is_group_best) can be listed:
-- the group's best CANDIDATE — a better member that is not a candidate (e.g. graded C, or outside
-- the list's sectors) is simply not in the pool and does not block the group.
with

enterprise_pool as (
    select year, list_code, sector as class_code, subject_id as candidate_id,
           group_root_uscc as group_id, tax_per_mu, tilt_points, is_candidate
    from {{ ref('int_leader_enterprise_pool') }}
),

park_pool as (
    select year, list_code, park_class as class_code, park_id as candidate_id,
           park_id as group_id, tax_per_mu, tilt_points, is_candidate
    from {{ ref('int_leader_park_pool') }}
),

pool as (
    select * from enterprise_pool
    union all
    select * from park_pool
),

candidates as (
    select
        p.year,
        p.list_code,
        p.class_code,
        p.candidate_id,
        p.group_id,
        p.tax_per_mu,
        coalesce(s.indicator_score, 0) as indicator_score,
        coalesce(p.tilt_points, 0) as tilt_points,
        coalesce(s.indicator_score, 0) + coalesce(p.tilt_points, 0) as score
    from pool as p
    left join {{ ref('int_leader_scores') }} as s
        on s.year = p.year
        and s.list_code = p.list_code
        and s.candidate_id = p.candidate_id
    where p.is_candidate
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by year, list_code, group_id
            order by round(score, 6) desc, round(tax_per_mu, 6) desc nulls last, candidate_id asc
        ) as group_rank
    from candidates
)

select
    cast(year as integer) as year,
    cast(list_code as {{ dbt.type_string() }}) as list_code,
    cast(class_code as {{ dbt.type_string() }}) as class_code,
    cast(candidate_id as {{ dbt.type_string() }}) as candidate_id,
    cast(group_id as {{ dbt.type_string() }}) as group_id,
    cast(tax_per_mu as double) as tax_per_mu,
    cast(indicator_score as double) as indicator_score,
    cast(tilt_points as double) as tilt_points,
    cast(score as double) as score,
    cast(group_rank as integer) as group_rank,
    group_rank = 1 as is_group_best
from ranked
