-- stg_parks__park_members: raw.park_members (园区企业) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'park_members') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(park_id as {{ dbt.type_string() }}) as park_id,
        cast(uscc as {{ dbt.type_string() }}) as uscc

    from source

)

select * from renamed
