-- stg_science__hightech_certificates: raw.hightech_certificates (国家高新技术企业) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'hightech_certificates') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(certificate_no as {{ dbt.type_string() }}) as certificate_no,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to

    from source

)

select * from renamed
