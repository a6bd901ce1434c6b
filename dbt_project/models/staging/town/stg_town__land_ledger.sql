-- stg_town__land_ledger: raw.land_ledger (未登记用地台账) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'land_ledger') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(record_id as {{ dbt.type_string() }}) as record_id,
        cast(town_code as {{ dbt.type_string() }}) as town_code,
        cast(occupant_id as {{ dbt.type_string() }}) as occupant_id,
        cast(landlord_id as {{ dbt.type_string() }}) as landlord_id,
        cast(arrangement as {{ dbt.type_string() }}) as arrangement,
        cast(sublessor_person_id as {{ dbt.type_string() }}) as sublessor_person_id,
        cast(area_m2 as double) as area_m2,
        cast(separate_evaluation as boolean) as separate_evaluation,
        cast(split_by_area as boolean) as split_by_area,
        cast(verified as boolean) as verified

    from source

)

select * from renamed
