{#- R-AUDIT-4 (rules.csv §7, §8 "audit findings"): the field-verification findings of year Y that
    replaced a reported value in the keyed row of stats_enterprise_annual (uscc), land_parcels
    (parcel_id) or land_ledger (record_id) when Y was evaluated; the change is kept here, one row per
    year x subject x field x record. Which finding applies (latest verification wins, key must exist,
    value must parse) is decided once, in int_findings_reviewed.
    Person ids are masked as in marts (orchestration/masking.py, the one definition): a subject id
    that is not a registered enterprise (an all-digit USCC also has 18 digits) has every id-like run
    masked; the texts (values, record key) are masked as free text. -#}

with findings as (
    select * from {{ ref('int_findings_reviewed') }}
    where applied
),

registered as (
    select distinct uscc from {{ ref('stg_market__enterprises') }}
)

select
    cast(findings.year as integer) as year,
    cast(case when registered.uscc is null
              then {{ mask_person_value('findings.subject_id') }}
              else findings.subject_id end as {{ dbt.type_string() }}) as subject_id,
    cast(findings.field_name as {{ dbt.type_string() }}) as field,
    cast({{ mask_person_text('findings.reported_value') }} as {{ dbt.type_string() }}) as reported_value,
    cast({{ mask_person_text('findings.verified_value') }} as {{ dbt.type_string() }}) as verified_value,
    cast(findings.verified_on as date) as verified_on,
    cast(findings.source_feed as {{ dbt.type_string() }}) as source_feed,
    cast({{ mask_person_text('findings.record_key') }} as {{ dbt.type_string() }}) as record_key
from findings
left join registered on registered.uscc = findings.subject_id
