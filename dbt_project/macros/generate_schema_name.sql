{#- Schemas are exactly the names the public interface documents (raw, staging, intermediate,
    marts, audit, quarantine, reference): a custom schema is used as is, never prefixed with the
    target schema, so analysts query marts.subject_evaluation in every environment. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
