-- stg_province__county_incentives: raw.county_incentives (督查激励名单) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'county_incentives') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(county_code as {{ dbt.type_string() }}) as county_code

    from source

)

select * from renamed
