-- stg_mujun_office__land_use_exceptions: raw.land_use_exceptions (亩均办认定) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'land_use_exceptions') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(kind as {{ dbt.type_string() }}) as exception_kind,
        cast(tenant_uscc as {{ dbt.type_string() }}) as tenant_uscc,
        cast(tenant_type as {{ dbt.type_string() }}) as tenant_type

    from source

)

select * from renamed
