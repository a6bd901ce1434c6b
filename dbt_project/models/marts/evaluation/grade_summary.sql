{#- Public mart (the public interface): graded subjects per (year, county, category, grade), at two stages:
    `initial` (R-GRADE-1 by rank) and `final` (after R-GRADE-6, 4, 5, 2, 3, 7), so grade shares before
    and after the overrides can be compared. Every grade of policy_grade_cuts appears (0 when empty);
    share = subjects / graded subjects of the (year, county, category). -#}

with graded as (
    select
        e.year, e.county_code, e.category, e.initial_grade, e.grade, e.area_mu, e.tax_wan
    from {{ ref('subject_evaluation') }} as e
    where e.excluded_reason is null
),

staged as (
    select year, county_code, category, 'initial' as stage, initial_grade as grade, area_mu, tax_wan from graded
    union all
    select year, county_code, category, 'final' as stage, grade, area_mu, tax_wan from graded
),

groups as (
    select year, county_code, category, count(*) as graded_subjects
    from graded
    group by year, county_code, category
),

grid as (
    select groups.*, stages.stage, cast(cuts.grade as {{ dbt.type_string() }}) as grade
    from groups
    cross join (select 'initial' as stage union all select 'final' as stage) as stages
    inner join {{ policy_for_year('policy_grade_cuts') }} as cuts on cuts.year = groups.year
),

counted as (
    select year, county_code, category, stage, grade,
           count(*) as subjects, {{ exact_sum('area_mu') }} as area_mu, {{ exact_sum('tax_wan') }} as tax_wan
    from staged
    group by year, county_code, category, stage, grade
)

select
    cast(grid.year as integer) as year,
    cast(grid.county_code as {{ dbt.type_string() }}) as county_code,
    cast(grid.category as {{ dbt.type_string() }}) as category,
    cast(grid.stage as {{ dbt.type_string() }}) as stage,
    cast(grid.grade as {{ dbt.type_string() }}) as grade,
    cast(coalesce(counted.subjects, 0) as integer) as subjects,
    cast(grid.graded_subjects as integer) as graded_subjects,
    cast(coalesce(counted.subjects, 0) as double) / grid.graded_subjects as share,
    cast(coalesce(counted.area_mu, 0) as double) as area_mu,
    cast(coalesce(counted.tax_wan, 0) as double) as tax_wan
from grid
left join counted
    on counted.year = grid.year and counted.county_code = grid.county_code
    and counted.category = grid.category and counted.stage = grid.stage and counted.grade = grid.grade
