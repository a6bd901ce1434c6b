{#- R-AUDIT-4: the fields an audit finding may correct, by feed. Keys are the RAW feed column names
    (the feed contract audit_findings.field); `column` is the staged column it replaces, `type` how the text
    verified_value is parsed, `unit` = 'kyuan' converts 千元 to 万元 with the staging macro to_wan_from_kyuan (R-UNIT-2), so a
    verified value goes through exactly the conversion the reported one went through. -#}
{% macro eval_finding_fields() -%}
{{ return({
  'stats_enterprise_annual': {
    'key': 'uscc',
    'fields': [
      {'field': 'above_scale',                'column': 'above_scale',              'type': 'boolean'},
      {'field': 'output_value_kyuan',         'column': 'output_wan',               'type': 'number', 'unit': 'kyuan'},
      {'field': 'value_added_kyuan',          'column': 'value_added_wan',          'type': 'number', 'unit': 'kyuan'},
      {'field': 'revenue_kyuan',              'column': 'revenue_wan',              'type': 'number', 'unit': 'kyuan'},
      {'field': 'rd_expense_kyuan',           'column': 'rd_expense_wan',           'type': 'number', 'unit': 'kyuan'},
      {'field': 'hightech_value_added_kyuan', 'column': 'hightech_value_added_wan', 'type': 'number', 'unit': 'kyuan'},
      {'field': 'energy_tce',                 'column': 'energy_tce',               'type': 'number'},
      {'field': 'avg_employees',              'column': 'avg_employees',            'type': 'number'},
    ]},
  'land_parcels': {
    'key': 'parcel_id',
    'fields': [
      {'field': 'holder_uscc',           'column': 'holder_uscc',           'type': 'text'},
      {'field': 'land_use',              'column': 'land_use',              'type': 'enum'},
      {'field': 'area_m2',               'column': 'area_m2',               'type': 'number'},
      {'field': 'delivered_on',          'column': 'delivered_on',          'type': 'date'},
      {'field': 'construction_deadline', 'column': 'construction_deadline', 'type': 'date'},
      {'field': 'completed_on',          'column': 'completed_on',          'type': 'date'},
      {'field': 'delay_cause',           'column': 'delay_cause',           'type': 'enum'},
      {'field': 'is_new_enterprise',     'column': 'is_new_enterprise',     'type': 'boolean'},
      {'field': 'early_evaluation',      'column': 'early_evaluation',      'type': 'boolean'},
    ]},
  'land_ledger': {
    'key': 'record_id',
    'fields': [
      {'field': 'town_code',           'column': 'town_code',           'type': 'text'},
      {'field': 'occupant_id',         'column': 'occupant_id',         'type': 'text'},
      {'field': 'landlord_id',         'column': 'landlord_id',         'type': 'text'},
      {'field': 'arrangement',         'column': 'arrangement',         'type': 'enum'},
      {'field': 'sublessor_person_id', 'column': 'sublessor_person_id', 'type': 'text'},
      {'field': 'area_m2',             'column': 'area_m2',             'type': 'number'},
      {'field': 'separate_evaluation', 'column': 'separate_evaluation', 'type': 'boolean'},
      {'field': 'split_by_area',       'column': 'split_by_area',       'type': 'boolean'},
      {'field': 'verified',            'column': 'verified',            'type': 'boolean'},
    ]},
}) }}
{%- endmacro %}

{#- The parsed verified value of a finding text, by field type (null when unparseable). -#}
{% macro eval_parse_finding(text, type) -%}
  {%- if type == 'boolean' -%}{{ eval_parse_bool(text) }}
  {%- elif type == 'number' -%}{{ eval_parse_number(text) }}
  {%- elif type == 'date' -%}{{ eval_parse_date(text) }}
  {%- elif type == 'enum' -%}lower(trim({{ text }}))
  {%- else -%}trim({{ text }})
  {%- endif -%}
{%- endmacro %}

{#- Subquery: one row per (year, record_key) of `feed` with the verified text of every applied
    finding as column f__<field> (R-AUDIT-4). Join it to the staged rows on year and key. -#}
{% macro eval_findings_pivot(feed) -%}
{%- set spec = eval_finding_fields()[feed] -%}
(
    select
        year,
        record_key
        {%- for f in spec.fields %},
        max(case when field_name = '{{ f.field }}' then verified_value end) as f__{{ f.field }}
        {%- endfor %}
    from {{ ref('int_findings_reviewed') }}
    where applied and source_feed = '{{ feed }}'
    group by year, record_key
)
{%- endmacro %}

{#- The verified value of one column: the finding's parsed value (converted like staging converts
    the raw column) when a finding applies, else the staged value. -#}
{% macro eval_verified_column(feed, field, pivot_alias='fnd', staged_alias='stg') -%}
{%- set f = (eval_finding_fields()[feed].fields | selectattr('field', 'equalto', field) | list)[0] -%}
{%- set parsed = eval_parse_finding(pivot_alias ~ '.f__' ~ f.field, f.type) -%}
    case when {{ pivot_alias }}.f__{{ f.field }} is not null
         then {% if f.unit == 'kyuan' %}{{ to_wan_from_kyuan(parsed) }}{% else %}{{ parsed }}{% endif %}
         else {{ staged_alias }}.{{ f.column }} end
{%- endmacro %}
