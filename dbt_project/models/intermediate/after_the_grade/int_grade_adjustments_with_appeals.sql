{#- R-GRADE-7 input: the approved adjustments of the feed; then, for a final year, R-STAGE-3 (the 公示
    grades stand): every subject graded at 公示 (publication.stage_grades, stage initial) without an
    applied appeal keeps its 公示 grade — a data appeal re-ranks the appellant's county group, and
    a subject that had no occasion to appeal must not lose its grade after the window closed; then
    R-APPEAL-2: the accepted grade appeals. Row order = application order (the last row wins,
    rules.csv §8): feed rows, then 5*10^8 + n for the held grades, then 10^9 + n for the appeals. -#}

with applied as (
    select * from {{ ref('int_appeals_applied') }}
),

held as (
    select
        snap.year,
        keys.subject_id,
        snap.grade
    from {{ publication_log('stage_grades') }} as snap
    inner join {{ ref('int_publication_stages') }} as stages
        on stages.year = snap.year and stages.stage = 'final'
    inner join {{ ref('int_subject_keys') }} as keys
        on keys.year = snap.year and keys.subject_key = snap.subject_key
    left join (select distinct year, subject_id from applied) as appellants
        on appellants.year = snap.year and appellants.subject_id = keys.subject_id
    where snap.stage = 'initial' and appellants.subject_id is null
)

select year, _row_number, subject_id, grade, approval_ref
from {{ ref('stg_mujun_office__grade_adjustments') }}

union all

select
    year,
    cast(500000000 + row_number() over (order by year, subject_id) as bigint) as _row_number,
    subject_id,
    grade,
    cast('公示结果维持 (R-STAGE-3)' as {{ dbt.type_string() }}) as approval_ref
from held

union all

select
    year,
    delivery_order as _row_number,
    subject_id,
    claimed_grade as grade,
    approval_ref
from applied
where appeal_kind = 'grade'
