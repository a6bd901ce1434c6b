-- stg_mujun_office__audit_findings: raw.audit_findings (抽查核实结果) renamed, cast and converted to warehouse units.
-- No joins, no business filters (staging contract, models/staging/README.md).

with

source as (

    select * from {{ source('raw', 'audit_findings') }}

),

renamed as (

    select
        -- data year and delivery row
        cast(year as integer) as year,
        cast(_row_number as bigint) as _row_number,

        -- contract columns (models/staging/README.md order)
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(feed as {{ dbt.type_string() }}) as source_feed,
        cast(record_key as {{ dbt.type_string() }}) as record_key,
        cast(field as {{ dbt.type_string() }}) as field_name,
        cast(reported_value as {{ dbt.type_string() }}) as reported_value,
        cast(verified_value as {{ dbt.type_string() }}) as verified_value,
        cast(verified_on as date) as verified_on

    from source

)

select * from renamed
