{#- Who contributes measures to which subject, with which share (year, member_id, subject_id, fraction).
    - every candidate subject contributes to itself (1 minus what it splits off);
    - R-SUBJ-3: a `rented_plant` tenant without a valid separate evaluation (R-SUBJ-2) and without counted
      land of its own is merged into its landlord (fraction 1);
    - R-SUBJ-5: a `village_land_via_individual` occupant without counted land of its own is merged into
      the individual (sublessor_person_id);
    - R-SUBJ-6: a `non_industrial_tenant` of a merged type (policy_merged_tenant_types: productive_service,
      digital_economy; not `other`) is merged into the subject on whose land it sits;
      an enterprise with several such links is merged once: ledger links first (largest area, then
      parent id), then R-SUBJ-6 links (parent id);
    - R-SUBJ-4: an occupant with counted land of its own is not merged; with `split_by_area` on the
      rented_plant / village_land_via_individual row its additive measures are split,
      own/(own + Σ split rented) to itself and rented/(own + Σ split rented) to each landlord/individual;
    - R-SUBJ-9: merges follow the chain to the final subject (a tenant of a merged tenant ends at the
      same landlord); chains longer than policy_chain_walk.max_links or cycles end nowhere (unresolved, not counted).
    Candidate subjects (int_land_holdings.is_candidate) are never merged into another subject. -#}

with candidates as (
    select year, holder_id, own_land_area_m2
    from {{ ref('int_land_holdings') }}
    where is_candidate
),

ledger as (
    select * from {{ ref('int_ledger_rows_counted') }}
),

tenancy as (
    -- rows through which an occupant's measures can go to another holder
    select
        year,
        occupant_id as member_id,
        case when arrangement = 'rented_plant' then landlord_id else sublessor_person_id end as parent_id,
        area_m2,
        coalesce(split_by_area, false) as split_by_area,
        case when arrangement = 'rented_plant' then 'R-SUBJ-3' else 'R-SUBJ-5' end as rule_id
    from ledger
    where (arrangement = 'rented_plant' and not is_separate_evaluation)
       or arrangement = 'village_land_via_individual'
),

non_industrial as (
    select
        e.year,
        e.tenant_uscc as member_id,
        e.subject_id as parent_id,
        'R-SUBJ-6' as rule_id
    from {{ ref('stg_mujun_office__land_use_exceptions') }} as e
    inner join {{ policy_for_year('policy_merged_tenant_types') }} as t
        on t.year = e.year and cast(t.tenant_type as {{ dbt.type_string() }}) = e.tenant_type and t.merged
    where e.exception_kind = 'non_industrial_tenant' and e.tenant_uscc is not null
),

merge_links as (
    select year, member_id, parent_id, rule_id, 1 as link_priority, area_m2
    from tenancy
    union all
    select year, member_id, parent_id, rule_id, 2 as link_priority, cast(null as double) as area_m2
    from non_industrial
),

merge_ranked as (
    select
        merge_links.*,
        row_number() over (
            partition by merge_links.year, merge_links.member_id
            order by link_priority, area_m2 desc, parent_id
        ) as link_rank
    from merge_links
    left join candidates
        on candidates.year = merge_links.year and candidates.holder_id = merge_links.member_id
    where candidates.holder_id is null          -- a candidate subject is never merged
      and merge_links.parent_id is not null
      and merge_links.parent_id <> merge_links.member_id
),

merged as (
    -- one parent per fully merged enterprise
    select year, member_id, parent_id, rule_id
    from merge_ranked
    where link_rank = 1
),

merge_starts as (select year, member_id as id from merged),
merge_parent_links as (select year, member_id as child_id, parent_id from merged),

{# Follow the chain link by link: the one bounded walk of macros/portable/chain_walk.sql. #}
{{ chain_walk_ctes('merge_walk', 'merge_starts', 'merge_parent_links', chain_walk_limit()) }},

hop_last as (
    -- where each chain ends: its deepest node (depth = links followed)
    select merge_walk.year, merge_walk.origin_id as member_id, merge_walk.node_id as current_id,
           merged.rule_id as first_rule_id, merge_walk.depth
    from (
        select merge_walk.*, max(merge_walk.depth) over (partition by merge_walk.year, merge_walk.origin_id) as last_depth
        from merge_walk
    ) as merge_walk
    inner join merged on merged.year = merge_walk.year and merged.member_id = merge_walk.origin_id
    where merge_walk.depth = merge_walk.last_depth
),

final_parent as (
    -- R-SUBJ-9: the end of each chain; a chain still on a merged id after the last link is unresolved
    select hop.year, hop.member_id, hop.current_id as subject_id, hop.first_rule_id, hop.depth
    from hop_last as hop
    left join merged on merged.year = hop.year and merged.member_id = hop.current_id
    where merged.member_id is null
),

splits as (
    -- R-SUBJ-4 with split_by_area: own/(own + Σ rented) stays, rented/(own + Σ rented) goes
    select
        tenancy.year,
        tenancy.member_id,
        tenancy.parent_id,
        tenancy.area_m2,
        candidates.own_land_area_m2,
        cast(sum(cast(tenancy.area_m2 as decimal(38, 10))) over (partition by tenancy.year, tenancy.member_id) as double) as split_area_m2
    from tenancy
    inner join candidates
        on candidates.year = tenancy.year and candidates.holder_id = tenancy.member_id
    where tenancy.split_by_area and candidates.own_land_area_m2 > 0
      and tenancy.parent_id is not null and tenancy.parent_id <> tenancy.member_id
),

split_resolved as (
    -- the landlord's share follows the landlord's own merge chain (R-SUBJ-9)
    select
        splits.year,
        splits.member_id,
        coalesce(final_parent.subject_id, splits.parent_id) as subject_id,
        splits.area_m2 / (splits.own_land_area_m2 + splits.split_area_m2) as fraction,
        'R-SUBJ-4' as rule_id,
        case when final_parent.subject_id is null then 1 else final_parent.depth + 1 end as chain_depth
    from splits
    left join final_parent
        on final_parent.year = splits.year and final_parent.member_id = splits.parent_id
),

self_share as (
    select
        candidates.year,
        candidates.holder_id as member_id,
        candidates.holder_id as subject_id,
        1 - coalesce({{ exact_sum('split_resolved.fraction') }}, 0) as fraction,
        'self' as rule_id,
        0 as chain_depth
    from candidates
    left join split_resolved
        on split_resolved.year = candidates.year and split_resolved.member_id = candidates.holder_id
    group by candidates.year, candidates.holder_id
),

memberships as (
    select year, member_id, subject_id, fraction, rule_id, chain_depth from self_share
    union all
    select year, member_id, subject_id, fraction, rule_id, chain_depth from split_resolved
    union all
    select year, member_id, subject_id, cast(1 as double) as fraction, first_rule_id as rule_id, depth as chain_depth
    from final_parent
)

select
    year,
    member_id,
    subject_id,
    {{ exact_sum('fraction') }} as fraction,
    min(rule_id) as rule_id,
    max(chain_depth) as chain_depth,
    max(chain_depth) > 1 as via_chain
from memberships
group by year, member_id, subject_id
