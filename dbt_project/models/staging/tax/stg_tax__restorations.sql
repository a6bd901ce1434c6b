-- stg_tax__restorations: raw.tax_restorations (政策还原税额) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'tax_restorations') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(kind as {{ dbt.type_string() }}) as restoration_kind,
        -- R-UNIT-2: 元 / 10000 = 万元
        {{ to_wan_from_yuan('amount_yuan') }} as amount_wan,
        cast(audit_certified as boolean) as audit_certified

    from source

)

select * from renamed
