{#- Indicator scores of graded subjects, one row per indicator weighted for the subject's category
    (R-SCORE-4 weights from policy_indicator_weights).
    R-SCORE-1 (`benchmark_ratio`): weight × min(max(value, 0) / benchmark, score_cap); a null value, or a
    null or non-positive benchmark (R-SCORE-2, int_benchmarks), scores 0.
    R-SCORE-3 (`best_in_group`, emission_productivity of industrial_above, within Y): with emission data,
    the best value of the county and category scores the 基准分 (emission_base_share × weight) and the
    others max(value, 0) / best × weight; if the best is <= 0 (or the value is null) 0; without emission
    data, the 基准分 if counted tax (R-TAX-1 + R-TAX-2) > 0, else 0. -#}

with subjects as (
    select year, subject_id, county_code, category
    from {{ ref('int_subjects') }}
    where excluded_reason is null
),

indicators as (
    select year, subject_id, indicator, numerator, denominator, value
    from {{ ref('int_indicators') }}
),

measures as (
    select year, subject_id, tax_wan, has_emission_data
    from {{ ref('int_subject_measures') }}
),

weights as (
    select
        year,
        policy_version,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(indicator as {{ dbt.type_string() }}) as indicator,
        cast(weight as double) as weight,
        cast(scoring_method as {{ dbt.type_string() }}) as scoring_method,
        cast(rule_id as {{ dbt.type_string() }}) as rule_id
    from {{ policy_for_year('policy_indicator_weights') }} as w
),

params as (
    select year, score_cap, emission_base_share, score_cap_version, emission_base_share_version
    from {{ policy_params_for_year('policy_scoring', ['score_cap', 'emission_base_share']) }} as p
),

joined as (
    select
        subjects.year,
        subjects.subject_id,
        subjects.county_code,
        subjects.category,
        weights.indicator,
        weights.weight,
        weights.scoring_method,
        weights.rule_id,
        indicators.numerator,
        indicators.denominator,
        indicators.value,
        benchmarks.benchmark,
        benchmarks.benchmark_year,
        benchmarks.best_value_in_year,
        coalesce(measures.tax_wan, 0) as tax_wan,
        coalesce(measures.has_emission_data, false) as has_emission_data,
        params.score_cap,
        params.emission_base_share,
        weights.policy_version as weight_version,
        case when weights.scoring_method = 'best_in_group' then params.emission_base_share_version
             else params.score_cap_version end as scoring_version
    from subjects
    inner join weights on weights.year = subjects.year and weights.category = subjects.category
    inner join params on params.year = subjects.year
    left join indicators
        on indicators.year = subjects.year and indicators.subject_id = subjects.subject_id
        and indicators.indicator = weights.indicator
    left join measures on measures.year = subjects.year and measures.subject_id = subjects.subject_id
    left join {{ ref('int_benchmarks') }} as benchmarks
        on benchmarks.year = subjects.year and benchmarks.county_code = subjects.county_code
        and benchmarks.category = subjects.category and benchmarks.indicator = weights.indicator
),

scored as (
    select
        joined.*,
        case
            when scoring_method = 'best_in_group' and not has_emission_data then
                case when tax_wan > 0 then 'no_emission_data_with_tax' else 'no_emission_data_no_tax' end
            when scoring_method = 'best_in_group' then
                case when value is null then 'null_value'
                     when best_value_in_year is null or best_value_in_year <= 0 then 'best_not_positive'
                     when value >= best_value_in_year then 'best_in_group'
                     else 'share_of_best' end
            else
                case when value is null then 'null_value'
                     when benchmark is null or benchmark <= 0 then 'no_positive_benchmark'
                     when value > 0 and value / benchmark > score_cap then 'capped'
                     else 'share_of_benchmark' end
        end as scoring_basis
    from joined
)

select
    year,
    subject_id,
    county_code,
    category,
    indicator,
    numerator,
    denominator,
    value,
    case when scoring_method = 'best_in_group' then best_value_in_year else benchmark end as benchmark,
    case when scoring_method = 'best_in_group' then year else benchmark_year end as benchmark_year,
    weight,
    case when scoring_method = 'best_in_group' then null else score_cap end as cap,
    scoring_method,
    scoring_basis,
    case scoring_basis
        when 'no_emission_data_with_tax' then emission_base_share * weight
        when 'best_in_group' then emission_base_share * weight
        when 'share_of_best' then (case when value > 0 then value else 0 end) / best_value_in_year * weight
        when 'capped' then weight * score_cap
        when 'share_of_benchmark' then weight * ((case when value > 0 then value else 0 end) / benchmark)
        else 0
    end as score,
    case when scoring_method = 'best_in_group' then 'R-SCORE-3' else 'R-SCORE-1' end as rule_id,
    rule_id as weight_rule_id,
    weight_version || ', ' || scoring_version as policy_version
from scored
