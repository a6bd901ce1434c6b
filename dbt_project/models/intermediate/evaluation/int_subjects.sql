{#- One row per candidate subject and year (§8 "rows of subject_evaluation") with its own attributes:
    R-SUBJ-9 name, town, county and industry from the subject's own registry row (never from members);
    individuals (R-SUBJ-5): town of the largest verified ledger row under the person (ties: record_id),
    county = its first 6 digits, name null; R-SUBJ-8 category from the own registry division
    (ref_industry_divisions.is_manufacturing) and own statistics row (above_scale; no row = below-scale):
    industrial_above / industrial_below / services; an individual takes the category of its largest
    occupant by verified area (ties: occupant id ascending);
    area: counted parcels + own ledger area + separately evaluated area (R-SUBJ-2) + area under an
    individual (R-SUBJ-5), minus the R-SUBJ-2 deduction of approved tenants, clamped at 0 once; R-UNIT-1
    area_mu = area_m2 × 15 / 10000 in DOUBLE;
    excluded_reason: the first of R-SUBJ-1 (not 存续), R-SUBJ-6 (approved_public_service), R-LAND-5
    (new enterprise waiting), R-LAND-6 (zero counted area); null = graded. -#}

with holdings as (
    select * from {{ ref('int_land_holdings') }}
    where is_candidate
),

registry as (
    select * from {{ ref('stg_market__enterprises') }}
),

measures as (
    select year, uscc, has_stats, above_scale, is_hightech, has_water_honour
    from {{ ref('int_enterprise_measures') }}
),

divisions as (
    select
        cast(division_code as {{ dbt.type_string() }}) as division_code,
        cast(is_manufacturing as boolean) as is_manufacturing,
        cast(sector_code as {{ dbt.type_string() }}) as sector_code
    from {{ ref('ref_industry_divisions') }}
),

enterprise_category as (
    -- R-SUBJ-8 for any registered enterprise (own division and own statistics row)
    select
        registry.year,
        registry.uscc,
        case
            when coalesce(divisions.is_manufacturing, false) and coalesce(measures.above_scale, false)
                then 'industrial_above'
            when coalesce(divisions.is_manufacturing, false) then 'industrial_below'
            else 'services'
        end as category
    from registry
    left join divisions on divisions.division_code = registry.industry_division
    left join measures on measures.year = registry.year and measures.uscc = registry.uscc
),

individual_rows as (
    select * from {{ ref('int_ledger_rows_counted') }}
    where arrangement = 'village_land_via_individual' and sublessor_person_id is not null
),

individual_town as (
    select year, sublessor_person_id as person_id, town_code
    from (
        select
            year, sublessor_person_id, town_code,
            row_number() over (partition by year, sublessor_person_id order by area_m2 desc, record_id) as rn
        from individual_rows
    ) as ranked
    where rn = 1
),

individual_category as (
    select year, person_id, occupant_id, category
    from (
        select
            occupants.year,
            occupants.person_id,
            occupants.occupant_id,
            coalesce(enterprise_category.category, 'services') as category,
            row_number() over (
                partition by occupants.year, occupants.person_id
                order by occupants.area_m2 desc, occupants.occupant_id
            ) as rn
        from (
            select year, sublessor_person_id as person_id, occupant_id, {{ exact_sum('area_m2') }} as area_m2
            from individual_rows
            group by year, sublessor_person_id, occupant_id
        ) as occupants
        left join enterprise_category
            on enterprise_category.year = occupants.year and enterprise_category.uscc = occupants.occupant_id
    ) as ranked
    where rn = 1
),

exceptions as (
    select
        year,
        subject_id,
        {{ dbt.bool_or("exception_kind = 'approved_public_service'") }} as is_public_service,
        {{ dbt.bool_or("exception_kind = 'unauthorized_consumer_service'") }} as is_unauthorized_consumer_service
    from {{ ref('stg_mujun_office__land_use_exceptions') }}
    group by year, subject_id
),

subjects as (
    select
        holdings.year,
        holdings.holder_id as subject_id,
        holdings.holder_kind as subject_kind,
        case when holdings.holder_kind = 'enterprise' then registry.enterprise_name end as subject_name,
        case when holdings.holder_kind = 'enterprise' then registry.county_code
             else substr(individual_town.town_code, 1, 6) end as county_code,
        case when holdings.holder_kind = 'enterprise' then registry.town_code
             else individual_town.town_code end as town_code,
        case when holdings.holder_kind = 'enterprise' then registry.industry_code end as industry_code,
        case when holdings.holder_kind = 'enterprise' then registry.industry_division end as industry_division,
        case when holdings.holder_kind = 'enterprise' then divisions.sector_code end as sector,
        case when holdings.holder_kind = 'enterprise' then registry.parent_uscc end as parent_uscc,
        case when holdings.holder_kind = 'enterprise' then coalesce(registry.is_active, false) else true end
            as is_active,
        case when holdings.holder_kind = 'enterprise' then enterprise_category.category
             else individual_category.category end as category,
        individual_category.occupant_id as category_from_occupant,
        case when holdings.holder_kind = 'enterprise' then coalesce(measures.above_scale, false) else false end
            as above_scale,
        case when holdings.holder_kind = 'enterprise' then coalesce(measures.has_stats, false) else false end
            as has_own_stats,
        -- 高新技术企业 and water honours stay with the enterprise itself (§8 "what follows a merge")
        case when holdings.holder_kind = 'enterprise' then coalesce(measures.is_hightech, false) else false end
            as is_hightech,
        case when holdings.holder_kind = 'enterprise' then coalesce(measures.has_water_honour, false) else false end
            as has_water_honour,
        coalesce(exceptions.is_public_service, false) as is_public_service,
        coalesce(exceptions.is_unauthorized_consumer_service, false) as is_unauthorized_consumer_service,
        holdings.waiting_r_land_5,
        holdings.parcel_area_m2,
        holdings.direct_ledger_area_m2,
        holdings.separate_area_m2,
        holdings.individual_area_m2,
        holdings.deducted_area_m2,
        holdings.parcel_area_m2 + holdings.direct_ledger_area_m2 + holdings.separate_area_m2
            + holdings.individual_area_m2 as gross_area_m2
    from holdings
    left join registry on registry.year = holdings.year and registry.uscc = holdings.holder_id
    left join divisions on divisions.division_code = registry.industry_division
    left join enterprise_category
        on enterprise_category.year = holdings.year and enterprise_category.uscc = holdings.holder_id
    left join measures on measures.year = holdings.year and measures.uscc = holdings.holder_id
    left join individual_town
        on individual_town.year = holdings.year and individual_town.person_id = holdings.holder_id
    left join individual_category
        on individual_category.year = holdings.year and individual_category.person_id = holdings.holder_id
    left join exceptions on exceptions.year = holdings.year and exceptions.subject_id = holdings.holder_id
),

areas as (
    select
        subjects.*,
        case when gross_area_m2 - deducted_area_m2 > 0 then gross_area_m2 - deducted_area_m2 else 0 end
            as area_m2
    from subjects
)

select
    areas.*,
    {{ eval_m2_to_mu('area_m2') }} as area_mu,
    case
        when subject_kind = 'enterprise' and not is_active then 'R-SUBJ-1'
        when is_public_service then 'R-SUBJ-6'
        when waiting_r_land_5 then 'R-LAND-5'
        when area_m2 <= 0 then 'R-LAND-6'
    end as excluded_reason
from areas
