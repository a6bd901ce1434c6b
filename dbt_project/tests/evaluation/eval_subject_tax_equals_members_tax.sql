{{ config(meta={"dagster": {"ref": {"name": "int_subject_measures"}}}) }}
-- Conservation of tax (R-SUBJ-3/4/5/6/9, R-TAX-1/2): a subject's counted tax is its members' counted
-- tax (int_enterprise_tax, the R-TAX model) times their membership fractions - no tax is created or
-- lost between the enterprises and the subjects. Every subject of int_subjects has its measures row.
with members_tax as (
    select membership.year, membership.subject_id,
           sum(membership.fraction * coalesce(tax.tax_wan, 0)) as members_tax_wan
    from {{ ref('int_subject_membership') }} as membership
    left join {{ ref('int_enterprise_tax') }} as tax
        on tax.year = membership.year and tax.uscc = membership.member_id
    group by membership.year, membership.subject_id
)

select subjects.year, subjects.subject_id, measures.tax_wan, members_tax.members_tax_wan
from {{ ref('int_subjects') }} as subjects
left join {{ ref('int_subject_measures') }} as measures
    on measures.year = subjects.year and measures.subject_id = subjects.subject_id
left join members_tax
    on members_tax.year = subjects.year and members_tax.subject_id = subjects.subject_id
where measures.subject_id is null
   or abs(coalesce(measures.tax_wan, 0) - coalesce(members_tax.members_tax_wan, 0))
      > 1e-6 * greatest(1, abs(coalesce(members_tax.members_tax_wan, 0)))
