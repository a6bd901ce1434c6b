{#- The leader-list tilt ([S1] §三(一), seed leader_tilts), shared by the enterprise and park pools so
    the rule is written once: points for tax_per_mu growth ≥ threshold over Y-1 (compared at 9 decimals,
    because 23/20 - 1 = 0.1499999999999999) plus points for a subject or park in the 26 加快发展县. -#}
{#- One row per evaluated year (the leader_tilts rows valid in it, macro policy_for_year). -#}
{% macro leader_tilt_parameters() -%}
    select
        year,
        max(case when tilt_code = 'tax_per_mu_growth' then points end) as growth_points,
        max(case when tilt_code = 'tax_per_mu_growth' then threshold end) as growth_threshold,
        max(case when tilt_code = 'county_26' then points end) as county_26_points
    from {{ policy_for_year('leader_tilts') }} as t
    group by year
{%- endmacro %}

{% macro leader_tilt_points(pool, tilts) -%}
    cast(
        case
            when round({{ pool }}.tax_per_mu_growth, 9) >= {{ tilts }}.growth_threshold
                then coalesce({{ tilts }}.growth_points, 0)
            else 0
        end
        + case when {{ pool }}.in_26_counties then coalesce({{ tilts }}.county_26_points, 0) else 0 end
        as double
    )
{%- endmacro %}
