{#- A SQL boolean expression holds (portable replacement for dbt_utils.expression_is_true).
    Row level (default): fails on every row where the expression is false (null passes; use
    not_null for nulls). With aggregate: true the expression is evaluated once over the whole
    relation (e.g. "count(*) = 97") and a false or null result fails.
      data_tests:
        - expression_is_true:
            arguments:
              expression: "count(*) = 97"
              aggregate: true
    Can be attached to a model or to a column (column_name is then ignored by the expression). -#}
{% test expression_is_true(model, expression, column_name=none, aggregate=false) %}

{% if aggregate %}
select *
from (
    select case when ({{ expression }}) then 1 else 0 end as expression_holds
    from {{ model }}
) as checked
where expression_holds = 0
{% else %}
select *
from {{ model }}
where not ({{ expression }})
{% endif %}

{% endtest %}
