{#- R-AUDIT-4 + R-APPEAL-1: the audit findings of the feed, then the accepted data appeals of final
    years as findings (verified value = the claimed value, verified on the decision date). The rest of
    the findings path (int_findings_reviewed, audit.findings_applied) treats both alike. -#}

select
    year, _row_number, subject_id, source_feed, record_key, field_name,
    reported_value, verified_value, verified_on
from {{ ref('stg_mujun_office__audit_findings') }}

union all

select
    year,
    delivery_order as _row_number,
    subject_id,
    source_feed,
    record_key,
    field_name,
    cast(null as {{ dbt.type_string() }}) as reported_value,
    claimed_value as verified_value,
    decided_on as verified_on
from {{ ref('int_appeals_applied') }}
where appeal_kind = 'data'
