{#- UNION ALL BY NAME: rows of several CTEs whose column sets differ, a column missing from a part
    being null there. DuckDB has it natively; elsewhere each part selects every column by name.
    parts: [(cte, [its columns]), ...]; the result has the columns in order of first appearance. -#}
{% macro union_all_by_name(parts) -%}
    {{ return(adapter.dispatch('union_all_by_name')(parts)) }}
{%- endmacro %}
{% macro duckdb__union_all_by_name(parts) -%}
    {%- for cte, _ in parts %}
    {% if not loop.first %}union all by name {% endif %}select * from {{ cte }}
    {%- endfor %}
{%- endmacro %}
{% macro default__union_all_by_name(parts) -%}
    {%- set all_columns = [] -%}
    {%- for _, columns in parts -%}
        {%- for c in columns if c not in all_columns -%}{%- do all_columns.append(c) -%}{%- endfor -%}
    {%- endfor -%}
    {%- for cte, columns in parts %}
    {% if not loop.first %}union all {% endif %}select
        {%- for c in all_columns %} {{ c if c in columns else 'null as ' ~ c }}{{ ',' if not loop.last }}{% endfor %}
    from {{ cte }}
    {%- endfor %}
{%- endmacro %}
