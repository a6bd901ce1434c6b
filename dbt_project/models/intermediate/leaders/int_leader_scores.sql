-- Indicator scores of the leader-list candidates (rules.csv §6).
-- Grain: year × list_code × candidate_id.
-- Each indicator is scored within the candidate's sector (enterprise lists) or class (park lists):
--   level score  = share_i × clamp0(value)  / max over the class of clamp0(value)
--   growth score = share_i × clamp0(growth) / max over the class of clamp0(growth)
-- with clamp0(x) = x when x > 0 else 0 (negative and null values score 0; a class maximum ≤ 0
-- scores everyone 0) and share_i = score_scale × weight_i / Σ weights of the list (seeds
-- leader_indicators, leader_parameters; DEFAULT equal weights, scale 100).
-- indicator_score = level_share × Σ level + growth_share × Σ growth (seed leader_lists; DEFAULT
-- 1/0, high-tech zones 0.7/0.3 "绝对值与增速相结合"). A candidate without a Y-1 value has growth 0.
with

indicators as (
    select * from {{ ref('int_leader_candidate_indicators') }}
),

lists as (
    select year, list_code, level_share, growth_share
    from {{ policy_for_year('leader_lists') }} as l
),

weight_totals as (
    select year, list_code, {{ exact_sum('weight') }} as weight_total
    from {{ policy_for_year('leader_indicators') }} as i
    group by year, list_code
),

scale as (
    select year, score_scale
    from {{ policy_params_for_year('leader_parameters', ['score_scale']) }} as p
),

clamped as (
    select
        i.*,
        case when i.value > 0 then i.value else 0 end as level_clamped,
        case when i.growth > 0 then i.growth else 0 end as growth_clamped
    from indicators as i
),

maxima as (
    select
        clamped.*,
        max(level_clamped) over (partition by year, list_code, class_code, indicator) as level_max,
        max(growth_clamped) over (partition by year, list_code, class_code, indicator) as growth_max
    from clamped
),

scored as (
    select
        m.year,
        m.list_code,
        m.class_code,
        m.candidate_id,
        s.score_scale * m.weight / t.weight_total as indicator_share,
        case when m.level_max > 0 then m.level_clamped / m.level_max else 0 end as level_ratio,
        case when m.growth_max > 0 then m.growth_clamped / m.growth_max else 0 end as growth_ratio
    from maxima as m
    inner join weight_totals as t
        on t.year = m.year and t.list_code = m.list_code
    inner join scale as s on s.year = m.year
),

summed as (
    select
        year,
        list_code,
        class_code,
        candidate_id,
        {{ exact_sum('indicator_share * level_ratio') }} as level_score,
        {{ exact_sum('indicator_share * growth_ratio') }} as growth_score
    from scored
    group by year, list_code, class_code, candidate_id
)

select
    cast(s.year as integer) as year,
    cast(s.list_code as {{ dbt.type_string() }}) as list_code,
    cast(s.class_code as {{ dbt.type_string() }}) as class_code,
    cast(s.candidate_id as {{ dbt.type_string() }}) as candidate_id,
    cast(s.level_score as double) as level_score,
    cast(s.growth_score as double) as growth_score,
    cast(l.level_share * s.level_score + l.growth_share * s.growth_score as double) as indicator_score
from summed as s
inner join lists as l
    on l.year = s.year and l.list_code = s.list_code
