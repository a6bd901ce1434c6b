{#- Unit conversions applied in staging (rules.csv §1). R-UNIT-2: money in metrics is 万元;
    元 / 10000 and 千元 / 10. These are fixed unit definitions, not policy parameters: they are defined
    here only (the 亩 in eval_m2_to_mu; the one DEFAULT factor, kgce_per_kwh, is the seed ref_unit_factors).
    Plain division on a DOUBLE: portable (DuckDB, Spark, Postgres). -#}

{% macro to_wan_from_yuan(column_name) -%}
    (cast({{ column_name }} as double) / 10000)
{%- endmacro %}

{% macro to_wan_from_kyuan(column_name) -%}
    (cast({{ column_name }} as double) / 10)
{%- endmacro %}
