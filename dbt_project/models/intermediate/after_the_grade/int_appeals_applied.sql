{#- R-APPEAL-1/2: the accepted, unquarantined appeals of the years in the `final` stage. A data appeal
    becomes an audit finding (R-AUDIT-4 path: int_audit_findings_with_appeals), a grade appeal an
    approved adjustment (R-GRADE-7 path: int_grade_adjustments_with_appeals). delivery_order puts
    appeals after every finding / adjustment row of the year (10^9 + row), so an accepted appeal is the
    last word, as the 领导小组's decision after 公示 is. -#}

select
    appeals.year,
    appeals.appeal_id,
    appeals.appeal_kind,
    appeals.subject_id,
    appeals.source_feed,
    appeals.record_key,
    appeals.field_name,
    appeals.claimed_value,
    appeals.claimed_grade,
    coalesce(appeals.decided_on, appeals.submitted_on) as decided_on,
    appeals.approval_ref,
    cast(1000000000 + appeals._row_number as bigint) as delivery_order
from {{ ref('int_appeals_checked') }} as appeals
inner join {{ ref('int_publication_stages') }} as stages
    on stages.year = appeals.year and stages.stage = 'final'
where appeals.status = 'accepted'
