{#- R-AUDIT-4 then R-UNIT-2: stats_enterprise_annual of year Y with the applied audit findings of Y
    replacing the reported values (key uscc). Findings name the raw 千元 columns (value_added_kyuan …);
    the verified value is converted to 万元 as staging converts them (macro to_wan_from_kyuan). -#}
{%- set feed = 'stats_enterprise_annual' -%}

select
    stg.year,
    stg.uscc,
    cast({{ eval_verified_column(feed, 'above_scale') }} as boolean) as above_scale,
    cast({{ eval_verified_column(feed, 'output_value_kyuan') }} as double) as output_wan,
    cast({{ eval_verified_column(feed, 'value_added_kyuan') }} as double) as value_added_wan,
    cast({{ eval_verified_column(feed, 'revenue_kyuan') }} as double) as revenue_wan,
    cast({{ eval_verified_column(feed, 'rd_expense_kyuan') }} as double) as rd_expense_wan,
    cast({{ eval_verified_column(feed, 'hightech_value_added_kyuan') }} as double) as hightech_value_added_wan,
    cast({{ eval_verified_column(feed, 'energy_tce') }} as double) as energy_tce,
    cast({{ eval_verified_column(feed, 'avg_employees') }} as double) as avg_employees,
    fnd.record_key is not null as has_applied_finding
from {{ ref('stg_stats__enterprise_annual') }} as stg
left join {{ eval_findings_pivot(feed) }} as fnd
    on fnd.year = stg.year and fnd.record_key = stg.uscc
