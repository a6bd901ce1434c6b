-- Every listed park is eligible in Y, of the list's park_type, in one of the list's classes
-- (seed leader_list_classes; micro parks: manufacturing only).
{{ config(tags=['leaders'], meta={'dagster': {'ref': {'name': 'leaderboard_parks'}}}) }}

select l.year, l.park_type, l.rank, l.park_id, p.park_type as feed_park_type, p.park_class, p.eligible
from {{ ref('leaderboard_parks') }} as l
left join {{ ref('stg_parks__parks') }} as p
    on p.year = l.year
    and p.park_id = l.park_id
left join {{ policy_for_year('leader_list_classes') }} as c
    on c.year = l.year
    and c.list_code = l.park_type
    and c.class_code = p.park_class
where p.park_id is null
    or not coalesce(p.eligible, false)
    or p.park_type <> l.park_type
    or c.class_code is null
    or p.park_class <> l.park_class
