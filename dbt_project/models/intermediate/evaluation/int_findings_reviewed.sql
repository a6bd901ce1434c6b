{#- R-AUDIT-4 (§8 "audit findings"): every audit finding of year Y, whether it is applied to the keyed
    row of stats_enterprise_annual (uscc), land_parcels (parcel_id) or land_ledger (record_id) of the
    same year, and why not when it is not. The *_verified models read the applied ones. -#}
{%- set spec = eval_finding_fields() -%}

with findings as (
    select
        year,
        _row_number,
        subject_id,
        source_feed,
        record_key,
        field_name,
        reported_value,
        verified_value,
        verified_on,
        -- several findings for one field of one row: the latest verification wins, then the last row
        row_number() over (
            partition by year, source_feed, record_key, field_name
            order by verified_on desc, _row_number desc
        ) as recency_rank
    from {{ ref('int_audit_findings_with_appeals') }}
),

supported as (
    {%- for feed, s in spec.items() %}
    {%- for f in s.fields %}
    select '{{ feed }}' as source_feed, '{{ f.field }}' as field_name, '{{ f.type }}' as value_type
    {%- if not (loop.last) %} union all{% endif %}
    {%- endfor %}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

keys as (
    select distinct year, 'stats_enterprise_annual' as source_feed, uscc as record_key
    from {{ ref('stg_stats__enterprise_annual') }}
    union all
    select distinct year, 'land_parcels' as source_feed, parcel_id as record_key
    from {{ ref('stg_resources__land_parcels') }}
    union all
    select distinct year, 'land_ledger' as source_feed, record_id as record_key
    from {{ ref('stg_town__land_ledger') }}
),

checked as (
    select
        findings.*,
        supported.value_type,
        keys.record_key is not null as key_found,
        case supported.value_type
            {%- for t in ['boolean', 'number', 'date', 'enum', 'text'] %}
            when '{{ t }}' then ({{ eval_parse_finding('findings.verified_value', t) }}) is not null
            {%- endfor %}
        end as value_parses
    from findings
    left join supported
        on supported.source_feed = findings.source_feed and supported.field_name = findings.field_name
    left join keys
        on keys.year = findings.year and keys.source_feed = findings.source_feed
        and keys.record_key = findings.record_key
)

select
    year,
    _row_number,
    subject_id,
    source_feed,
    record_key,
    field_name,
    reported_value,
    verified_value,
    verified_on,
    (recency_rank = 1 and value_type is not null and key_found and coalesce(value_parses, false)) as applied,
    case
        when value_type is null then 'field_not_supported'
        when not key_found then 'record_not_found'
        when not coalesce(value_parses, false) then 'value_not_parseable'
        when recency_rank > 1 then 'superseded_by_later_finding'
    end as not_applied_reason
from checked
