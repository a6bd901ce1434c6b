{#- R-SCORE-2 benchmarks per (year Y, county, category, indicator): the aggregate ratio Σ numerator /
    Σ denominator (not the mean of ratios; negative numerators enter unclamped) over the graded subjects
    (not excluded, area > 0) of the county and category in Y-1 whose indicator is non-null, grouped by
    their own Y-1 county and category; where Y-1 cannot give it (year absent, or no such subject) the
    same aggregate over Y (§8 "benchmarks"). benchmark_year says which year was used.
    R-SCORE-3: best_value_in_year = the highest value, clamped at 0, among the graded subjects of the
    county and category in Y with a non-null value (for emission_productivity exactly those with
    emission data, as equivalents > 0 is what makes it non-null). -#}

with indicators as (
    select * from {{ ref('int_indicators') }}
    where is_graded and value is not null
),

aggregates as (
    select
        year,
        county_code,
        category,
        indicator,
        {{ exact_sum('numerator') }} as numerator_sum,
        {{ exact_sum('denominator') }} as denominator_sum,
        count(*) as subjects,
        max(case when value > 0 then value else 0 end) as best_value
    from indicators
    group by year, county_code, category, indicator
),

evaluated_years as (
    select distinct year from {{ ref('int_subjects') }}
),

keys as (
    -- every (Y, county, category, indicator) that Y or Y-1 can give
    select distinct evaluated_years.year, aggregates.county_code, aggregates.category, aggregates.indicator
    from evaluated_years
    inner join aggregates
        on aggregates.year = evaluated_years.year or aggregates.year = evaluated_years.year - 1
)

select
    keys.year,
    keys.county_code,
    keys.category,
    keys.indicator,
    case when previous.year is not null then previous.year else current_year.year end as benchmark_year,
    case when previous.year is not null
         then {{ eval_safe_divide('previous.numerator_sum', 'previous.denominator_sum') }}
         else {{ eval_safe_divide('current_year.numerator_sum', 'current_year.denominator_sum') }}
    end as benchmark,
    case when previous.year is not null then previous.numerator_sum else current_year.numerator_sum end
        as numerator_sum,
    case when previous.year is not null then previous.denominator_sum else current_year.denominator_sum end
        as denominator_sum,
    case when previous.year is not null then previous.subjects else current_year.subjects end
        as benchmark_subjects,
    current_year.best_value as best_value_in_year
from keys
left join aggregates as previous
    on previous.year = keys.year - 1 and previous.county_code = keys.county_code
    and previous.category = keys.category and previous.indicator = keys.indicator
left join aggregates as current_year
    on current_year.year = keys.year and current_year.county_code = keys.county_code
    and current_year.category = keys.category and current_year.indicator = keys.indicator
