{#- R-AUDIT-2/3: the base records behind every graded subject of Y, one row per record, with the
    columns the cross-department suite (expectations/gx/expectations/cross_department.json) checks.
    Built from the same intermediate models that grade, so the audit checks the values that graded:
    verified statistics (R-AUDIT-4 applied), counted tax with its restorations (R-TAX-1/2, from
    int_enterprise_measures), the R-SUBJ-2 validity of separate-evaluation approvals
    (int_ledger_rows_counted), the membership of merged tenants (int_subject_membership), R-HT-1 certificates.
    record_type:
      'enterprise'   a member enterprise of the subject (itself, merged tenants): its statistics (null
                     without a statistics row), counted tax and electricity;
      'ledger'       a verified ledger row touching the subject (as occupant/member, landlord or sub-lessor);
      'certificate'  a 高新技术企业 certificate row of a member enterprise;
      'subject'      the subject's area against its town's plausible range.
    A check column is null where its check does not apply (GX skips nulls). Person ids are masked as in
    marts (subject_id, landlord_id); subject_key joins to marts.subject_evaluation and audit.sample. -#}

with graded as (
    select
        subjects.year,
        subjects.subject_id,
        subjects.subject_kind,
        subjects.subject_name,
        subjects.town_code,
        subjects.area_mu,
        subject_keys.public_subject_id,
        subject_keys.subject_key
    from {{ ref('int_subjects') }} as subjects
    inner join {{ ref('int_subject_keys') }} as subject_keys
        on subject_keys.year = subjects.year and subject_keys.subject_id = subjects.subject_id
    where subjects.excluded_reason is null
),

members as (
    select membership.year, membership.subject_id, membership.member_id, membership.fraction
    from {{ ref('int_subject_membership') }} as membership
    inner join graded on graded.year = membership.year and graded.subject_id = membership.subject_id
    where membership.fraction > 0
),

measures as (
    select * from {{ ref('int_enterprise_measures') }}
),

registry as (
    select year, uscc, enterprise_name, industry_division
    from {{ ref('stg_market__enterprises') }}
),

manufacturing as (
    select cast(division_code as {{ dbt.type_string() }}) as division_code, is_manufacturing
    from {{ ref('ref_industry_divisions') }}
),

factors as (
    select max(case when factor = 'kgce_per_kwh' then cast(value as double) end) as kgce_per_kwh
    from {{ ref('ref_unit_factors') }}
),

enterprise_records as (
    select
        'enterprise' as record_type,
        members.year,
        members.subject_id,
        'stats_enterprise_annual' as source_feed,
        members.member_id as record_key,
        members.member_id as uscc,
        registry.enterprise_name,
        members.fraction as membership_fraction,
        case when coalesce(manufacturing.is_manufacturing, false) then measures.output_wan end as output_industry_wan,
        case when coalesce(manufacturing.is_manufacturing, false) then measures.value_added_wan end
            as value_added_industry_wan,
        measures.revenue_wan,
        measures.tax_wan,
        {{ eval_safe_divide('measures.tax_wan', 'measures.revenue_wan') }} as tax_revenue_ratio,
        measures.stats_energy_tce as energy_tce,
        measures.electricity_kwh,
        case when measures.stats_energy_tce is not null
             then measures.electricity_kwh * factors.kgce_per_kwh / 1000 end as electricity_tce,
        case when measures.value_added_wan > 0 then measures.avg_employees end as employees_if_value_added
    from members
    inner join measures on measures.year = members.year and measures.uscc = members.member_id
    cross join factors
    left join registry on registry.year = members.year and registry.uscc = members.member_id
    left join manufacturing on manufacturing.division_code = registry.industry_division
),

ledger as (
    select * from {{ ref('int_ledger_rows_counted') }}
),

landlord_registered as (
    select year, holder_uscc as landlord_id, {{ exact_sum('area_m2') }} as registered_m2
    from {{ ref('int_land_parcels_verified') }}
    group by year, holder_uscc
),

landlord_rented as (
    select year, landlord_id, {{ exact_sum('area_m2') }} as rented_m2
    from ledger
    where arrangement = 'rented_plant'
    group by year, landlord_id
),

ledger_touches as (
    -- a ledger row concerns a subject as the occupant (or a merged member), the landlord or the sub-lessor
    select ledger.year, ledger.record_id, members.subject_id
    from ledger
    inner join members on members.year = ledger.year and members.member_id = ledger.occupant_id
    union
    select ledger.year, ledger.record_id, graded.subject_id
    from ledger
    inner join graded on graded.year = ledger.year and graded.subject_id = ledger.landlord_id
    union
    select ledger.year, ledger.record_id, graded.subject_id
    from ledger
    inner join graded on graded.year = ledger.year and graded.subject_id = ledger.sublessor_person_id
),

ledger_records as (
    select
        'ledger' as record_type,
        ledger_touches.year,
        ledger_touches.subject_id,
        'land_ledger' as source_feed,
        ledger.record_id as record_key,
        case when registry.uscc is not null then ledger.occupant_id end as uscc,
        registry.enterprise_name,
        ledger.area_m2,
        ledger.arrangement,
        case when landlord_registry.uscc is null then {{ mask_person_text('ledger.landlord_id') }}
             else ledger.landlord_id end as landlord_id,
        landlord_registered.registered_m2 as landlord_registered_m2,
        landlord_rented.rented_m2 as landlord_rented_m2,
        case when ledger.arrangement = 'rented_plant' then
             case when coalesce(landlord_registered.registered_m2, 0) > 0
                  then landlord_rented.rented_m2 / landlord_registered.registered_m2
                  else cast('infinity' as double) end
        end as ledger_to_landlord_ratio,
        case when ledger.separate_evaluation_status is not null
             then ledger.separate_evaluation_status = 'valid' end as separate_evaluation_eligible
    from ledger_touches
    inner join ledger on ledger.year = ledger_touches.year and ledger.record_id = ledger_touches.record_id
    left join registry on registry.year = ledger.year and registry.uscc = ledger.occupant_id
    left join landlord_registered
        on landlord_registered.year = ledger.year and landlord_registered.landlord_id = ledger.landlord_id
    left join landlord_rented
        on landlord_rented.year = ledger.year and landlord_rented.landlord_id = ledger.landlord_id
    left join registry as landlord_registry
        on landlord_registry.year = ledger.year and landlord_registry.uscc = ledger.landlord_id
),

certificate_records as (
    select
        'certificate' as record_type,
        certificates.year,
        members.subject_id,
        'hightech_certificates' as source_feed,
        certificates.uscc || '/' || certificates.certificate_no as record_key,
        certificates.uscc,
        registry.enterprise_name,
        certificates.valid_from,
        certificates.valid_to,
        -- a double division on every engine (Spark would divide by the decimal 365.25 in decimal)
        cast({{ dbt.datediff('certificates.valid_from', 'certificates.valid_to', 'day') }} as double) / 365.25 as certificate_years
    from {{ ref('stg_science__hightech_certificates') }} as certificates
    inner join members on members.year = certificates.year and members.member_id = certificates.uscc
    left join registry on registry.year = certificates.year and registry.uscc = certificates.uscc
),

audit_parameters as (
    -- the seed rows valid in each evaluated year (the audit of year Y uses Y's range)
    select
        year,
        land_area_quantile_low as q_low,
        land_area_quantile_high as q_high,
        land_area_range_factor as range_factor
    from {{ policy_params_for_year('audit_parameters',
                                   ['land_area_quantile_low', 'land_area_quantile_high', 'land_area_range_factor']) }} as p
),

town_areas as (
    -- continuous quantiles (linear interpolation between the ranked areas, as quantile_cont) in
    -- portable SQL: position h = (n - 1) * q between the 0-based ranks floor(h) and ceil(h)
    select
        year,
        town_code,
        area_mu,
        row_number() over (partition by year, town_code order by area_mu) - 1 as area_rank,
        count(*) over (partition by year, town_code) as town_subjects
    from graded
),

town_positions as (
    select distinct
        town_areas.year,
        town_areas.town_code,
        (town_areas.town_subjects - 1) * audit_parameters.q_low as h_low,
        (town_areas.town_subjects - 1) * audit_parameters.q_high as h_high,
        audit_parameters.range_factor
    from town_areas
    inner join audit_parameters on audit_parameters.year = town_areas.year
),

town_quantiles as (
    select
        town_positions.year,
        town_positions.town_code,
        town_positions.range_factor,
        max(case when town_areas.area_rank = floor(town_positions.h_low) then town_areas.area_mu end)
            + (town_positions.h_low - floor(town_positions.h_low))
            * (max(case when town_areas.area_rank = ceil(town_positions.h_low) then town_areas.area_mu end)
               - max(case when town_areas.area_rank = floor(town_positions.h_low) then town_areas.area_mu end))
            as q_low_mu,
        max(case when town_areas.area_rank = floor(town_positions.h_high) then town_areas.area_mu end)
            + (town_positions.h_high - floor(town_positions.h_high))
            * (max(case when town_areas.area_rank = ceil(town_positions.h_high) then town_areas.area_mu end)
               - max(case when town_areas.area_rank = floor(town_positions.h_high) then town_areas.area_mu end))
            as q_high_mu
    from town_positions
    inner join town_areas
        on town_areas.year = town_positions.year and town_areas.town_code = town_positions.town_code
    group by town_positions.year, town_positions.town_code, town_positions.range_factor,
             town_positions.h_low, town_positions.h_high
),

town_range as (
    select
        year,
        town_code,
        q_low_mu / range_factor as town_area_min_mu,
        q_high_mu * range_factor as town_area_max_mu
    from town_quantiles
),

subject_records as (
    select
        'subject' as record_type,
        graded.year,
        graded.subject_id,
        'marts.subject_evaluation' as source_feed,
        graded.public_subject_id as record_key,
        case when graded.subject_kind = 'enterprise' then graded.subject_id end as uscc,
        graded.subject_name as enterprise_name,
        graded.area_mu,
        town_range.town_area_min_mu,
        town_range.town_area_max_mu
    from graded
    left join town_range on town_range.year = graded.year and town_range.town_code = graded.town_code
),

records as (
    {{ union_all_by_name([
        ('enterprise_records', ['record_type', 'year', 'subject_id', 'source_feed', 'record_key', 'uscc', 'enterprise_name', 'membership_fraction', 'output_industry_wan', 'value_added_industry_wan', 'revenue_wan', 'tax_wan', 'tax_revenue_ratio', 'energy_tce', 'electricity_kwh', 'electricity_tce', 'employees_if_value_added']),
        ('ledger_records', ['record_type', 'year', 'subject_id', 'source_feed', 'record_key', 'uscc', 'enterprise_name', 'area_m2', 'arrangement', 'landlord_id', 'landlord_registered_m2', 'landlord_rented_m2', 'ledger_to_landlord_ratio', 'separate_evaluation_eligible']),
        ('certificate_records', ['record_type', 'year', 'subject_id', 'source_feed', 'record_key', 'uscc', 'enterprise_name', 'valid_from', 'valid_to', 'certificate_years']),
        ('subject_records', ['record_type', 'year', 'subject_id', 'source_feed', 'record_key', 'uscc', 'enterprise_name', 'area_mu', 'town_area_min_mu', 'town_area_max_mu'])]) }}
)

select
    cast(records.year as integer) as year,
    graded.public_subject_id as subject_id,
    graded.subject_key,
    graded.subject_kind,
    graded.town_code,
    graded.subject_name,
    records.record_type,
    records.source_feed,
    cast(records.record_key as {{ dbt.type_string() }}) as record_key,
    records.uscc,
    records.enterprise_name,
    cast(records.membership_fraction as double) as membership_fraction,
    cast(records.output_industry_wan as double) as output_industry_wan,
    cast(records.value_added_industry_wan as double) as value_added_industry_wan,
    cast(records.revenue_wan as double) as revenue_wan,
    cast(records.tax_wan as double) as tax_wan,
    cast(records.tax_revenue_ratio as double) as tax_revenue_ratio,
    cast(records.energy_tce as double) as energy_tce,
    cast(records.electricity_kwh as double) as electricity_kwh,
    cast(records.electricity_tce as double) as electricity_tce,
    cast(records.employees_if_value_added as double) as employees_if_value_added,
    cast(records.area_m2 as double) as area_m2,
    records.arrangement,
    records.landlord_id,
    cast(records.landlord_registered_m2 as double) as landlord_registered_m2,
    cast(records.landlord_rented_m2 as double) as landlord_rented_m2,
    cast(records.ledger_to_landlord_ratio as double) as ledger_to_landlord_ratio,
    records.separate_evaluation_eligible,
    records.valid_from,
    records.valid_to,
    cast(records.certificate_years as double) as certificate_years,
    cast(records.area_mu as double) as area_mu,
    cast(records.town_area_min_mu as double) as town_area_min_mu,
    cast(records.town_area_max_mu as double) as town_area_max_mu
from records
inner join graded on graded.year = records.year and graded.subject_id = records.subject_id
