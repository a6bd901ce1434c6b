{#- Public mart (the public interface): the explanation of every score. One row per scored indicator of each graded
    subject (value, benchmark, benchmark_year, weight, cap, score, rule_id R-SCORE-1 or R-SCORE-3), plus
    one row per bonus (indicator = talent_bonus / hightech_bonus / water_bonus; rule R-BONUS-1/2/3;
    value = uncapped talent points, or 1/0 for the certificate / honour; cap = the talent cap).
    Person ids are masked as in subject_evaluation. policy_version names the policy seed rows that
    produced the score (seed@valid_from_year-valid_to_year, empty = open-ended). -#}

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
        weight, cap, score, scoring_method, scoring_basis, rule_id, policy_version
    from {{ ref('int_indicator_scores') }}
),

talent_versions as (
    select year, {{ dbt.listagg('policy_version', "', '", 'order by policy_version') }} as talent_version
    from (select distinct year, policy_version from {{ policy_for_year('policy_talent_bonus') }} as t) as v
    group by year
),

bonuses as (
    select int_total_scores.*, talent_versions.talent_version
    from {{ ref('int_total_scores') }} as int_total_scores
    left join talent_versions on talent_versions.year = int_total_scores.year
),

bonus_rows as (
    select year, subject_id, 'talent_bonus' as indicator, talent_points as value,
           cast(null as double) as numerator, cast(null as double) as denominator,
           cast(null as double) as benchmark, cast(null as integer) as benchmark_year,
           cast(null as double) as weight, talent_cap as cap, talent_bonus as score,
           'bonus' as scoring_method,
           case when talent_points > talent_cap then 'capped' else 'sum_of_points' end as scoring_basis,
           'R-BONUS-1' as rule_id,
           talent_version || ', ' || talent_cap_version as policy_version
    from bonuses
    union all
    select year, subject_id, 'hightech_bonus', case when hightech_bonus > 0 then 1 else 0 end,
           null, null, null, null, null, null, hightech_bonus, 'bonus',
           case when hightech_bonus > 0 then 'valid_certificate' else 'no_valid_certificate' end, 'R-BONUS-2',
           hightech_version
    from bonuses
    union all
    select year, subject_id, 'water_bonus', case when water_bonus > 0 then 1 else 0 end,
           null, null, null, null, null, null, water_bonus, 'bonus',
           case when water_bonus > 0 then 'honour_in_year' else 'no_honour' end, 'R-BONUS-3',
           water_version
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
              else subjects.subject_id end as {{ dbt.type_string() }}) as subject_id,
    cast(subjects.subject_key as {{ dbt.type_string() }}) as subject_key,
    cast(all_rows.indicator as {{ dbt.type_string() }}) as indicator,
    cast(all_rows.value as double) as value,
    cast(all_rows.numerator as double) as numerator,
    cast(all_rows.denominator as double) as denominator,
    cast(all_rows.benchmark as double) as benchmark,
    cast(all_rows.benchmark_year as integer) as benchmark_year,
    cast(all_rows.weight as double) as weight,
    cast(all_rows.cap as double) as cap,
    cast(all_rows.score as double) as score,
    cast(all_rows.scoring_method as {{ dbt.type_string() }}) as scoring_method,
    cast(all_rows.scoring_basis as {{ dbt.type_string() }}) as scoring_basis,
    cast(all_rows.rule_id as {{ dbt.type_string() }}) as rule_id,
    cast(all_rows.policy_version as {{ dbt.type_string() }}) as policy_version
from all_rows
inner join subjects on subjects.year = all_rows.year and subjects.subject_id = all_rows.subject_id
