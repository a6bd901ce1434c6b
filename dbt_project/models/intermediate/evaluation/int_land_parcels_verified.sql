{#- R-AUDIT-4: land_parcels of year Y with the applied audit findings of Y replacing the reported
    values (key parcel_id), before any land rule (R-LAND-*) reads them. -#}
{%- set feed = 'land_parcels' -%}

select
    stg.year,
    stg.parcel_id,
    cast({{ eval_verified_column(feed, 'holder_uscc') }} as {{ dbt.type_string() }}) as holder_uscc,
    cast({{ eval_verified_column(feed, 'land_use') }} as {{ dbt.type_string() }}) as land_use,
    cast({{ eval_verified_column(feed, 'area_m2') }} as double) as area_m2,
    cast({{ eval_verified_column(feed, 'delivered_on') }} as date) as delivered_on,
    cast({{ eval_verified_column(feed, 'construction_deadline') }} as date) as construction_deadline,
    cast({{ eval_verified_column(feed, 'completed_on') }} as date) as completed_on,
    cast({{ eval_verified_column(feed, 'delay_cause') }} as {{ dbt.type_string() }}) as delay_cause,
    cast({{ eval_verified_column(feed, 'is_new_enterprise') }} as boolean) as is_new_enterprise,
    cast({{ eval_verified_column(feed, 'early_evaluation') }} as boolean) as early_evaluation,
    fnd.record_key is not null as has_applied_finding
from {{ ref('stg_resources__land_parcels') }} as stg
left join {{ eval_findings_pivot(feed) }} as fnd
    on fnd.year = stg.year and fnd.record_key = stg.parcel_id
