-- stg_ecology__emissions: raw.emissions_annual (主要污染物排放量) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'emissions_annual') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(pollutant as {{ dbt.type_string() }}) as pollutant,
        cast(emission_kg as double) as emission_kg

    from source

)

select * from renamed
