-- stg_market__enterprises: raw.registry_enterprises (企业登记信息) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'registry_enterprises') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(uscc as {{ dbt.type_string() }}) as uscc,
        -- free text: person ids inside a name are masked here, so no layer downstream can publish them
        cast({{ mask_person_text('name') }} as {{ dbt.type_string() }}) as enterprise_name,
        cast(county_code as {{ dbt.type_string() }}) as county_code,
        cast(town_code as {{ dbt.type_string() }}) as town_code,
        cast(industry_code as {{ dbt.type_string() }}) as industry_code,
        cast(substring(industry_code, 1, 2) as {{ dbt.type_string() }}) as industry_division,
        cast(established_on as date) as established_on,
        cast(parent_uscc as {{ dbt.type_string() }}) as parent_uscc,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(case when status = '存续' then true else false end as boolean) as is_active,
        cast(strategic_emerging as boolean) as strategic_emerging

    from source

)

select * from renamed
