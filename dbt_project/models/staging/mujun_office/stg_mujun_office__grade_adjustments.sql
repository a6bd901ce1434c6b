-- stg_mujun_office__grade_adjustments: raw.grade_adjustments (审定调档) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'grade_adjustments') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(grade as {{ dbt.type_string() }}) as grade,
        -- free text (a reference may name its clerk by id): person ids masked here
        cast({{ mask_person_text('approval_ref') }} as {{ dbt.type_string() }}) as approval_ref

    from source

)

select * from renamed
