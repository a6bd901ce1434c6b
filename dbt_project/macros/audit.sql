{#- Audit helpers. -#}

{#- A value shaped like a GB 11643 citizen id (17 digits + check character). -#}
{% macro audit_is_person_id(expr) -%}
    {{ return(adapter.dispatch('audit_is_person_id')(expr)) }}
{%- endmacro %}

{% macro default__audit_is_person_id(expr) -%}
    regexp_full_match({{ expr }}, '[0-9]{17}[0-9X]')
{%- endmacro %}

{% macro spark__audit_is_person_id(expr) -%}
    ({{ expr }} rlike '^[0-9]{17}[0-9X]$')
{%- endmacro %}
