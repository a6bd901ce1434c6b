-- Candidate counts per sector (enterprise lists) or class (park lists): the input of the quotas.
-- Grain: year × list_code × class_code, for classes with at least one candidate.
-- candidates = every candidate of the class (the candidate rule of rules.csv §6), counted BEFORE the
-- group de-duplication (literal: "proportional to the candidate counts"; the de-duplication is a
-- selection rule, [S1] §三(三) "不重复遴选"). candidates_after_group_dedup is kept for the
-- shortfall report.
select
    cast(c.year as integer) as year,
    cast(c.list_code as {{ dbt.type_string() }}) as list_code,
    cast(c.class_code as {{ dbt.type_string() }}) as class_code,
    cast(l.list_size as integer) as list_size,
    cast(count(*) as integer) as candidates,
    cast(sum(case when c.is_group_best then 1 else 0 end) as integer) as candidates_after_group_dedup
from {{ ref('int_leader_candidates_ranked') }} as c
inner join {{ policy_for_year('leader_lists') }} as l
    on l.year = c.year and l.list_code = c.list_code
where c.class_code is not null
group by c.year, c.list_code, c.class_code, l.list_size
