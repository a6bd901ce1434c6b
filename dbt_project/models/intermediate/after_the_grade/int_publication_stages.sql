{#- R-STAGE-2: the stage of each data year's results. `initial` (公示) until the year's 公示 window has
    opened and then either closed or been ended by an explicit `mujun publish --final`, with no valid
    appeal still pending; then `final`. Only a final year applies its accepted appeals
    (int_appeals_applied), so the two stages differ exactly by the appeals. -#}

with calendar as (
    select * from {{ ref('int_publication_calendar') }}
),

appeals as (
    select
        year,
        count(*) as appeals,
        sum(case when status = 'pending' then 1 else 0 end) as appeals_pending,
        sum(case when status = 'accepted' then 1 else 0 end) as appeals_accepted,
        sum(case when status = 'quarantined' then 1 else 0 end) as appeals_quarantined
    from {{ ref('int_appeals_checked') }}
    group by year
)

select
    calendar.year,
    case when calendar.publicity_start is not null
              and (calendar.window_closed or calendar.final_requested_on is not null)
              and coalesce(appeals.appeals_pending, 0) = 0
         then 'final' else 'initial' end as stage,
    calendar.publicity_start,
    calendar.publicity_days,
    calendar.publicity_ends_on,
    calendar.as_of,
    calendar.window_closed,
    calendar.final_requested_on,
    coalesce(appeals.appeals, 0) as appeals,
    coalesce(appeals.appeals_pending, 0) as appeals_pending,
    coalesce(appeals.appeals_accepted, 0) as appeals_accepted,
    coalesce(appeals.appeals_quarantined, 0) as appeals_quarantined
from calendar
left join appeals on appeals.year = calendar.year
