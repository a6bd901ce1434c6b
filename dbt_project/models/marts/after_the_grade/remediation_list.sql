{#- Public mart (issue #13, R-REMED-1): the 低效整治 list — every subject graded D (final grade) in the
    year, with how many consecutive years it has been D and its three largest shortfalls against the
    benchmarks (subject_indicator_detail: gap_share = (benchmark - max(value, 0)) / benchmark for a
    scored indicator whose value is below a positive benchmark; a null indicator is a data-quality
    finding, not a shortfall, and is left out).
    Sorted for the town that follows them up: town, longest in D first, then lowest total score;
    follow_up_order numbers the subjects within (year, town). -#}

with d_subjects as (
    select year, subject_key, subject_id, subject_name, county_code, town_code, category,
           total_score, tax_per_mu, area_mu, grade_rules_text
    from {{ ref('subject_evaluation') }}
    where grade = 'D'
),

streaks as (
    select year, subject_key, consecutive_years from {{ ref('int_grade_streaks') }}
),

gaps as (
    select
        year,
        subject_key,
        indicator,
        value,
        benchmark,
        (benchmark - case when value < 0 then 0 else value end) / benchmark as gap_share
    from {{ ref('subject_indicator_detail') }}
    where rule_id in ('R-SCORE-1', 'R-SCORE-3') and benchmark > 0 and value < benchmark
),

ranked_gaps as (
    select
        gaps.*,
        row_number() over (partition by year, subject_key order by gap_share desc, indicator) as gap_rank
    from gaps
),

wide as (
    select
        year,
        subject_key,
        {%- for n in [1, 2, 3] %}
        max(case when gap_rank = {{ n }} then indicator end) as shortfall_{{ n }}_indicator,
        max(case when gap_rank = {{ n }} then value end) as shortfall_{{ n }}_value,
        max(case when gap_rank = {{ n }} then benchmark end) as shortfall_{{ n }}_benchmark,
        max(case when gap_rank = {{ n }} then gap_share end) as shortfall_{{ n }}_gap_share{{ "," if not loop.last }}
        {%- endfor %}
    from ranked_gaps
    where gap_rank <= 3
    group by year, subject_key
)

select
    cast(d.year as integer) as year,
    cast(d.town_code as {{ dbt.type_string() }}) as town_code,
    cast(row_number() over (
        partition by d.year, d.town_code
        order by streaks.consecutive_years desc, d.total_score, d.subject_key
    ) as integer) as follow_up_order,
    cast(d.subject_key as {{ dbt.type_string() }}) as subject_key,
    cast(d.subject_id as {{ dbt.type_string() }}) as subject_id,
    cast(d.subject_name as {{ dbt.type_string() }}) as subject_name,
    cast(d.county_code as {{ dbt.type_string() }}) as county_code,
    cast(d.category as {{ dbt.type_string() }}) as category,
    cast(streaks.consecutive_years as integer) as consecutive_d_years,
    cast(d.total_score as double) as total_score,
    cast(d.tax_per_mu as double) as tax_per_mu,
    cast(d.area_mu as double) as area_mu,
    cast(d.grade_rules_text as {{ dbt.type_string() }}) as grade_rules_text,
    {%- for n in [1, 2, 3] %}
    cast(wide.shortfall_{{ n }}_indicator as {{ dbt.type_string() }}) as shortfall_{{ n }}_indicator,
    cast(wide.shortfall_{{ n }}_value as double) as shortfall_{{ n }}_value,
    cast(wide.shortfall_{{ n }}_benchmark as double) as shortfall_{{ n }}_benchmark,
    cast(wide.shortfall_{{ n }}_gap_share as double) as shortfall_{{ n }}_gap_share{{ "," if not loop.last }}
    {%- endfor %}
from d_subjects as d
inner join streaks on streaks.year = d.year and streaks.subject_key = d.subject_key
left join wide on wide.year = d.year and wide.subject_key = d.subject_key
