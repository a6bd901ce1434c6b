{#- The public identity of every candidate subject (the public interface): subject_id as published (person ids of
    individuals masked: first 6 + '********' + last 4) and subject_key (unique per year even when masked
    ids collide). Computed once over every int_subjects row of every year, so that the marts and the
    audit records name a subject the same way. -#}

with subjects as (
    select year, subject_id, subject_kind
    from {{ ref('int_subjects') }}
)

select
    year,
    subject_id,
    cast(case when subject_kind = 'individual' then {{ eval_mask_person_id('subject_id') }}
              else subject_id end as {{ dbt.type_string() }}) as public_subject_id,
    cast({{ eval_subject_key('subject_id', 'subject_kind') }} as {{ dbt.type_string() }}) as subject_key
from subjects
