-- R-UNIT-1: the evaluation converts area with the §8 expression area_m2 * 15 / 10000 (macro
-- eval_m2_to_mu); this fails if ref_unit_factors.m2_per_mu says something else.
select factor, value
from {{ ref('ref_unit_factors') }}
where factor = 'm2_per_mu'
  and abs(cast(value as double) - 10000.0 / 15) > 1e-6
