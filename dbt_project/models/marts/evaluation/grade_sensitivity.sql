{#- Public mart: how far each graded subject is from a grade boundary (issue #12 "near the cut").
    R-GRADE-1 boundaries are the rank blocks of the initial grade within (year, county, category):
    ranks_to_better_grade = places to climb into the better grade's block, points_to_better_grade =
    total score the subject lacks to reach the last subject of that block (0 = a tie broken by
    tax_per_mu / subject_id); ranks_ / points_to_worse_grade = places it can lose and its lead over
    the first subject of the worse block. Null where no such block exists (top or bottom of the group).
    R-GRADE-2 / R-GRADE-4 floors: tax_per_mu minus the floor (negative = below it by that many
    万元/亩, i.e. the tax per mu needed to cross it). Margins from policy_near_cut_margins (DEFAULT 1
    point, 0.5 万元/亩). Portable SQL. -#}

with graded as (
    select year, subject_id, county_code, category, total_score, tax_per_mu, rank_in_group, group_size,
           initial_grade, grade
    from {{ ref('int_grades') }}
),

keys as (
    select year, subject_id, public_subject_id, subject_key
    from {{ ref('int_subject_keys') }}
),

blocks as (
    -- the rank block of each initial grade in its group
    select year, county_code, category, initial_grade,
           min(rank_in_group) as first_rank, max(rank_in_group) as last_rank
    from graded
    group by year, county_code, category, initial_grade
),

thresholds as (
    select year, tax_per_mu_floor_d, tax_per_mu_floor_ab,
           tax_per_mu_floor_d_version, tax_per_mu_floor_ab_version
    from {{ policy_params_for_year('policy_grade_thresholds', ['tax_per_mu_floor_d', 'tax_per_mu_floor_ab']) }} as t
),

margins as (
    select year, score_margin_points, tax_margin_wan_per_mu, score_margin_points_version
    from {{ policy_params_for_year('policy_near_cut_margins', ['score_margin_points', 'tax_margin_wan_per_mu']) }} as m
),

measured as (
    select
        graded.*,
        case when blocks.first_rank > 1 then graded.rank_in_group - blocks.first_rank + 1 end
            as ranks_to_better_grade,
        case when blocks.first_rank > 1 then above.total_score - graded.total_score end
            as points_to_better_grade,
        case when blocks.last_rank < graded.group_size then blocks.last_rank - graded.rank_in_group + 1 end
            as ranks_to_worse_grade,
        case when blocks.last_rank < graded.group_size then graded.total_score - below.total_score end
            as points_to_worse_grade
    from graded
    inner join blocks
        on blocks.year = graded.year and blocks.county_code = graded.county_code
        and blocks.category = graded.category and blocks.initial_grade = graded.initial_grade
    left join graded as above
        on above.year = graded.year and above.county_code = graded.county_code
        and above.category = graded.category and above.rank_in_group = blocks.first_rank - 1
    left join graded as below
        on below.year = graded.year and below.county_code = graded.county_code
        and below.category = graded.category and below.rank_in_group = blocks.last_rank + 1
),

flagged as (
    select
        measured.*,
        thresholds.tax_per_mu_floor_d,
        thresholds.tax_per_mu_floor_ab,
        measured.tax_per_mu - thresholds.tax_per_mu_floor_d as tax_per_mu_vs_floor_d,
        measured.tax_per_mu - thresholds.tax_per_mu_floor_ab as tax_per_mu_vs_floor_ab,
        margins.score_margin_points,
        margins.tax_margin_wan_per_mu,
        coalesce(measured.points_to_better_grade <= margins.score_margin_points, false)
            or coalesce(measured.points_to_worse_grade <= margins.score_margin_points, false) as near_grade_cut,
        coalesce(abs(measured.tax_per_mu - thresholds.tax_per_mu_floor_d) <= margins.tax_margin_wan_per_mu, false)
            or coalesce(abs(measured.tax_per_mu - thresholds.tax_per_mu_floor_ab) <= margins.tax_margin_wan_per_mu, false)
            as near_tax_floor,
        thresholds.tax_per_mu_floor_d_version || ', ' || thresholds.tax_per_mu_floor_ab_version
            || ', ' || margins.score_margin_points_version as policy_version
    from measured
    inner join thresholds on thresholds.year = measured.year
    inner join margins on margins.year = measured.year
)

select
    cast(flagged.year as integer) as year,
    cast(keys.public_subject_id as {{ dbt.type_string() }}) as subject_id,
    cast(keys.subject_key as {{ dbt.type_string() }}) as subject_key,
    cast(flagged.county_code as {{ dbt.type_string() }}) as county_code,
    cast(flagged.category as {{ dbt.type_string() }}) as category,
    cast(flagged.total_score as double) as total_score,
    cast(flagged.rank_in_group as integer) as rank_in_group,
    cast(flagged.group_size as integer) as group_size,
    cast(flagged.initial_grade as {{ dbt.type_string() }}) as initial_grade,
    cast(flagged.grade as {{ dbt.type_string() }}) as grade,
    cast(flagged.points_to_better_grade as double) as points_to_better_grade,
    cast(flagged.ranks_to_better_grade as integer) as ranks_to_better_grade,
    cast(flagged.points_to_worse_grade as double) as points_to_worse_grade,
    cast(flagged.ranks_to_worse_grade as integer) as ranks_to_worse_grade,
    cast(flagged.tax_per_mu as double) as tax_per_mu,
    cast(flagged.tax_per_mu_floor_d as double) as tax_per_mu_floor_d,
    cast(flagged.tax_per_mu_vs_floor_d as double) as tax_per_mu_vs_floor_d,
    cast(flagged.tax_per_mu_floor_ab as double) as tax_per_mu_floor_ab,
    cast(flagged.tax_per_mu_vs_floor_ab as double) as tax_per_mu_vs_floor_ab,
    cast(flagged.score_margin_points as double) as score_margin_points,
    cast(flagged.tax_margin_wan_per_mu as double) as tax_margin_wan_per_mu,
    flagged.near_grade_cut,
    flagged.near_tax_floor,
    (flagged.near_grade_cut or flagged.near_tax_floor) as near_cut,
    cast(flagged.policy_version as {{ dbt.type_string() }}) as policy_version
from flagged
inner join keys on keys.year = flagged.year and keys.subject_id = flagged.subject_id
