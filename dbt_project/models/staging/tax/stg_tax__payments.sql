-- stg_tax__payments: raw.tax_payments (税收入库明细) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'tax_payments') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(record_id as {{ dbt.type_string() }}) as record_id,
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(tax_code as {{ dbt.type_string() }}) as tax_code,
        cast({{ dbt.date_trunc('month', 'belongs_to') }} as date) as belongs_to,
        cast(paid_on as date) as paid_on,
        cast(deferred as boolean) as deferred,
        -- R-UNIT-2: 元 / 10000 = 万元
        {{ to_wan_from_yuan('amount_yuan') }} as amount_wan

    from source

)

select * from renamed
