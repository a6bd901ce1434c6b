-- R-GRADE-1: the last grade cut must cover r/N = 1, otherwise some subject gets no initial grade.
select max(cast(max_rank_share as double)) as top_share
from {{ ref('policy_grade_cuts') }}
having max(cast(max_rank_share as double)) < 1
