-- stg_resources__land_parcels: raw.land_parcels (已登记用地) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'land_parcels') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(parcel_id as {{ dbt.type_string() }}) as parcel_id,
        cast(holder_uscc as {{ dbt.type_string() }}) as holder_uscc,
        cast(land_use as {{ dbt.type_string() }}) as land_use,
        cast(area_m2 as double) as area_m2,
        cast(delivered_on as date) as delivered_on,
        cast(construction_deadline as date) as construction_deadline,
        cast(completed_on as date) as completed_on,
        cast(delay_cause as {{ dbt.type_string() }}) as delay_cause,
        cast(is_new_enterprise as boolean) as is_new_enterprise,
        cast(early_evaluation as boolean) as early_evaluation

    from source

)

select * from renamed
