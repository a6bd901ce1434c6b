{#- A list of strings from comma-separated text ('' is the empty list, null stays null): the one
    list column of the marts (subject_evaluation.grade_rules). DuckDB: VARCHAR[]; Spark: ARRAY<STRING>.
    The contract type of such a column is list_of_strings_type() (see _evaluation__models.yml). -#}
{% macro string_list_from_csv(text) -%}
    {{ return(adapter.dispatch('string_list_from_csv')(text)) }}
{%- endmacro %}
{% macro duckdb__string_list_from_csv(text) -%}
    cast(case when {{ text }} = '' then [] else string_split({{ text }}, ',') end as varchar[])
{%- endmacro %}
{% macro default__string_list_from_csv(text) -%}
    case when {{ text }} = '' then cast(array() as array<string>) else split({{ text }}, ',') end
{%- endmacro %}
