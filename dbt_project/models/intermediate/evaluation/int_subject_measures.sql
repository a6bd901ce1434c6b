{#- Additive measures of each subject and year: Σ over its members (int_subject_membership) of each
    member's measure × its fraction (R-SUBJ-3/4/5/6/9, §8 "what follows a merge": tax, restorations,
    output, value added, revenue, R&D, employees, electricity, energy (R-ENERGY-1 already applied per
    enterprise), emissions, talents). A statistics measure is null only when no contributor has a
    statistics row (sum over non-null contributions). R-EMIT-1 after merging: has_emission_data = some
    contributor has emission rows and the merged equivalents are > 0. avg_employees may be fractional. -#}

with membership as (
    select * from {{ ref('int_subject_membership') }}
),

measures as (
    select * from {{ ref('int_enterprise_measures') }}
),

summed as (
    select
        membership.year,
        membership.subject_id,
        count(*) as contributors,
        sum(case when membership.member_id <> membership.subject_id then 1 else 0 end) as merged_members,
        {{ exact_sum('measures.tax_paid_wan * membership.fraction') }} as tax_paid_wan,
        {{ exact_sum('measures.tax_restored_wan * membership.fraction') }} as tax_restored_wan,
        {{ exact_sum('measures.tax_wan * membership.fraction') }} as tax_wan,
        {{ exact_sum('measures.output_wan * membership.fraction') }} as output_wan,
        {{ exact_sum('measures.value_added_wan * membership.fraction') }} as value_added_wan,
        {{ exact_sum('measures.revenue_wan * membership.fraction') }} as revenue_wan,
        {{ exact_sum('measures.rd_expense_wan * membership.fraction') }} as rd_expense_wan,
        {{ exact_sum('measures.hightech_value_added_wan * membership.fraction') }} as hightech_value_added_wan,
        {{ exact_sum('measures.avg_employees * membership.fraction') }} as avg_employees,
        {{ exact_sum('measures.electricity_kwh * membership.fraction') }} as electricity_kwh,
        {{ exact_sum('measures.energy_tce * membership.fraction') }} as energy_tce,
        {{ exact_sum('measures.pollution_equivalents * membership.fraction') }} as pollution_equivalents,
        {{ dbt.bool_or('measures.has_emission_rows and membership.fraction > 0') }} as any_emission_rows,
        {{ exact_sum('measures.new_talents * membership.fraction') }} as new_talents,
        {{ exact_sum('measures.talent_points * membership.fraction') }} as talent_points
    from membership
    inner join measures on measures.year = membership.year and measures.uscc = membership.member_id
    group by membership.year, membership.subject_id
)

select
    year,
    subject_id,
    contributors,
    merged_members,
    tax_paid_wan,
    tax_restored_wan,
    tax_wan,
    output_wan,
    value_added_wan,
    revenue_wan,
    rd_expense_wan,
    hightech_value_added_wan,
    avg_employees,
    electricity_kwh,
    energy_tce,
    pollution_equivalents,
    (coalesce(any_emission_rows, false) and pollution_equivalents > 0) as has_emission_data,
    new_talents,
    talent_points
from summed
