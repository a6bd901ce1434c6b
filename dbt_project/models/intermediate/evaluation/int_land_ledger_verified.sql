{#- R-AUDIT-4: land_ledger of year Y with the applied audit findings of Y replacing the reported
    values (key record_id), before R-SUBJ-7 and the subject rules read them. -#}
{%- set feed = 'land_ledger' -%}

select
    stg.year,
    stg.record_id,
    cast({{ eval_verified_column(feed, 'town_code') }} as {{ dbt.type_string() }}) as town_code,
    cast({{ eval_verified_column(feed, 'occupant_id') }} as {{ dbt.type_string() }}) as occupant_id,
    cast({{ eval_verified_column(feed, 'landlord_id') }} as {{ dbt.type_string() }}) as landlord_id,
    cast({{ eval_verified_column(feed, 'arrangement') }} as {{ dbt.type_string() }}) as arrangement,
    cast({{ eval_verified_column(feed, 'sublessor_person_id') }} as {{ dbt.type_string() }}) as sublessor_person_id,
    cast({{ eval_verified_column(feed, 'area_m2') }} as double) as area_m2,
    cast({{ eval_verified_column(feed, 'separate_evaluation') }} as boolean) as separate_evaluation,
    cast({{ eval_verified_column(feed, 'split_by_area') }} as boolean) as split_by_area,
    cast({{ eval_verified_column(feed, 'verified') }} as boolean) as verified,
    fnd.record_key is not null as has_applied_finding
from {{ ref('stg_town__land_ledger') }} as stg
left join {{ eval_findings_pivot(feed) }} as fnd
    on fnd.year = stg.year and fnd.record_key = stg.record_id
