{#- The publication stage log (publication.stages, written by orchestration/publish.py) or, before the
    first publication recorded a stage, an empty relation of the same shape. It is not a dbt source:
    it does not exist in a new warehouse, and a missing log means "no year has been published yet". -#}
{% macro publication_log(table) -%}
{%- set shapes = {
    'stages': [('year', 'integer'), ('stage', dbt.type_string()), ('stage_on', 'date'),
               ('recorded_at', dbt.type_timestamp())],
    'stage_grades': [('year', 'integer'), ('stage', dbt.type_string()), ('subject_key', dbt.type_string()),
                     ('grade', dbt.type_string())],
} -%}
{%- set rel = adapter.get_relation(database=target.database, schema='publication', identifier=table) if execute else none -%}
{%- if rel is not none -%}
    (select {% for c, t in shapes[table] %}cast({{ c }} as {{ t }}) as {{ c }}{{ ", " if not loop.last }}{% endfor %} from {{ rel }})
{%- else -%}
    (select {% for c, t in shapes[table] %}cast(null as {{ t }}) as {{ c }}{{ ", " if not loop.last }}{% endfor %} where 1 = 0)
{%- endif -%}
{%- endmacro %}

{#- The date the pipeline judges the 公示 window against: var as_of (YYYY-MM-DD; tests and replays),
    else the day the dbt invocation started. -#}
{% macro publication_as_of() -%}
    cast('{{ var("as_of", run_started_at.strftime("%Y-%m-%d")) }}' as date)
{%- endmacro %}
