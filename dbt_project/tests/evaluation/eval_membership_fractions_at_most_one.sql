-- R-SUBJ-4: an enterprise's measures are given out at most once: its membership fractions are positive
-- and sum to at most 1 per year (a split gives own/(own + rented) and rented/(own + rented)).
select year, member_id, sum(fraction) as fractions, min(fraction) as smallest
from {{ ref('int_subject_membership') }}
group by year, member_id
having sum(fraction) > 1 + 1e-9 or min(fraction) <= 0
