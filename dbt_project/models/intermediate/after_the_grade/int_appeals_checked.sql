{#- R-APPEAL-3: every appeal of year Y with its status. An appeal is quarantined (with the first
    applicable reason) when it is
      late                 submitted after the year's 公示 window (R-STAGE-1);
      unknown_subject      its subject is neither a registered enterprise nor a ledger person of Y;
      unknown_field        a data appeal on a feed/field audit findings cannot correct (eval_finding_fields);
      incomplete_appeal    a data appeal without record_key or claimed_value, a grade appeal without claimed_grade;
      no_approval_ref      accepted without the 领导小组's approval reference;
      duplicate_appeal_id  the same appeal_id twice in the year (every row quarantined).
    Otherwise the status is the decision (accepted / rejected / pending), or awaiting_publicity while
    the year has no 公示 recorded (the appeal is kept and judged once the window is known). -#}
{%- set spec = eval_finding_fields() -%}

with appeals as (
    select
        stg.*,
        count(*) over (partition by stg.year, stg.appeal_id) as id_rows
    from {{ ref('stg_mujun_office__appeals') }} as stg
),

calendar as (
    select * from {{ ref('int_publication_calendar') }}
),

known_subjects as (
    select distinct year, uscc as subject_id from {{ ref('stg_market__enterprises') }}
    union
    select distinct year, sublessor_person_id from {{ ref('stg_town__land_ledger') }}
    where sublessor_person_id is not null
),

supported as (
    {%- for feed, s in spec.items() %}
    {%- for f in s.fields %}
    select '{{ feed }}' as source_feed, '{{ f.field }}' as field_name
    {%- if not (loop.last) %} union all{% endif %}
    {%- endfor %}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

checked as (
    select
        appeals.*,
        calendar.publicity_start,
        calendar.publicity_ends_on,
        case
            when appeals.id_rows > 1 then 'duplicate_appeal_id'
            when calendar.publicity_ends_on is not null and appeals.submitted_on > calendar.publicity_ends_on
                then 'late'
            when known_subjects.subject_id is null then 'unknown_subject'
            when appeals.appeal_kind = 'data' and supported.field_name is null then 'unknown_field'
            when appeals.appeal_kind = 'data' and (appeals.record_key is null or appeals.claimed_value is null)
                then 'incomplete_appeal'
            when appeals.appeal_kind = 'grade' and appeals.claimed_grade is null then 'incomplete_appeal'
            when appeals.decision = 'accepted' and coalesce(trim(appeals.approval_ref), '') = '' then 'no_approval_ref'
        end as quarantine_reason
    from appeals
    left join calendar on calendar.year = appeals.year
    left join known_subjects
        on known_subjects.year = appeals.year and known_subjects.subject_id = appeals.subject_id
    left join supported
        on supported.source_feed = appeals.source_feed and supported.field_name = appeals.field_name
)

select
    checked.*,
    case
        when quarantine_reason is not null then 'quarantined'
        when publicity_start is null then 'awaiting_publicity'
        else decision
    end as status,
    case
        when quarantine_reason = 'late' then
            'submitted ' || cast(submitted_on as {{ dbt.type_string() }}) || ', after the 公示 window ended '
            || cast(publicity_ends_on as {{ dbt.type_string() }})
        when quarantine_reason = 'unknown_subject' then 'subject ' || subject_id || ' is not a subject of ' || cast(year as {{ dbt.type_string() }})
        when quarantine_reason = 'unknown_field' then
            'field ' || coalesce(source_feed, '(none)') || '.' || coalesce(field_name, '(none)') || ' cannot be appealed'
        when quarantine_reason = 'incomplete_appeal' then 'a ' || appeal_kind || ' appeal needs '
            || case when appeal_kind = 'data' then 'record_key and claimed_value' else 'claimed_grade' end
        when quarantine_reason = 'no_approval_ref' then 'accepted without approval_ref (领导小组审批文号)'
        when quarantine_reason = 'duplicate_appeal_id' then 'appeal_id delivered more than once in the year'
    end as quarantine_detail
from checked
