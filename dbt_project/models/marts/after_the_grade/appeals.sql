{#- Public mart (issue #13): every appeal (复核/申诉) of every year, one row per delivered appeal, with its
    status (accepted / rejected / pending / awaiting_publicity / quarantined + reason), whether it was
    applied, the subject's grade at 公示 (grade_before: the `initial` stage snapshot in
    publication.stage_grades, or the current grade while the year is still initial) and its grade now
    (grade_after), and the rules involved: R-APPEAL-1 (data) or R-APPEAL-2 (grade), R-APPEAL-3 when
    quarantined; for an applied appeal then R-AUDIT-4 (data) and the rules that moved the grade
    (grade_rules_text, which holds R-GRADE-7 for a grade appeal).
    Person ids are masked as in the other marts. -#}

with appeals as (
    select * from {{ ref('int_appeals_checked') }}
),

stages as (
    select * from {{ ref('int_publication_stages') }}
),

applied as (
    select * from {{ ref('int_appeals_applied') }}
),

findings as (
    select year, _row_number, source_feed, record_key, field_name, applied, not_applied_reason
    from {{ ref('int_findings_reviewed') }}
),

keys as (
    select * from {{ ref('int_subject_keys') }}
),

grades as (
    select year, subject_id, grade, grade_rules_text from {{ ref('int_grades') }}
),

snapshot as (
    select year, subject_key, grade
    from {{ publication_log('stage_grades') }}
    where stage = 'initial'
),

registered as (
    select distinct uscc from {{ ref('stg_market__enterprises') }}
),

joined as (
    select
        appeals.*,
        stages.stage,
        keys.subject_key,
        coalesce(keys.public_subject_id,
                 case when registered.uscc is null then {{ mask_person_value('appeals.subject_id') }}
                      else appeals.subject_id end) as public_subject_id,
        applied.appeal_id is not null
            and (appeals.appeal_kind = 'grade' or coalesce(findings.applied, false)) as is_applied,
        case
            when appeals.status <> 'accepted' then null
            when stages.stage <> 'final' then 'year_not_final'
            when appeals.appeal_kind = 'data' and not coalesce(findings.applied, false)
                then coalesce(findings.not_applied_reason, 'not_applied')
            when appeals.appeal_kind = 'grade' and grades.grade is null then 'subject_not_graded'
        end as not_applied_reason,
        coalesce(snapshot.grade, case when stages.stage = 'initial' then grades.grade end) as grade_before,
        grades.grade as grade_after,
        grades.grade_rules_text
    from appeals
    left join stages on stages.year = appeals.year
    left join applied on applied.year = appeals.year and applied.appeal_id = appeals.appeal_id
        and appeals.id_rows = 1
    left join findings
        on findings.year = appeals.year and findings._row_number = applied.delivery_order
        and findings.source_feed = appeals.source_feed and findings.record_key = appeals.record_key
        and findings.field_name = appeals.field_name
    left join keys on keys.year = appeals.year and keys.subject_id = appeals.subject_id
    left join grades on grades.year = appeals.year and grades.subject_id = appeals.subject_id
    left join snapshot on snapshot.year = appeals.year and snapshot.subject_key = keys.subject_key
    left join registered on registered.uscc = appeals.subject_id
)

select
    cast(year as integer) as year,
    cast(appeal_id as {{ dbt.type_string() }}) as appeal_id,
    cast(public_subject_id as {{ dbt.type_string() }}) as subject_id,
    cast(subject_key as {{ dbt.type_string() }}) as subject_key,
    cast(appeal_kind as {{ dbt.type_string() }}) as kind,
    cast(source_feed as {{ dbt.type_string() }}) as source_feed,
    cast({{ mask_person_text('record_key') }} as {{ dbt.type_string() }}) as record_key,
    cast(field_name as {{ dbt.type_string() }}) as field,
    cast({{ mask_person_text('claimed_value') }} as {{ dbt.type_string() }}) as claimed_value,
    cast(claimed_grade as {{ dbt.type_string() }}) as claimed_grade,
    cast(submitted_on as date) as submitted_on,
    cast(decision as {{ dbt.type_string() }}) as decision,
    cast(decided_on as date) as decided_on,
    cast(approval_ref as {{ dbt.type_string() }}) as approval_ref,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(publicity_ends_on as date) as publicity_ends_on,
    cast(stage as {{ dbt.type_string() }}) as year_stage,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(quarantine_reason as {{ dbt.type_string() }}) as quarantine_reason,
    cast({{ mask_person_text('quarantine_detail') }} as {{ dbt.type_string() }}) as quarantine_detail,
    cast(coalesce(is_applied, false) as boolean) as applied,
    cast(not_applied_reason as {{ dbt.type_string() }}) as not_applied_reason,
    cast(grade_before as {{ dbt.type_string() }}) as grade_before,
    cast(grade_after as {{ dbt.type_string() }}) as grade_after,
    cast(
        case
            when status = 'quarantined' then 'R-APPEAL-3'
            when appeal_kind = 'data' then 'R-APPEAL-1'
            else 'R-APPEAL-2'
        end
        || case when coalesce(is_applied, false) and appeal_kind = 'data' then ',R-AUDIT-4' else '' end
        || case when coalesce(is_applied, false) and coalesce(grade_rules_text, '') <> ''
                then ',' || grade_rules_text else '' end
        as {{ dbt.type_string() }}) as rules
from joined
