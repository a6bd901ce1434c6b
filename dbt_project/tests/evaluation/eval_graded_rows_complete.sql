-- §8: graded rows have rank, grades and a total; excluded rows have none of them.
select year, subject_id, excluded_reason
from {{ ref('subject_evaluation') }}
where (excluded_reason is null and (grade is null or initial_grade is null or rank_in_group is null or total_score is null))
   or (excluded_reason is not null and (grade is not null or total_score is not null or rank_in_group is not null))
