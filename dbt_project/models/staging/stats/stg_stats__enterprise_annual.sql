-- stg_stats__enterprise_annual: raw.stats_enterprise_annual (企业年度统计) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'stats_enterprise_annual') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        cast(above_scale as boolean) as above_scale,
        -- R-UNIT-2: 千元 / 10 = 万元
        {{ to_wan_from_kyuan('output_value_kyuan') }} as output_wan,
        -- R-UNIT-2: 千元 / 10 = 万元
        {{ to_wan_from_kyuan('value_added_kyuan') }} as value_added_wan,
        -- R-UNIT-2: 千元 / 10 = 万元
        {{ to_wan_from_kyuan('revenue_kyuan') }} as revenue_wan,
        -- R-UNIT-2: 千元 / 10 = 万元
        {{ to_wan_from_kyuan('rd_expense_kyuan') }} as rd_expense_wan,
        -- R-UNIT-2: 千元 / 10 = 万元
        {{ to_wan_from_kyuan('hightech_value_added_kyuan') }} as hightech_value_added_wan,
        cast(energy_tce as double) as energy_tce,
        cast(avg_employees as double) as avg_employees

    from source

)

select * from renamed
