-- R-GRADE-1: in every evaluated year the last grade cut must cover r/N = 1, otherwise some subject
-- gets no initial grade.
select year, max(cast(max_rank_share as double)) as top_share
from {{ policy_for_year('policy_grade_cuts') }} as cuts
group by year
having max(cast(max_rank_share as double)) < 1
