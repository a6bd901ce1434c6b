{#- Unregistered land ledger rows that exist for the rules (R-SUBJ-7: only `verified` rows; §8 unverified
    rows do not exist for the rules) with the R-SUBJ-2 validity of a separate-evaluation approval: a
    `rented_plant` tenant with `separate_evaluation` is evaluated separately only if, in Y, it has its own
    statistics row with above_scale, a valid 高新技术企业 certificate (R-HT-1) or the registry's
    strategic_emerging flag. An approval for anyone else is not applied (`separate_evaluation_status`
    = 'invalid_approval', an audit finding) and the row is then treated as a plain tenancy. -#}

with ledger as (
    select * from {{ ref('int_land_ledger_verified') }}
    where verified
),

measures as (
    select year, uscc, above_scale, is_hightech
    from {{ ref('int_enterprise_measures') }}
),

registry as (
    select year, uscc, strategic_emerging
    from {{ ref('stg_market__enterprises') }}
),

checked as (
    select
        ledger.*,
        (coalesce(measures.above_scale, false)
            or coalesce(measures.is_hightech, false)
            or coalesce(registry.strategic_emerging, false)) as tenant_qualifies
    from ledger
    left join measures on measures.year = ledger.year and measures.uscc = ledger.occupant_id
    left join registry on registry.year = ledger.year and registry.uscc = ledger.occupant_id
)

select
    year,
    record_id,
    town_code,
    occupant_id,
    landlord_id,
    arrangement,
    sublessor_person_id,
    area_m2,
    split_by_area,
    separate_evaluation,
    case
        when arrangement = 'rented_plant' and separate_evaluation and tenant_qualifies then 'valid'
        when arrangement = 'rented_plant' and separate_evaluation then 'invalid_approval'
    end as separate_evaluation_status,
    (arrangement = 'rented_plant' and coalesce(separate_evaluation, false) and tenant_qualifies)
        as is_separate_evaluation
from checked
