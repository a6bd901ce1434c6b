{#- Public mart (issue #13, R-STAGE-1/2): the stage of each data year's results — `initial` (公示) or
    `final` — with the 公示 window and the appeal counts. Every published marts table carries the stage of
    its year as column publication_stage (orchestration/publish.py); publication.stages keeps the date
    each stage was published. -#}

select
    cast(year as integer) as year,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(publicity_start as date) as publicity_start,
    cast(publicity_days as integer) as publicity_days,
    cast(publicity_ends_on as date) as publicity_ends_on,
    cast(as_of as date) as as_of,
    cast(window_closed as boolean) as window_closed,
    cast(final_requested_on as date) as final_requested_on,
    cast(appeals as integer) as appeals,
    cast(appeals_pending as integer) as appeals_pending,
    cast(appeals_accepted as integer) as appeals_accepted,
    cast(appeals_quarantined as integer) as appeals_quarantined
from {{ ref('int_publication_stages') }}
