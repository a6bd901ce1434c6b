-- stg_market__invention_patents: raw.patents (有效发明专利) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'patents') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(invention_patents as bigint) as invention_patents

    from source

)

select * from renamed
