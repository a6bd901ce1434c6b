{#- Land of every holder id and year, and who is a candidate subject (§8 "rows of subject_evaluation"):
    counted registered parcels (R-LAND-1..4), verified `village_land_to_enterprise` / `other_occupied`
    area of the occupant (R-SUBJ-5), valid separately evaluated rented area of a tenant (R-SUBJ-2),
    `village_land_via_individual` area under a person (R-SUBJ-5), the R-SUBJ-2 deduction on a landlord
    (Σ of its approved tenants, clamped at 0 once, in int_subjects) and the R-LAND-5 waiting flag.
    Candidates: a registered enterprise (any status; R-SUBJ-1 excludes later) with counted land of its
    own, a valid separate evaluation, or waiting under R-LAND-5; each person of a verified
    village_land_via_individual row. Holders absent from the registry of Y have no row. -#}

with parcels as (
    select
        year,
        holder_uscc as holder_id,
        {{ exact_sum('counted_area_m2') }} as parcel_area_m2,
        {{ dbt.bool_or('is_counted') }} as has_counted_parcel,
        {{ dbt.bool_or('new_enterprise_waiting') }} as waiting_r_land_5
    from {{ ref('int_land_parcels_counted') }}
    group by year, holder_uscc
),

ledger as (
    select * from {{ ref('int_ledger_rows_counted') }}
),

direct as (
    select year, occupant_id as holder_id, {{ exact_sum('area_m2') }} as direct_ledger_area_m2
    from ledger
    where arrangement in ('village_land_to_enterprise', 'other_occupied')
    group by year, occupant_id
),

separate as (
    select year, occupant_id as holder_id, {{ exact_sum('area_m2') }} as separate_area_m2
    from ledger
    where is_separate_evaluation
    group by year, occupant_id
),

individual as (
    select year, sublessor_person_id as holder_id, {{ exact_sum('area_m2') }} as individual_area_m2
    from ledger
    where arrangement = 'village_land_via_individual' and sublessor_person_id is not null
    group by year, sublessor_person_id
),

deducted as (
    select year, landlord_id as holder_id, {{ exact_sum('area_m2') }} as deducted_area_m2
    from ledger
    where is_separate_evaluation
    group by year, landlord_id
),

registry as (
    select year, uscc from {{ ref('stg_market__enterprises') }}
),

holders as (
    select year, holder_id from parcels
    union select year, holder_id from direct
    union select year, holder_id from separate
    union select year, holder_id from individual
    union select year, holder_id from deducted
),

combined as (
    select
        holders.year,
        holders.holder_id,
        case when individual.holder_id is not null and registry.uscc is null
             then 'individual' else 'enterprise' end as holder_kind,
        registry.uscc is not null as is_registered,
        coalesce(parcels.parcel_area_m2, 0) as parcel_area_m2,
        coalesce(parcels.has_counted_parcel, false) as has_counted_parcel,
        coalesce(parcels.waiting_r_land_5, false) as waiting_r_land_5,
        coalesce(direct.direct_ledger_area_m2, 0) as direct_ledger_area_m2,
        coalesce(separate.separate_area_m2, 0) as separate_area_m2,
        coalesce(individual.individual_area_m2, 0) as individual_area_m2,
        coalesce(deducted.deducted_area_m2, 0) as deducted_area_m2
    from holders
    left join parcels on parcels.year = holders.year and parcels.holder_id = holders.holder_id
    left join direct on direct.year = holders.year and direct.holder_id = holders.holder_id
    left join separate on separate.year = holders.year and separate.holder_id = holders.holder_id
    left join individual on individual.year = holders.year and individual.holder_id = holders.holder_id
    left join deducted on deducted.year = holders.year and deducted.holder_id = holders.holder_id
    left join registry on registry.year = holders.year and registry.uscc = holders.holder_id
)

select
    combined.*,
    -- R-SUBJ-4: "counted land of its own" = counted parcels or village_land_to_enterprise / other_occupied
    parcel_area_m2 + direct_ledger_area_m2 as own_land_area_m2,
    case
        when holder_kind = 'individual' then individual_area_m2 > 0
        else is_registered
             and (parcel_area_m2 + direct_ledger_area_m2 > 0 or separate_area_m2 > 0 or waiting_r_land_5)
    end as is_candidate
from combined
