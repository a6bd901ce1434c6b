{#- Measures of each enterprise (uscc) and year, before any merge (§8 "energy fallback"):
    tax (R-TAX-1/2, from int_enterprise_tax); statistics after audit findings (int_stats_verified, null
    when no statistics row); electricity Σ monthly kWh; R-ENERGY-1 energy_tce = statistics energy_tce when
    present, else electricity × kgce_per_kwh (R-UNIT-3) / 1000; R-EMIT-1 pollution equivalents
    = Σ emission_kg / ref_pollutants.equivalent_kg (R-UNIT-4), has_emission_rows; R-TALENT-1 new talents
    certified in Y and their R-BONUS-1 points (uncapped, capped per subject after merging); R-HT-1 a
    高新技术企业 certificate overlapping Y; R-BONUS-3 a water honour in Y. Missing records give 0
    (§8 "missing records"), missing statistics give null. -#}

with factors as (
    select max(case when factor = 'kgce_per_kwh' then cast(value as double) end) as kgce_per_kwh
    from {{ ref('ref_unit_factors') }}
),

stats as (
    select * from {{ ref('int_stats_verified') }}
),

tax as (
    select * from {{ ref('int_enterprise_tax') }}
),

electricity as (
    select year, uscc, {{ exact_sum('electricity_kwh') }} as electricity_kwh
    from {{ ref('stg_power__electricity_monthly') }}
    group by year, uscc
),

emissions as (
    select
        e.year,
        e.uscc,
        {{ exact_sum('e.emission_kg / cast(p.equivalent_kg as double)') }} as pollution_equivalents,
        count(*) as emission_rows
    from {{ ref('stg_ecology__emissions') }} as e
    inner join {{ ref('ref_pollutants') }} as p on cast(p.pollutant as {{ dbt.type_string() }}) = e.pollutant
    group by e.year, e.uscc
),

talents as (
    select
        t.year,
        t.uscc,
        count(*) as new_talents,
        {{ exact_sum('coalesce(cast(b.points as double), 0)') }} as talent_points
    from {{ ref('stg_talent__talents') }} as t
    left join {{ policy_for_year('policy_talent_bonus') }} as b
        on b.year = t.year and cast(b.talent_level as {{ dbt.type_string() }}) = t.talent_level
    where extract(year from t.certified_on) = t.year
    group by t.year, t.uscc
),

hightech as (
    select distinct year, uscc
    from {{ ref('stg_science__hightech_certificates') }}
    where extract(year from valid_from) <= year and extract(year from valid_to) >= year
),

water as (
    select distinct year, uscc
    from {{ ref('stg_water__saving_honours') }}
),

keys as (
    select year, uscc from {{ ref('stg_market__enterprises') }}
    union select year, uscc from stats
    union select year, uscc from tax
    union select year, uscc from electricity
    union select year, uscc from emissions
    union select year, uscc from talents
    union select year, uscc from hightech
    union select year, uscc from water
)

select
    keys.year,
    keys.uscc,
    -- tax (R-TAX-1, R-TAX-2)
    coalesce(tax.tax_paid_wan, 0) as tax_paid_wan,
    coalesce(tax.tax_restored_wan, 0) as tax_restored_wan,
    coalesce(tax.tax_wan, 0) as tax_wan,
    -- statistics (null without a statistics row)
    stats.uscc is not null as has_stats,
    stats.above_scale,
    stats.output_wan,
    stats.value_added_wan,
    stats.revenue_wan,
    stats.rd_expense_wan,
    stats.hightech_value_added_wan,
    stats.avg_employees,
    stats.energy_tce as stats_energy_tce,
    -- electricity and energy (R-ENERGY-1, R-UNIT-3)
    coalesce(electricity.electricity_kwh, 0) as electricity_kwh,
    case when stats.energy_tce is not null then stats.energy_tce
         else coalesce(electricity.electricity_kwh, 0) * factors.kgce_per_kwh / 1000 end as energy_tce,
    case when stats.energy_tce is not null then 'statistics' else 'electricity' end as energy_source,
    -- emissions (R-EMIT-1, R-UNIT-4)
    coalesce(emissions.pollution_equivalents, 0) as pollution_equivalents,
    coalesce(emissions.emission_rows, 0) > 0 as has_emission_rows,
    -- talents (R-TALENT-1), certificates (R-HT-1), water honours (R-BONUS-3)
    cast(coalesce(talents.new_talents, 0) as double) as new_talents,
    coalesce(talents.talent_points, 0) as talent_points,
    hightech.uscc is not null as is_hightech,
    water.uscc is not null as has_water_honour
from keys
cross join factors
left join stats on stats.year = keys.year and stats.uscc = keys.uscc
left join tax on tax.year = keys.year and tax.uscc = keys.uscc
left join electricity on electricity.year = keys.year and electricity.uscc = keys.uscc
left join emissions on emissions.year = keys.year and emissions.uscc = keys.uscc
left join talents on talents.year = keys.year and talents.uscc = keys.uscc
left join hightech on hightech.year = keys.year and hightech.uscc = keys.uscc
left join water on water.year = keys.year and water.uscc = keys.uscc
