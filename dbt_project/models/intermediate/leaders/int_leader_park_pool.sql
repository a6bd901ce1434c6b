-- The pool of the park leader lists (rules.csv §6, [S1] §二(二)-(五)).
-- Grain: year × list_code × park_id: every park whose park_type is the list's (seed leader_lists).
-- is_candidate = the park is eligible (符合参评条件; null = not eligible) and its park_class is one of
-- the list's classes (seed leader_list_classes; micro parks: manufacturing 生产制造类 only).
-- Tilt ([S1] §三(一), seed leader_tilts): tax_per_mu growth over the same park's Y-1 value (positive
-- Y-1 tax_per_mu required, compared at 9 decimals) and the park's county in the 26 加快发展县.
with

measures as (
    select * from {{ ref('int_leader_park_measures') }}
),

lists as (
    select year, list_code, park_type
    from {{ policy_for_year('leader_lists') }} as l
    where list_kind = 'park'
),

classes as (
    select year, list_code, class_code, name_zh as class_name
    from {{ policy_for_year('leader_list_classes') }} as c
),

counties as (
    select county_code, in_26_counties from {{ ref('ref_counties') }}
),

tilts as (
    {{ leader_tilt_parameters() }}
),

pool as (
    select
        m.*,
        l.list_code,
        c.class_name,
        (m.eligible and c.class_code is not null) as is_candidate,
        p.tax_per_mu as tax_per_mu_prev,
        case when p.tax_per_mu > 0 then m.tax_per_mu / p.tax_per_mu - 1 end as tax_per_mu_growth,
        coalesce(k.in_26_counties, false) as in_26_counties
    from measures as m
    inner join lists as l
        on l.year = m.year and l.park_type = m.park_type
    left join classes as c
        on c.year = m.year
        and c.list_code = l.list_code
        and c.class_code = m.park_class
    left join measures as p
        on p.year = m.year - 1
        and p.park_id = m.park_id
    left join counties as k
        on k.county_code = m.county_code
)

select
    cast(pool.year as integer) as year,
    cast(pool.list_code as {{ dbt.type_string() }}) as list_code,
    cast(pool.park_class as {{ dbt.type_string() }}) as park_class,
    cast(pool.class_name as {{ dbt.type_string() }}) as park_class_name,
    cast(pool.park_id as {{ dbt.type_string() }}) as park_id,
    cast(pool.park_name as {{ dbt.type_string() }}) as park_name,
    cast(pool.county_code as {{ dbt.type_string() }}) as county_code,
    coalesce(pool.is_candidate, false) as is_candidate,
    cast(pool.tax_per_mu as double) as tax_per_mu,
    cast(pool.tax_per_mu_prev as double) as tax_per_mu_prev,
    cast(pool.tax_per_mu_growth as double) as tax_per_mu_growth,
    pool.in_26_counties,
    {{ leader_tilt_points('pool', 'tilts') }} as tilt_points
from pool
inner join tilts on tilts.year = pool.year
