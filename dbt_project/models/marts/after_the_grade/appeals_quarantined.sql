{{ config(schema='quarantine') }}
{#- R-APPEAL-3: the quarantined appeals (late, unknown subject or field, incomplete, accepted without
    approval_ref, duplicate id), one row each with its delivered row number, reason code and a detail a
    clerk can act on. Counted with the delivered appeals in marts.appeals (status = quarantined). -#}

select
    cast(year as integer) as year,
    cast('appeals' as {{ dbt.type_string() }}) as feed,
    cast(_row_number as bigint) as row_number,
    cast(appeal_id as {{ dbt.type_string() }}) as appeal_id,
    cast({{ mask_person_text('subject_id') }} as {{ dbt.type_string() }}) as subject_id,
    cast(quarantine_reason as {{ dbt.type_string() }}) as reason,
    cast({{ mask_person_text('quarantine_detail') }} as {{ dbt.type_string() }}) as detail
from {{ ref('int_appeals_checked') }}
where status = 'quarantined'
