-- "亩均论英雄"改革领跑县(市、区) (rules.csv §6, [S1] §二(一), §三(三)): the counties of the
-- province's 督查激励 list (county_incentives feed of Y), "as listed" — no ranking or cut — shown
-- with the county's aggregate indicators over its graded subjects of Y (excluded_reason null):
-- aggregate ratios Σ numerator / Σ area over the graded subjects whose indicator is non-null
-- (as R-SCORE-2), subjects = graded subjects. A listed county without graded subjects has
-- subjects 0 and null indicators. Grain: year × county_code.
with

listed as (
    select distinct year, county_code
    from {{ ref('stg_province__county_incentives') }}
    where county_code is not null
),

graded as (
    select year, county_code, area_mu, tax_wan, value_added_wan, tax_per_mu, value_added_per_mu
    from {{ ref('subject_evaluation') }}
    where excluded_reason is null
),

aggregates as (
    select
        year,
        county_code,
        count(*) as subjects,
        {{ exact_sum('area_mu') }} as area_mu,
        {{ exact_sum('tax_wan') }} as tax_wan,
        {{ exact_sum('value_added_wan') }} as value_added_wan,
        {{ exact_sum('case when tax_per_mu is not null then tax_wan end') }} as tax_num,
        {{ exact_sum('case when tax_per_mu is not null then area_mu end') }} as tax_den,
        {{ exact_sum('case when value_added_per_mu is not null then value_added_wan end') }} as va_num,
        {{ exact_sum('case when value_added_per_mu is not null then area_mu end') }} as va_den
    from graded
    group by year, county_code
)

select
    cast(l.year as integer) as year,
    cast(l.county_code as {{ dbt.type_string() }}) as county_code,
    cast(c.county_name as {{ dbt.type_string() }}) as county_name,
    cast(c.city_name as {{ dbt.type_string() }}) as city_name,
    coalesce(c.in_26_counties, false) as in_26_counties,
    cast(case when a.tax_den > 0 then a.tax_num / a.tax_den end as double) as tax_per_mu,
    cast(case when a.va_den > 0 then a.va_num / a.va_den end as double) as value_added_per_mu,
    cast(coalesce(a.subjects, 0) as integer) as subjects,
    cast(a.area_mu as double) as area_mu,
    cast(a.tax_wan as double) as tax_wan,
    cast(a.value_added_wan as double) as value_added_wan
from listed as l
left join {{ ref('ref_counties') }} as c
    on c.county_code = l.county_code
left join aggregates as a
    on a.year = l.year
    and a.county_code = l.county_code
