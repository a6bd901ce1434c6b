{#- The evaluation years in the warehouse: every year some subject-defining feed was delivered for.
    policy_for_year pairs each of them with the policy seed rows valid in it. -#}

select distinct cast(year as integer) as year from {{ ref('stg_market__enterprises') }}
union
select distinct cast(year as integer) as year from {{ ref('stg_resources__land_parcels') }}
union
select distinct cast(year as integer) as year from {{ ref('stg_town__land_ledger') }}
union
select distinct cast(year as integer) as year from {{ ref('stg_tax__payments') }}
