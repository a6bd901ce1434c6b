-- Every listed enterprise is a candidate (rules.csv §6): graded (excluded_reason null) with a grade of
-- seed leader_candidate_grades in its own county evaluation of Y, an enterprise of the list's
-- category, in a sector of the list.
{{ config(tags=['leaders'], meta={'dagster': {'ref': {'name': 'leaderboard_enterprises'}}}) }}

select l.year, l.list, l.rank, l.subject_id, e.grade, e.category, e.sector, e.excluded_reason
from {{ ref('leaderboard_enterprises') }} as l
left join {{ ref('subject_evaluation') }} as e
    on e.year = l.year
    and e.subject_id = l.subject_id
left join {{ policy_for_year('leader_lists') }} as ll
    on ll.year = l.year
    and ll.list_code = l.list
left join {{ policy_for_year('leader_candidate_grades') }} as cg
    on cg.year = l.year
    and cg.grade = e.grade
left join {{ ref('ref_sectors') }} as s
    on s.sector_code = e.sector
where e.subject_id is null
    or e.excluded_reason is not null
    or e.subject_kind <> 'enterprise'
    or cg.grade is null
    or e.category <> ll.subject_category
    or s.leader_list is null
    or s.leader_list <> l.list
    or e.sector <> l.sector
