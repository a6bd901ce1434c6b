{#- Public mart (marts.md): the explanation of every score. One row per scored indicator of each graded
    subject (value, benchmark, benchmark_year, weight, cap, score, rule_id R-SCORE-1 or R-SCORE-3), plus
    one row per bonus (indicator = talent_bonus / hightech_bonus / water_bonus; rule R-BONUS-1/2/3;
    value = uncapped talent points, or 1/0 for the certificate / honour; cap = the talent cap).
    Person ids are masked as in subject_evaluation. -#}

with all_subjects as (
    -- the key is ranked over every subject row, exactly as in subject_evaluation
    select year, subject_id, subject_kind, excluded_reason,
           {{ eval_subject_key('subject_id', 'subject_kind') }} as subject_key
    from {{ ref('int_subjects') }}
),

subjects as (
    select year, subject_id, subject_kind, subject_key
    from all_subjects
    where excluded_reason is null
),

scores as (
    select
        year, subject_id, indicator, value, numerator, denominator, benchmark, benchmark_year,
        weight, cap, score, scoring_method, scoring_basis, rule_id
    from {{ ref('int_indicator_scores') }}
),

bonuses as (
    select * from {{ ref('int_total_scores') }}
),

bonus_rows as (
    select year, subject_id, 'talent_bonus' as indicator, talent_points as value,
           cast(null as double) as numerator, cast(null as double) as denominator,
           cast(null as double) as benchmark, cast(null as integer) as benchmark_year,
           cast(null as double) as weight, talent_cap as cap, talent_bonus as score,
           'bonus' as scoring_method,
           case when talent_points > talent_cap then 'capped' else 'sum_of_points' end as scoring_basis,
           'R-BONUS-1' as rule_id
    from bonuses
    union all
    select year, subject_id, 'hightech_bonus', case when hightech_bonus > 0 then 1 else 0 end,
           null, null, null, null, null, null, hightech_bonus, 'bonus',
           case when hightech_bonus > 0 then 'valid_certificate' else 'no_valid_certificate' end, 'R-BONUS-2'
    from bonuses
    union all
    select year, subject_id, 'water_bonus', case when water_bonus > 0 then 1 else 0 end,
           null, null, null, null, null, null, water_bonus, 'bonus',
           case when water_bonus > 0 then 'honour_in_year' else 'no_honour' end, 'R-BONUS-3'
    from bonuses
),

all_rows as (
    select * from scores
    union all
    select * from bonus_rows
)

select
    cast(all_rows.year as integer) as year,
    cast(case when subjects.subject_kind = 'individual' then {{ eval_mask_person_id('subjects.subject_id') }}
              else subjects.subject_id end as varchar) as subject_id,
    cast(subjects.subject_key as varchar) as subject_key,
    cast(all_rows.indicator as varchar) as indicator,
    cast(all_rows.value as double) as value,
    cast(all_rows.numerator as double) as numerator,
    cast(all_rows.denominator as double) as denominator,
    cast(all_rows.benchmark as double) as benchmark,
    cast(all_rows.benchmark_year as integer) as benchmark_year,
    cast(all_rows.weight as double) as weight,
    cast(all_rows.cap as double) as cap,
    cast(all_rows.score as double) as score,
    cast(all_rows.scoring_method as varchar) as scoring_method,
    cast(all_rows.scoring_basis as varchar) as scoring_basis,
    cast(all_rows.rule_id as varchar) as rule_id
from all_rows
inner join subjects on subjects.year = all_rows.year and subjects.subject_id = all_rows.subject_id
