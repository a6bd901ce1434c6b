{#- Public mart (issue #13, R-MEASURE-1..6): the differentiated policy levers that apply to each graded
    subject-year (policy_differentiated_measures): by final grade (A/B/C/D) and category, from
    min_consecutive_years consecutive years in that grade (of several tiers of one lever the highest
    that is reached wins: a D firm for 3 years pays 0.4 元/kWh, not 0.3 + 0.4), and the [S1] §四
    incentive levers for subjects on a leader list of the year (applies_to = leader). computed_amount_yuan
    = amount × quantity where the lever has a quantity (electricity_kwh × 元/kWh = 元); null otherwise. -#}

with subjects as (
    select year, subject_key, subject_id, subject_name, county_code, town_code, category, grade,
           electricity_kwh
    from {{ ref('subject_evaluation') }}
    where grade is not null
),

streaks as (
    select * from {{ ref('int_grade_streaks') }}
),

leaders as (
    select distinct year, subject_id from {{ ref('leaderboard_enterprises') }}
),

measures as (
    -- the levers valid in each evaluated year (a new tariff is a new row, never an edit of an old one)
    select * from {{ policy_for_year('policy_differentiated_measures') }} as m
),

candidates as (
    select
        subjects.*,
        streaks.consecutive_years,
        measures.measure_id,
        measures.lever,
        measures.lever_zh,
        measures.applies_to,
        measures.min_consecutive_years,
        measures.amount,
        measures.unit,
        measures.quantity,
        measures.rule_id,
        measures.is_default,
        measures.source,
        row_number() over (
            partition by subjects.year, subjects.subject_key, measures.applies_to, measures.lever
            order by measures.min_consecutive_years desc, measures.measure_id
        ) as tier_rank
    from subjects
    inner join streaks on streaks.year = subjects.year and streaks.subject_key = subjects.subject_key
    left join leaders on leaders.year = subjects.year and leaders.subject_id = subjects.subject_id
    inner join measures
        on measures.year = subjects.year
        and (measures.category = 'all' or measures.category = subjects.category)
        and (
            (measures.applies_to = subjects.grade and streaks.consecutive_years >= measures.min_consecutive_years)
            or (measures.applies_to = 'leader' and leaders.subject_id is not null)
        )
)

select
    cast(year as integer) as year,
    cast(subject_key as {{ dbt.type_string() }}) as subject_key,
    cast(subject_id as {{ dbt.type_string() }}) as subject_id,
    cast(subject_name as {{ dbt.type_string() }}) as subject_name,
    cast(county_code as {{ dbt.type_string() }}) as county_code,
    cast(town_code as {{ dbt.type_string() }}) as town_code,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(grade as {{ dbt.type_string() }}) as grade,
    cast(consecutive_years as integer) as consecutive_years_in_grade,
    cast(measure_id as {{ dbt.type_string() }}) as measure_id,
    cast(lever as {{ dbt.type_string() }}) as lever,
    cast(lever_zh as {{ dbt.type_string() }}) as lever_zh,
    cast(applies_to as {{ dbt.type_string() }}) as applies_to,
    cast(amount as double) as amount,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(quantity as {{ dbt.type_string() }}) as quantity_name,
    cast(case when quantity = 'electricity_kwh' then electricity_kwh end as double) as quantity,
    cast(case when quantity = 'electricity_kwh' then electricity_kwh * amount end as double) as computed_amount_yuan,
    cast(rule_id as {{ dbt.type_string() }}) as rule_id,
    cast(is_default as boolean) as is_default,
    cast(source as {{ dbt.type_string() }}) as source
from candidates
where tier_rank = 1
