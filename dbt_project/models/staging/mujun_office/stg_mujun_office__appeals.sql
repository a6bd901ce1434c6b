-- stg_mujun_office__appeals: raw.appeals (复核申诉) renamed and cast.
-- No joins, no business filters (staging contract, models/staging/README.md); the 公示 window, subject
-- and field checks are in int_appeals_checked.

with

source as (

    select * from {{ source('raw', 'appeals') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(appeal_id as {{ dbt.type_string() }}) as appeal_id,
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(kind as {{ dbt.type_string() }}) as appeal_kind,
        cast(feed as {{ dbt.type_string() }}) as source_feed,
        cast(record_key as {{ dbt.type_string() }}) as record_key,
        cast(field as {{ dbt.type_string() }}) as field_name,
        cast(claimed_value as {{ dbt.type_string() }}) as claimed_value,
        cast(claimed_grade as {{ dbt.type_string() }}) as claimed_grade,
        cast(submitted_on as date) as submitted_on,
        cast(decision as {{ dbt.type_string() }}) as decision,
        cast(decided_on as date) as decided_on,
        -- free text (a reference or a reason may name a person by id): masked here
        cast({{ mask_person_text('approval_ref') }} as {{ dbt.type_string() }}) as approval_ref,
        cast({{ mask_person_text('reason') }} as {{ dbt.type_string() }}) as reason

    from source

)

select * from renamed
