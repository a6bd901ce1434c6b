-- The leader lists (rules.csv §6): per year, list and sector/class, the best group-de-duplicated
-- candidates up to the class quota. Grain: year × list_code × candidate_id (selected only).
-- class_rank: rank within the sector/class among the group-best candidates (the place freed by a
-- de-duplicated group member goes to the next candidate of the same class).
-- list_rank: 1..n over the whole list. Order everywhere: round(score, 6) desc,
-- round(tax_per_mu, 6) desc nulls last, candidate_id asc (deterministic ties).
-- A class with fewer group-best candidates than its quota is filled as far as possible; the
-- freed seats are not redistributed (reported in marts.leaderboard_shortfalls).
with

eligible as (
    select
        c.*,
        row_number() over (
            partition by c.year, c.list_code, c.class_code
            order by round(c.score, 6) desc, round(c.tax_per_mu, 6) desc nulls last,
                     c.candidate_id asc
        ) as class_rank
    from {{ ref('int_leader_candidates_ranked') }} as c
    where c.is_group_best
),

selected as (
    select e.*, q.quota
    from eligible as e
    inner join {{ ref('int_leader_quotas') }} as q
        on q.year = e.year
        and q.list_code = e.list_code
        and q.class_code = e.class_code
    where e.class_rank <= q.quota
)

select
    cast(year as integer) as year,
    cast(list_code as {{ dbt.type_string() }}) as list_code,
    cast(
        row_number() over (
            partition by year, list_code
            order by round(score, 6) desc, round(tax_per_mu, 6) desc nulls last, candidate_id asc
        ) as integer
    ) as list_rank,
    cast(class_code as {{ dbt.type_string() }}) as class_code,
    cast(class_rank as integer) as class_rank,
    cast(quota as integer) as class_quota,
    cast(candidate_id as {{ dbt.type_string() }}) as candidate_id,
    cast(group_id as {{ dbt.type_string() }}) as group_id,
    cast(tax_per_mu as double) as tax_per_mu,
    cast(indicator_score as double) as indicator_score,
    cast(tilt_points as double) as tilt_points,
    cast(score as double) as score
from selected
