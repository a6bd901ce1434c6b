-- stg_power__electricity_monthly: raw.energy_monthly (月度用电) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'energy_monthly') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast({{ dbt.date_trunc('month', 'month') }} as date) as month,
        cast(electricity_kwh as double) as electricity_kwh

    from source

)

select * from renamed
