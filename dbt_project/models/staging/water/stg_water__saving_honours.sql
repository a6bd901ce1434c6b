-- stg_water__saving_honours: raw.water_saving (节水型企业) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'water_saving') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(honor as {{ dbt.type_string() }}) as honor

    from source

)

select * from renamed
