{#- The evaluation years in the warehouse: every year some subject-defining feed was delivered for.
    policy_for_year pairs each of them with the policy seed rows valid in it. `mujun whatif --year Y`
    passes var evaluation_years = [Y-1, Y] on its scratch copy (Y's benchmarks and leader growth read
    Y-1), so only those years are re-evaluated. -#}
{%- set only_years = var('evaluation_years', none) %}

select year
from (
    select distinct cast(year as integer) as year from {{ ref('stg_market__enterprises') }}
    union
    select distinct cast(year as integer) as year from {{ ref('stg_resources__land_parcels') }}
    union
    select distinct cast(year as integer) as year from {{ ref('stg_town__land_ledger') }}
    union
    select distinct cast(year as integer) as year from {{ ref('stg_tax__payments') }}
) as delivered
{%- if only_years is not none %}
where year in ({{ (only_years | map('int') | join(', ')) if only_years else 'null' }})
{%- endif %}
