-- Per year and list: at most list_size leaders, ranks 1..n without gaps, quotas summing to the
-- list size whenever there are at most list_size classes with candidates (rules.csv §6), and no
-- class listing more than its quota or than its group-best candidates.
{{ config(tags=['leaders'], meta={'dagster': {'ref': {'name': 'int_leader_selection'}}}) }}

with

listed as (
    select year, list_code, count(*) as listed, min(list_rank) as min_rank, max(list_rank) as max_rank
    from {{ ref('int_leader_selection') }}
    group by year, list_code
),

quotas as (
    select year, list_code, sum(quota) as quota_sum, count(*) as classes
    from {{ ref('int_leader_quotas') }}
    group by year, list_code
),

class_fill as (
    select q.year, q.list_code, q.class_code, q.quota, c.candidates_after_group_dedup,
           count(s.candidate_id) as listed
    from {{ ref('int_leader_quotas') }} as q
    inner join {{ ref('int_leader_class_candidates') }} as c
        on c.year = q.year and c.list_code = q.list_code and c.class_code = q.class_code
    left join {{ ref('int_leader_selection') }} as s
        on s.year = q.year and s.list_code = q.list_code and s.class_code = q.class_code
    group by q.year, q.list_code, q.class_code, q.quota, c.candidates_after_group_dedup
)

select 'list_size' as failure, l.year, l.list_code, cast(null as {{ dbt.type_string() }}) as class_code
from listed as l
inner join {{ policy_for_year('leader_lists') }} as ll on ll.year = l.year and ll.list_code = l.list_code
where l.listed > ll.list_size or l.min_rank <> 1 or l.max_rank <> l.listed

union all

select 'quota_sum', q.year, q.list_code, null
from quotas as q
inner join {{ policy_for_year('leader_lists') }} as ll on ll.year = q.year and ll.list_code = q.list_code
where q.classes <= ll.list_size and q.quota_sum <> ll.list_size

union all

select 'class_fill', year, list_code, class_code
from class_fill
where listed > quota
    or listed <> case when candidates_after_group_dedup < quota
                      then candidates_after_group_dedup else quota end
