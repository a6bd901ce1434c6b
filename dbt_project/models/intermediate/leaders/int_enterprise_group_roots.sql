-- Enterprise groups for the leader lists (rules.csv §6, [S1] §三(三) "母公司和子公司不重复遴选").
-- Grain: year × uscc (every registry row of Y). group_root_uscc = the ultimate parent reached by
-- following parent_uscc of the SAME year's registry:
--   * a chain ends at an enterprise without parent_uscc, or at a parent_uscc that is not in the
--     registry of Y (that outside parent is then the root: subsidiaries of one outside parent are
--     one group);
--   * a cycle (a -> b -> a, also a self-parent a -> a) is detected, not looped: the walk of an
--     enterprise stops when it comes back to itself, cycle members get the smallest uscc of the
--     cycle as root, enterprises whose chain runs into a cycle get that cycle's root too, and
--     cycle_detected is true for all of them (reported by tests/leaders/assert_no_group_cycles.sql);
--   * the walk is bounded by chain_walk_limit() steps (seed policy_chain_walk); a chain longer than that
--     (no cycle) stops at the last enterprise reached and chain_truncated is true.
-- Portable: the bounded walk of macros/portable/chain_walk.sql (the recursive walk, unrolled).
with

enterprises as (
    select
        year,
        uscc,
        case when trim(parent_uscc) = '' then null else trim(parent_uscc) end as parent_uscc
    from {{ ref('stg_market__enterprises') }}
    where uscc is not null
),

starts as (select year, uscc as id from enterprises),
parent_links as (select year, uscc as child_id, parent_uscc as parent_id from enterprises),

{{ chain_walk_ctes('chain', 'starts', 'parent_links', chain_walk_limit()) }},

walk as (select year, origin_id as origin_uscc, node_id as node_uscc, depth from chain),

-- an enterprise is on a cycle when its own walk returns to it
cycle_members as (
    select distinct year, origin_uscc as uscc
    from walk
    where depth > 0 and node_uscc = origin_uscc
),

-- the walk of a cycle member covers exactly its cycle: the smallest uscc of it is the root
cycle_roots as (
    select c.year, c.uscc, min(w.node_uscc) as cycle_root_uscc
    from cycle_members as c
    inner join walk as w
        on w.year = c.year
        and w.origin_uscc = c.uscc
    group by c.year, c.uscc
),

-- every enterprise whose walk reaches a cycle member (itself included)
reaches_cycle as (
    select
        w.year,
        w.origin_uscc,
        min(r.cycle_root_uscc) as cycle_root_uscc,
        min(w.depth) as depth_to_cycle
    from walk as w
    inner join cycle_roots as r
        on r.year = w.year
        and r.uscc = w.node_uscc
    group by w.year, w.origin_uscc
),

walk_end as (
    select year, origin_uscc, max(depth) as max_depth
    from walk
    group by year, origin_uscc
),

terminal as (
    select w.year, w.origin_uscc, w.node_uscc as terminal_uscc, w.depth
    from walk as w
    inner join walk_end as x
        on x.year = w.year
        and x.origin_uscc = w.origin_uscc
        and x.max_depth = w.depth
)

select
    cast(e.year as integer) as year,
    cast(e.uscc as {{ dbt.type_string() }}) as uscc,
    cast(e.parent_uscc as {{ dbt.type_string() }}) as parent_uscc,
    cast(coalesce(rc.cycle_root_uscc, t.terminal_uscc) as {{ dbt.type_string() }}) as group_root_uscc,
    cast(case when rc.origin_uscc is not null then rc.depth_to_cycle else t.depth end as integer)
        as chain_depth,
    rc.origin_uscc is not null as cycle_detected,
    (rc.origin_uscc is null and t.depth >= {{ chain_walk_limit() }}
        and terminal_parent.uscc is not null)
        as chain_truncated
from enterprises as e
inner join terminal as t
    on t.year = e.year
    and t.origin_uscc = e.uscc
left join reaches_cycle as rc
    on rc.year = e.year
    and rc.origin_uscc = e.uscc
left join enterprises as terminal_parent
    on terminal_parent.year = t.year
    and terminal_parent.uscc = t.terminal_uscc
    and terminal_parent.parent_uscc is not null
