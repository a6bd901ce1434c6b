-- stg_talent__talents: raw.talents (新增认定高层次人才) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'talents') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(level as {{ dbt.type_string() }}) as talent_level,
        cast(certified_on as date) as certified_on

    from source

)

select * from renamed
