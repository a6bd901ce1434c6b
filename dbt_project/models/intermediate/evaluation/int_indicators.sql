{#- The eight indicators of rules.csv §4 for every subject row and year, whatever its category (§8
    "indicators"), in long form with numerator and denominator (R-SCORE-2 sums them). A zero or null
    denominator makes the indicator null. Subjects without any measure row get 0 tax, 0 electricity,
    0 energy, 0 equivalents (§8 "missing records") and null statistics. tax_per_kwh divides by
    electricity in 万kWh (kWh / 10000: the definition of 万, not a policy number). -#}

with subjects as (
    select
        year, subject_id, county_code, category, area_mu, excluded_reason
    from {{ ref('int_subjects') }}
),

measures as (
    select * from {{ ref('int_subject_measures') }}
),

base as (
    select
        subjects.year,
        subjects.subject_id,
        subjects.county_code,
        subjects.category,
        subjects.excluded_reason,
        subjects.area_mu,
        coalesce(measures.tax_wan, 0) as tax_wan,
        measures.value_added_wan,
        measures.revenue_wan,
        measures.rd_expense_wan,
        measures.avg_employees,
        coalesce(measures.energy_tce, 0) as energy_tce,
        coalesce(measures.pollution_equivalents, 0) as pollution_equivalents,
        coalesce(measures.electricity_kwh, 0) as electricity_kwh
    from subjects
    left join measures on measures.year = subjects.year and measures.subject_id = subjects.subject_id
),

long as (
    {%- set formulas = [
        ('tax_per_mu', 'tax_wan', 'area_mu'),
        ('value_added_per_mu', 'value_added_wan', 'area_mu'),
        ('energy_productivity', 'value_added_wan', 'energy_tce'),
        ('emission_productivity', 'value_added_wan', 'pollution_equivalents'),
        ('labour_productivity', 'value_added_wan', 'avg_employees'),
        ('rd_intensity', 'rd_expense_wan', 'revenue_wan'),
        ('revenue_per_mu', 'revenue_wan', 'area_mu'),
        ('tax_per_kwh', 'tax_wan', 'electricity_kwh / 10000'),
    ] %}
    {%- for name, num, den in formulas %}
    select
        year, subject_id, county_code, category, excluded_reason,
        '{{ name }}' as indicator,
        cast({{ num }} as double) as numerator,
        cast({{ den }} as double) as denominator
    from base
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    year,
    subject_id,
    county_code,
    category,
    excluded_reason is null as is_graded,
    indicator,
    numerator,
    denominator,
    {{ eval_safe_divide('numerator', 'denominator') }} as value
from long
