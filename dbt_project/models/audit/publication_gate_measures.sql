{#- Key totals per data year that the publication gates compare against Y-1 (orchestration/gates.py,
    totals_change.*). Counted over graded subjects (excluded_reason is null), exactly as the marts
    count them: subject_evaluation.area_mu is the counted area, tax_wan the counted tax. -#}

select
    cast(year as integer) as year,
    count(*) as graded_subjects,
    coalesce({{ exact_sum('area_mu') }}, 0) as counted_area_mu,
    coalesce({{ exact_sum('tax_wan') }}, 0) as counted_tax_wan
from {{ ref('subject_evaluation') }}
where excluded_reason is null
group by year
