{#- Evaluation helpers (rules.csv §1, §4, §8). Portable SQL unless noted. -#}

{#- R-UNIT-1 / §8 arithmetic: area_mu = area_m2 * 15 / 10000 in DOUBLE (1 亩 = 10000/15 m²).
    The definition of the 亩 is fixed by §8 to this exact expression (not area_m2 / 666.66...), so it
    lives here and nowhere else (no seed row: a unit definition is not a policy parameter). -#}
{% macro eval_m2_to_mu(area_m2) -%}
    (cast({{ area_m2 }} as double) * 15 / 10000)
{%- endmacro %}

{#- §4: a zero or null denominator makes an indicator null (never infinite). -#}
{% macro eval_safe_divide(numerator, denominator) -%}
    case when {{ denominator }} is null or {{ denominator }} = 0 then null
         else cast({{ numerator }} as double) / cast({{ denominator }} as double) end
{%- endmacro %}

{#- the public interface: a person_id (individual subject, a validated 18-character id) is shown as first 6 +
    '********' + last 4: the one definition is orchestration/masking.py (macros/masking). -#}
{% macro eval_mask_person_id(id) -%}
    {{ mask_valid_person_id(id) }}
{%- endmacro %}

{#- The public key of a subject. Masked person ids can collide (same first 6 and last 4 digits: seen at
    province scale), so individuals get the masked id plus '#n', n ranking the unmasked ids that share the mask.
    Enterprises keep their USCC. Must be evaluated over every int_subjects row (all years) to be stable. -#}
{% macro eval_subject_key(id, kind) -%}
    (case when {{ kind }} = 'individual'
          then {{ eval_mask_person_id(id) }} || '#' || cast(dense_rank() over (
                   partition by {{ kind }}, {{ eval_mask_person_id(id) }} order by {{ id }}) as {{ dbt.type_string() }})
          else {{ id }} end)
{%- endmacro %}

{#- A scalar policy parameter from a (parameter, value) seed. -#}
{% macro eval_param(seed, name) -%}
    (select max(cast(p.value as double)) from {{ ref(seed) }} as p where p.parameter = '{{ name }}')
{%- endmacro %}

{#- A boolean in an audit finding's text value: a spelling of ref_boolean_values (the vocabulary
    ingestion accepts, the feed contract), trimmed and case-insensitive; null if unparseable. -#}
{% macro eval_parse_bool(text) -%}
    {#- aggregated: Spark accepts a correlated scalar subquery only when it returns one row by construction
        (the seed's test keeps one meaning per spelling) -#}
    (select max(b.meaning) from {{ ref('ref_boolean_values') }} as b where b.value = lower(trim({{ text }})))
{%- endmacro %}

{#- the feed contract dates YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD in an audit finding's text value; null if unparseable. -#}
{% macro eval_parse_date(text) -%}
    {{ eval_try_cast(
        "case when length(trim(" ~ text ~ ")) = 8 and trim(" ~ text ~ ") not like '%-%' and trim(" ~ text ~ ") not like '%/%'"
        ~ " then substr(trim(" ~ text ~ "), 1, 4) || '-' || substr(trim(" ~ text ~ "), 5, 2) || '-' || substr(trim(" ~ text ~ "), 7, 2)"
        ~ " else replace(trim(" ~ text ~ "), '/', '-') end", "date") }}
{%- endmacro %}

{#- A finding's text value as a number; null if unparseable. -#}
{% macro eval_parse_number(text) -%}
    {{ eval_try_cast("trim(" ~ text ~ ")", "double") }}
{%- endmacro %}

{#- A cast that yields null instead of failing (dbt.safe_cast is a plain cast on duckdb).
    DuckDB-only construct: try_cast; other adapters fall back to dbt.safe_cast. -#}
{% macro eval_try_cast(field, type) -%}
    {{ return(adapter.dispatch('eval_try_cast')(field, type)) }}
{%- endmacro %}
{% macro duckdb__eval_try_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
{% macro default__eval_try_cast(field, type) -%}
    {{ dbt.safe_cast(field, type) }}
{%- endmacro %}
