-- Leader lists, sectors and classes that could not be filled, and by how many (rules.csv §6).
-- Grain: year × list_code × level × class_code (class_code null on the 'list' rows).
-- Years = the evaluation years (marts.subject_evaluation). Seats that a class cannot fill are not
-- redistributed to other classes ([S1] fixes a per-class selection "分类遴选"; nothing in it moves
-- seats): they are reported here.
--   level 'list':  list_size - listed > 0. reason: no_candidates | fewer_candidates_than_list_size
--                  | class_quotas_not_filled.
--   level 'class': quota - listed > 0. reason: fewer_candidates_than_quota (candidates < quota) |
--                  group_dedup (enough candidates, but members of groups already listed elsewhere
--                  in the list were removed).
with

years as (
    select distinct year from {{ ref('subject_evaluation') }}
),

lists as (
    select year, list_code, list_size
    from {{ policy_for_year('leader_lists') }} as ll
    where list_kind in ('enterprise', 'park')
),

class_candidates as (
    select * from {{ ref('int_leader_class_candidates') }}
),

quotas as (
    select * from {{ ref('int_leader_quotas') }}
),

listed as (
    select year, list_code, class_code, count(*) as listed
    from {{ ref('int_leader_selection') }}
    group by year, list_code, class_code
),

list_rows as (
    select
        y.year,
        l.list_code,
        'list' as level,
        cast(null as {{ dbt.type_string() }}) as class_code,
        l.list_size as seats,
        coalesce(sum(cc.candidates), 0) as candidates,
        coalesce(sum(cc.candidates_after_group_dedup), 0) as candidates_after_group_dedup
    from years as y
    inner join lists as l on l.year = y.year
    left join class_candidates as cc
        on cc.year = y.year and cc.list_code = l.list_code
    group by y.year, l.list_code, l.list_size
),

list_listed as (
    select year, list_code, sum(listed) as listed
    from listed
    group by year, list_code
),

class_rows as (
    select
        q.year,
        q.list_code,
        'class' as level,
        q.class_code,
        q.quota as seats,
        cc.candidates,
        cc.candidates_after_group_dedup
    from quotas as q
    inner join class_candidates as cc
        on cc.year = q.year and cc.list_code = q.list_code and cc.class_code = q.class_code
),

reported as (
    select
        r.*,
        coalesce(x.listed, 0) as listed,
        case
            when r.candidates = 0 then 'no_candidates'
            when r.candidates < r.seats then 'fewer_candidates_than_list_size'
            else 'class_quotas_not_filled'
        end as reason
    from list_rows as r
    left join list_listed as x
        on x.year = r.year and x.list_code = r.list_code
    union all
    select
        r.*,
        coalesce(x.listed, 0) as listed,
        case
            when r.candidates < r.seats then 'fewer_candidates_than_quota'
            else 'group_dedup'
        end as reason
    from class_rows as r
    left join listed as x
        on x.year = r.year and x.list_code = r.list_code and x.class_code = r.class_code
)

select
    cast(year as integer) as year,
    cast(list_code as {{ dbt.type_string() }}) as list_code,
    cast(level as {{ dbt.type_string() }}) as level,
    cast(class_code as {{ dbt.type_string() }}) as class_code,
    cast(seats as integer) as seats,
    cast(candidates as integer) as candidates,
    cast(candidates_after_group_dedup as integer) as candidates_after_group_dedup,
    cast(listed as integer) as listed,
    cast(seats - listed as integer) as shortfall,
    cast(reason as {{ dbt.type_string() }}) as reason
from reported
where seats - listed > 0
