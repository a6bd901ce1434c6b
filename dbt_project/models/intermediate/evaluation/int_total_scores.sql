{#- Bonuses and total score of graded subjects.
    R-BONUS-1: Σ new talents × points per level (policy_talent_bonus), summed over members (split by area
    fraction), then capped at talent_bonus_cap (policy_scoring) for the subject.
    R-BONUS-2: a valid 高新技术企业 (R-HT-1) of the subject itself: + hightech_bonus (policy_bonuses).
    R-BONUS-3: a provincial water-saving enterprise or benchmark honour of the subject itself in Y:
    + water_bonus, once however many honours. Individuals get neither (§8 "what follows a merge").
    R-SCORE-5: total_score = Σ indicator scores + bonuses. -#}

with subjects as (
    select year, subject_id, subject_kind, is_hightech, has_water_honour
    from {{ ref('int_subjects') }}
    where excluded_reason is null
),

measures as (
    select year, subject_id, talent_points, new_talents
    from {{ ref('int_subject_measures') }}
),

scores as (
    select year, subject_id, {{ exact_sum('score') }} as indicator_score
    from {{ ref('int_indicator_scores') }}
    group by year, subject_id
),

bonus_rows as (
    select
        year,
        max(case when bonus = 'hightech_bonus' then cast(points as double) end) as hightech_points,
        max(case when bonus = 'water_bonus' then cast(points as double) end) as water_points,
        max(case when bonus = 'hightech_bonus' then policy_version end) as hightech_version,
        max(case when bonus = 'water_bonus' then policy_version end) as water_version
    from {{ policy_for_year('policy_bonuses') }} as b
    group by year
),

bonus_points as (
    select
        bonus_rows.*,
        caps.talent_bonus_cap as talent_cap,
        caps.talent_bonus_cap_version as talent_cap_version
    from bonus_rows
    inner join {{ policy_params_for_year('policy_scoring', ['talent_bonus_cap']) }} as caps
        on caps.year = bonus_rows.year
),

bonuses as (
    select
        subjects.year,
        subjects.subject_id,
        coalesce(measures.talent_points, 0) as talent_points,
        coalesce(measures.new_talents, 0) as new_talents,
        bonus_points.talent_cap,
        case when coalesce(measures.talent_points, 0) > bonus_points.talent_cap then bonus_points.talent_cap
             else coalesce(measures.talent_points, 0) end as talent_bonus,
        case when subjects.subject_kind = 'enterprise' and subjects.is_hightech
             then bonus_points.hightech_points else 0 end as hightech_bonus,
        case when subjects.subject_kind = 'enterprise' and subjects.has_water_honour
             then bonus_points.water_points else 0 end as water_bonus,
        coalesce(scores.indicator_score, 0) as indicator_score,
        bonus_points.talent_cap_version,
        bonus_points.hightech_version,
        bonus_points.water_version
    from subjects
    inner join bonus_points on bonus_points.year = subjects.year
    left join measures on measures.year = subjects.year and measures.subject_id = subjects.subject_id
    left join scores on scores.year = subjects.year and scores.subject_id = subjects.subject_id
)

select
    bonuses.*,
    indicator_score + talent_bonus + hightech_bonus + water_bonus as total_score
from bonuses
