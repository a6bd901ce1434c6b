{#- R-STAGE-1: the 公示 window of every data year. A year's window opens on the stage_on date of its
    most recently recorded `initial` record in publication.stages (the first publication's date, or
    the 公示 notice date set later by `mujun publish --initial --on`) and lasts policy_publication_stages.publicity_days; it is closed
    once the as-of date (var as_of, default the run date) is past its last day. final_requested: an
    explicit `mujun publish --final` after the window opened. -#}

with years as (
    select distinct year from {{ ref('stg_market__enterprises') }}
),

log as (
    select * from {{ publication_log('stages') }}
),

opened as (
    select year, stage_on as publicity_start, recorded_at
    from (
        select year, stage_on, recorded_at,
               row_number() over (partition by year order by recorded_at desc, stage_on desc) as recency
        from log
        where stage = 'initial'
    ) as initial_records
    where recency = 1
),

final_requests as (
    -- a final recorded after the latest initial (by `mujun publish --final`, or by the run that made it final)
    select log.year, max(log.stage_on) as final_requested_on
    from log
    inner join opened on opened.year = log.year
    where log.stage = 'final' and log.recorded_at > opened.recorded_at
    group by log.year
),

days as (
    -- the 公示 length valid in each evaluated year
    select year, cast(publicity_days as integer) as publicity_days
    from {{ policy_params_for_year('policy_publication_stages', ['publicity_days']) }} as p
)

select
    years.year,
    opened.publicity_start,
    days.publicity_days,
    cast({{ dbt.dateadd('day', 'days.publicity_days', 'opened.publicity_start') }} as date) as publicity_ends_on,
    {{ publication_as_of() }} as as_of,
    coalesce({{ publication_as_of() }} > cast({{ dbt.dateadd('day', 'days.publicity_days', 'opened.publicity_start') }} as date), false)
        as window_closed,
    final_requests.final_requested_on
from years
left join days on days.year = years.year
left join opened on opened.year = years.year
left join final_requests on final_requests.year = years.year
