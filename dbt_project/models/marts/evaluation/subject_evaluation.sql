{#- Public mart (the public interface): one row per candidate subject and year (§8 "rows of subject_evaluation"),
    with measures, the eight indicators, scores, bonuses, rank and grades. Person ids (individual subjects,
    R-SUBJ-5) are masked: first 6 + '********' + last 4; the unmasked id never leaves intermediate.
    Excluded rows keep measures and indicators with null scores, bonuses, rank and grades.
    grade_rules is a list (VARCHAR[] on DuckDB, ARRAY<STRING> on Spark: macros/portable/lists.sql); grade_rules_text is the
    same list comma-joined for other clients. -#}
{%- set indicators = ['tax_per_mu', 'value_added_per_mu', 'energy_productivity', 'emission_productivity',
                      'labour_productivity', 'rd_intensity', 'revenue_per_mu', 'tax_per_kwh'] -%}

with subjects as (
    select * from {{ ref('int_subjects') }}
),

measures as (
    select * from {{ ref('int_subject_measures') }}
),

indicator_values as (
    select
        year,
        subject_id,
        {%- for i in indicators %}
        max(case when indicator = '{{ i }}' then value end) as {{ i }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_indicators') }}
    group by year, subject_id
),

indicator_scores as (
    select
        year,
        subject_id,
        {%- for i in indicators %}
        max(case when indicator = '{{ i }}' then score end) as {{ i }}_score{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_indicator_scores') }}
    group by year, subject_id
),

bonuses as (
    select * from {{ ref('int_total_scores') }}
),

grades as (
    select * from {{ ref('int_grades') }}
),

subject_keys as (
    select * from {{ ref('int_subject_keys') }}
)

select
    cast(subjects.year as integer) as year,
    subject_keys.public_subject_id as subject_id,
    subject_keys.subject_key,
    cast(subjects.subject_name as {{ dbt.type_string() }}) as subject_name,
    cast(subjects.subject_kind as {{ dbt.type_string() }}) as subject_kind,
    cast(subjects.county_code as {{ dbt.type_string() }}) as county_code,
    cast(subjects.town_code as {{ dbt.type_string() }}) as town_code,
    cast(subjects.category as {{ dbt.type_string() }}) as category,
    cast(subjects.sector as {{ dbt.type_string() }}) as sector,
    cast(subjects.industry_division as {{ dbt.type_string() }}) as industry_division,
    cast(subjects.parent_uscc as {{ dbt.type_string() }}) as parent_uscc,
    cast(subjects.above_scale as boolean) as above_scale,
    cast(subjects.is_hightech as boolean) as is_hightech,
    cast(coalesce(measures.has_emission_data, false) as boolean) as has_emission_data,
    -- measures (万元, 亩, tce, 当量, persons, kWh)
    cast(subjects.area_mu as double) as area_mu,
    cast(coalesce(measures.tax_wan, 0) as double) as tax_wan,
    cast(measures.value_added_wan as double) as value_added_wan,
    cast(measures.revenue_wan as double) as revenue_wan,
    cast(measures.output_wan as double) as output_wan,
    cast(measures.rd_expense_wan as double) as rd_expense_wan,
    cast(coalesce(measures.energy_tce, 0) as double) as energy_tce,
    cast(coalesce(measures.pollution_equivalents, 0) as double) as pollution_equivalents,
    cast(measures.avg_employees as double) as avg_employees,
    cast(coalesce(measures.electricity_kwh, 0) as double) as electricity_kwh,
    cast(coalesce(measures.new_talents, 0) as double) as new_talents,
    -- indicators (rules.csv §4)
    {%- for i in indicators %}
    cast(indicator_values.{{ i }} as double) as {{ i }},
    {%- endfor %}
    -- scores (null when excluded or not scored for the category)
    {%- for i in indicators %}
    cast(indicator_scores.{{ i }}_score as double) as {{ i }}_score,
    {%- endfor %}
    cast(bonuses.talent_bonus as double) as talent_bonus,
    cast(bonuses.hightech_bonus as double) as hightech_bonus,
    cast(bonuses.water_bonus as double) as water_bonus,
    cast(bonuses.total_score as double) as total_score,
    cast(grades.rank_in_group as integer) as rank_in_group,
    cast(grades.group_size as integer) as group_size,
    cast(grades.initial_grade as {{ dbt.type_string() }}) as initial_grade,
    cast(grades.grade as {{ dbt.type_string() }}) as grade,
    -- a list column (DuckDB VARCHAR[], Spark ARRAY<STRING>): macros/portable/lists.sql
    case when grades.subject_id is not null then {{ string_list_from_csv('grades.grade_rules_text') }} end as grade_rules,
    cast(grades.grade_rules_text as {{ dbt.type_string() }}) as grade_rules_text,
    cast(subjects.excluded_reason as {{ dbt.type_string() }}) as excluded_reason
from subjects
left join measures on measures.year = subjects.year and measures.subject_id = subjects.subject_id
left join indicator_values
    on indicator_values.year = subjects.year and indicator_values.subject_id = subjects.subject_id
left join indicator_scores
    on indicator_scores.year = subjects.year and indicator_scores.subject_id = subjects.subject_id
left join bonuses on bonuses.year = subjects.year and bonuses.subject_id = subjects.subject_id
left join grades on grades.year = subjects.year and grades.subject_id = subjects.subject_id
left join subject_keys on subject_keys.year = subjects.year and subject_keys.subject_id = subjects.subject_id
