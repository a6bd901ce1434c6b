-- stg_parks__parks: raw.parks (园区名录) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'parks') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(park_id as {{ dbt.type_string() }}) as park_id,
        -- free text: person ids inside a name are masked here, so no layer downstream can publish them
        cast({{ mask_person_text('name') }} as {{ dbt.type_string() }}) as park_name,
        cast(park_type as {{ dbt.type_string() }}) as park_type,
        cast(park_class as {{ dbt.type_string() }}) as park_class,
        cast(county_code as {{ dbt.type_string() }}) as county_code,
        cast(area_mu as double) as area_mu,
        cast(effective_investment_wan as double) as effective_investment_wan,
        cast(eligible as boolean) as eligible

    from source

)

select * from renamed
