{#- A sum of DOUBLE values that does not depend on the order the rows arrive in: DuckDB aggregates in
    parallel, and floating-point addition is not associative, so two builds of the same data gave
    sums differing in the last bits (and grades, benchmarks and published aggregates with them).
    Each value is rounded to 10 decimals (far below any unit of the rules: 万元, 亩, kWh) and added
    exactly as a DECIMAL(38, 10); the result is DOUBLE again. -#}
{% macro exact_sum(expr) -%}
    {{ return(adapter.dispatch('exact_sum')(expr)) }}
{%- endmacro %}

{% macro default__exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 10))) as double)
{%- endmacro %}
