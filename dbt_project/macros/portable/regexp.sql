{#- Regular expressions across adapters. DuckDB uses RE2, Spark java.util.regex: the project's
    patterns (character classes, {n,m}, (?:...), \x{HHHH}) mean the same in both. On Spark the
    profile sets spark.sql.parser.escapedStringLiterals, so pattern literals keep their backslashes
    as on DuckDB. -#}

{#- The whole string matches the pattern. -#}
{% macro regexp_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match')(expr, pattern)) }}
{%- endmacro %}
{% macro duckdb__regexp_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ pattern }})
{%- endmacro %}
{% macro default__regexp_full_match(expr, pattern) -%}
    ({{ expr }} rlike concat('^(?:', {{ pattern }}, ')$'))
{%- endmacro %}

{#- Some part of the string matches the pattern. -#}
{% macro regexp_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains')(expr, pattern)) }}
{%- endmacro %}
{% macro duckdb__regexp_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }})
{%- endmacro %}
{% macro default__regexp_contains(expr, pattern) -%}
    ({{ expr }} rlike {{ pattern }})
{%- endmacro %}
