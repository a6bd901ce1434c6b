{#- The combination of columns is unique (feed keys are unique per year file, the feed contract "keys"):
      data_tests:
        - unique_combination:
            arguments:
              combination_of_columns: [year, uscc]
    Rows with a null in any column of the combination are not compared (not_null covers them). -#}
{% test unique_combination(model, combination_of_columns) %}

{%- set cols = combination_of_columns | join(', ') %}

select {{ cols }}, count(*) as n_rows
from {{ model }}
where
    {%- for c in combination_of_columns %}
    {{ c }} is not null{% if not loop.last %} and{% endif %}
    {%- endfor %}
group by {{ cols }}
having count(*) > 1

{% endtest %}
