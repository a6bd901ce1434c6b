{#- Rank and grade of graded subjects, rules applied in the order of rules.csv §5:
    R-GRADE-1 rank within (year, county, category) by round(total_score, 6) desc, round(tax_per_mu, 6)
      desc, unmasked subject_id asc (§8 arithmetic); r/N against policy_grade_cuts (first grade whose
      max_rank_share >= r/N; DEFAULT A 0.20, B 0.60, C 0.95, D 1.0); a group of 1 has r/N = 1;
    R-GRADE-6 a D from R-GRADE-1 of a valid 高新技术企业 (own certificate) -> C;
    R-GRADE-4 tax_per_mu < tax_per_mu_floor_ab (5) -> not A/B (C);
    R-GRADE-5 services with tax_per_mu below the industrial_above tax_per_mu benchmark of its county
      (R-SCORE-2 with its Y-1 -> Y fallback; none -> rule does not apply) -> not A/B (C);
    R-GRADE-2 tax_per_mu < tax_per_mu_floor_d (2) -> D; R-GRADE-3 unauthorized consumer-service use -> D;
    R-GRADE-7 approved adjustment (last row wins) sets the final grade.
    grade_rules lists, in that order, only the rules that changed the grade (never R-GRADE-1). -#}

with subjects as (
    select year, subject_id, county_code, category, is_hightech, is_unauthorized_consumer_service
    from {{ ref('int_subjects') }}
    where excluded_reason is null
),

totals as (
    select year, subject_id, total_score
    from {{ ref('int_total_scores') }}
),

tax_per_mu as (
    select year, subject_id, value as tax_per_mu
    from {{ ref('int_indicators') }}
    where indicator = 'tax_per_mu'
),

industrial_benchmark as (
    select year, county_code, benchmark as industrial_tax_per_mu_benchmark
    from {{ ref('int_benchmarks') }}
    where category = 'industrial_above' and indicator = 'tax_per_mu'
),

thresholds as (
    select year, tax_per_mu_floor_d as floor_d, tax_per_mu_floor_ab as floor_ab
    from {{ policy_params_for_year('policy_grade_thresholds', ['tax_per_mu_floor_d', 'tax_per_mu_floor_ab']) }} as t
),

cuts as (
    select year, cast(grade as {{ dbt.type_string() }}) as grade, cast(max_rank_share as double) as max_rank_share
    from {{ policy_for_year('policy_grade_cuts') }} as c
),

adjustments as (
    select year, subject_id, grade as adjusted_grade, approval_ref
    from (
        select
            year, subject_id, grade, approval_ref,
            row_number() over (partition by year, subject_id order by _row_number desc) as rn
        from {{ ref('int_grade_adjustments_with_appeals') }}
    ) as ranked
    where rn = 1
),

ranked as (
    select
        subjects.*,
        totals.total_score,
        tax_per_mu.tax_per_mu,
        row_number() over (
            partition by subjects.year, subjects.county_code, subjects.category
            order by round(totals.total_score, 6) desc, round(tax_per_mu.tax_per_mu, 6) desc, subjects.subject_id
        ) as rank_in_group,
        count(*) over (partition by subjects.year, subjects.county_code, subjects.category) as group_size
    from subjects
    inner join totals on totals.year = subjects.year and totals.subject_id = subjects.subject_id
    left join tax_per_mu on tax_per_mu.year = subjects.year and tax_per_mu.subject_id = subjects.subject_id
),

bands as (
    -- (lower, upper] bands of r/N per grade, in max_rank_share order
    select
        year,
        grade,
        max_rank_share,
        coalesce(lag(max_rank_share) over (partition by year order by max_rank_share), -1) as lower_share
    from cuts
),

initial as (
    select
        ranked.*,
        bands.grade as initial_grade
    from ranked
    left join bands
        on bands.year = ranked.year
        and cast(ranked.rank_in_group as double) / ranked.group_size > bands.lower_share
        and cast(ranked.rank_in_group as double) / ranked.group_size <= bands.max_rank_share
),

step_6 as (   -- R-GRADE-6
    select
        initial.*,
        case when initial_grade = 'D' and is_hightech then 'C' else initial_grade end as grade_6
    from initial
),

step_4 as (   -- R-GRADE-4
    select
        step_6.*,
        case when grade_6 in ('A', 'B') and tax_per_mu < thresholds.floor_ab then 'C' else grade_6 end as grade_4,
        thresholds.floor_d
    from step_6
    inner join thresholds on thresholds.year = step_6.year
),

step_5 as (   -- R-GRADE-5
    select
        step_4.*,
        industrial_benchmark.industrial_tax_per_mu_benchmark,
        case when grade_4 in ('A', 'B') and category = 'services'
                  and industrial_benchmark.industrial_tax_per_mu_benchmark is not null
                  and tax_per_mu < industrial_benchmark.industrial_tax_per_mu_benchmark
             then 'C' else grade_4 end as grade_5
    from step_4
    left join industrial_benchmark
        on industrial_benchmark.year = step_4.year and industrial_benchmark.county_code = step_4.county_code
),

step_2 as (   -- R-GRADE-2
    select
        step_5.*,
        case when tax_per_mu < floor_d then 'D' else grade_5 end as grade_2
    from step_5
),

step_3 as (   -- R-GRADE-3
    select
        step_2.*,
        case when is_unauthorized_consumer_service then 'D' else grade_2 end as grade_3
    from step_2
),

step_7 as (   -- R-GRADE-7
    select
        step_3.*,
        adjustments.adjusted_grade,
        adjustments.approval_ref,
        coalesce(adjustments.adjusted_grade, grade_3) as grade_7
    from step_3
    left join adjustments on adjustments.year = step_3.year and adjustments.subject_id = step_3.subject_id
),

listed as (
    select
        step_7.*,
        concat_ws(',',
            case when grade_6 <> initial_grade then 'R-GRADE-6' end,
            case when grade_4 <> grade_6 then 'R-GRADE-4' end,
            case when grade_5 <> grade_4 then 'R-GRADE-5' end,
            case when grade_2 <> grade_5 then 'R-GRADE-2' end,
            case when grade_3 <> grade_2 then 'R-GRADE-3' end,
            case when grade_7 <> grade_3 then 'R-GRADE-7' end
        ) as grade_rules_text
    from step_7
)

select
    year,
    subject_id,
    county_code,
    category,
    total_score,
    tax_per_mu,
    rank_in_group,
    group_size,
    cast(rank_in_group as double) / group_size as rank_share,
    initial_grade,
    grade_6 as grade_after_r_grade_6,
    grade_4 as grade_after_r_grade_4,
    grade_5 as grade_after_r_grade_5,
    grade_2 as grade_after_r_grade_2,
    grade_3 as grade_after_r_grade_3,
    grade_7 as grade,
    industrial_tax_per_mu_benchmark,
    adjusted_grade,
    approval_ref,
    grade_rules_text
from listed
