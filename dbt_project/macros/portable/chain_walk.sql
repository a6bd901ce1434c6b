{#- One bounded walk along parent links, for every chain of the project: R-SUBJ-9 merge chains
    (int_subject_membership) and §6 enterprise groups (int_enterprise_group_roots).

    chain_walk_ctes(name, starts, edges, limit) emits CTEs ending in `<name>` (year, origin_id, node_id,
    depth): depth 0 is every start (year, id) itself, depth k+1 the parent (edges: year, child_id,
    parent_id; at most one parent per child) of the node at depth k. The walk of an origin stops
    where a node has no parent, when it comes back to the origin (a cycle is closed, not looped),
    or after `limit` links (chain_walk_limit(), passed by the model so that a unit test's override
    of it applies). This is what WITH RECURSIVE computes, written as a fixed
    number of left joins (one row per origin, one column per depth) so every engine runs it
    (Spark SQL has no recursive CTE) with cost linear in the limit. -#}

{#- The most links any chain is followed: seeds/policy/policy_chain_walk.csv (max_links), read when
    the model compiles. The limit is a compile-time constant (the number of unrolled joins; the loop
    bound on Spark), so one build walks with one value: the max_links row valid in the evaluated years
    (int_evaluation_years). Evaluated years whose valid rows differ stop the build naming the seed,
    the key and the years (build those years separately: var evaluation_years). A unit test cannot read
    the seed (its inputs are fixtures): it sets the limit with `overrides: {macros: {chain_walk_limit: N}}`. -#}
{% macro chain_walk_limit() -%}
    {%- set in_unit_test = model is defined and model.resource_type == 'unit_test' -%}
    {%- if not execute -%}
        {%- if not in_unit_test -%}{%- do ref('policy_chain_walk') -%}{%- do ref('int_evaluation_years') -%}{%- endif -%}
        {{ return(1) }}
    {%- endif -%}
    {%- if in_unit_test -%}
        {{ exceptions.raise_compiler_error("unit test of a chain walk: set `overrides: {macros: {chain_walk_limit: N}}` (the seed policy_chain_walk is not readable while compiling a unit test)") }}
    {%- endif -%}
    {%- set seed = ref('policy_chain_walk') -%}
    {%- set limits = [] -%}
    {%- if flags.WHICH in ('run', 'build') -%}
        {%- do policy_require('policy_chain_walk', ['max_links']) -%}
        {%- set per_year = run_query("select distinct cast(p.value as integer) as max_links, min(y.year), max(y.year) from "
            ~ ref('int_evaluation_years') ~ " as y inner join " ~ seed ~ " as p"
            ~ " on (p.valid_from_year is null or p.valid_from_year <= y.year)"
            ~ " and (p.valid_to_year is null or p.valid_to_year >= y.year)"
            ~ " where p.parameter = 'max_links' group by cast(p.value as integer) order by 2") -%}
        {%- for r in per_year.rows -%}{%- do limits.append(r) -%}{%- endfor -%}
        {%- if limits | length > 1 -%}
            {%- set shown = [] -%}
            {%- for r in limits -%}{%- do shown.append(r[0] ~ " in years " ~ r[1] ~ "-" ~ r[2]) -%}{%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "policy seed policy_chain_walk (seeds/policy/policy_chain_walk.csv): parameter 'max_links' differs between "
                ~ "the evaluated years (" ~ (shown | join('; ')) ~ "), but one build walks chains with one limit "
                ~ "(a compile-time constant): build those years separately (var evaluation_years) or give them one max_links") }}
        {%- endif -%}
    {%- endif -%}
    {%- if limits | length == 1 -%}
        {%- set limit = limits[0][0] -%}
    {%- else -%}
        {#- no evaluated year (an empty build) or not a run: no year to choose for, the seed's largest value -#}
        {%- set rows = run_query("select max(cast(value as integer)) from " ~ seed ~ " where parameter = 'max_links'") -%}
        {%- set limit = rows.columns[0].values()[0] -%}
    {%- endif -%}
    {%- if limit is none or limit < 1 -%}
        {{ exceptions.raise_compiler_error("seeds/policy/policy_chain_walk.csv: parameter max_links must be a positive integer (valid in the evaluated years)") }}
    {%- endif -%}
    {{ return(limit | int) }}
{%- endmacro %}

{% macro chain_walk_ctes(name, starts, edges, limit) -%}
    {{ return(adapter.dispatch('chain_walk_ctes')(name, starts, edges, limit)) }}
{%- endmacro %}

{#- Spark: the unrolled joins make Catalyst's analyzer spend minutes (it re-deduplicates the same
    relation joined dozens of times), so each path is grown in one expression over a per-year map
    child -> parent (higher-order functions) and exploded. Fine for county and city samples; at
    province scale the per-year map is large (see README "Scale-out on Spark"). -#}
{% macro spark__chain_walk_ctes(name, starts, edges, limit) -%}
{{ name }}_links as (
    select year, map_from_entries(collect_list(struct(child_id, parent_id))) as parent_of
    from {{ edges }}
    where parent_id is not null
    group by year
),
{{ name }}_paths as (
    select
        s.year,
        s.id as origin_id,
        -- step k extends a path that grew at every earlier step (size k), unless its last node
        -- is the origin again (k > 1: a closed cycle) or has no parent
        aggregate(sequence(1, {{ limit }}), array(s.id), (path, k) ->
            case when size(path) = k
                      and not (k > 1 and element_at(path, -1) = s.id)
                      and l.parent_of[element_at(path, -1)] is not null
                 then concat(path, array(l.parent_of[element_at(path, -1)]))
                 else path end) as path
    from {{ starts }} as s
    left join {{ name }}_links as l on l.year = s.year
),
{{ name }} as (
    select year, origin_id, node_id, cast(depth as integer) as depth
    from {{ name }}_paths
    lateral view posexplode(path) walked as depth, node_id
)
{%- endmacro %}

{% macro default__chain_walk_ctes(name, starts, edges, limit) -%}
{#- Only the links that lead somewhere are joined: a child without a parent matches nothing either
    way, and each of the `limit` joins builds its own hash table of these rows (province groups:
    26,709 links instead of 497,052 registry rows, 2,978 -> 499 MB and 8.7 -> 2.8 CPU-s). -#}
{{ name }}_links as (
    select year, child_id, parent_id
    from {{ edges }}
    where parent_id is not null
),
{{ name }}_wide_0 as (
    select year, id as origin_id, id as node_0
    from {{ starts }}
),
{%- for k in range(1, limit + 1) %}
{{ name }}_wide_{{ k }} as (
    select
        w.*,
        case when {% if k > 1 %}w.node_{{ k - 1 }} <> w.origin_id{% else %}true{% endif %}
             then e.parent_id end as node_{{ k }}
    from {{ name }}_wide_{{ k - 1 }} as w
    left join {{ name }}_links as e
        on e.year = w.year and e.child_id = w.node_{{ k - 1 }}
),
{%- endfor %}
{{ name }}_depths as (
    {%- for k in range(0, limit + 1) %}
    select {{ k }} as depth {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),
{{ name }} as (
    select year, origin_id, node_id, depth
    from (
        select
            w.year,
            w.origin_id,
            case d.depth
                {%- for k in range(0, limit + 1) %}
                when {{ k }} then w.node_{{ k }}
                {%- endfor %}
            end as node_id,
            d.depth
        from {{ name }}_wide_{{ limit }} as w
        cross join {{ name }}_depths as d
    ) as unpivoted
    where node_id is not null
)
{%- endmacro %}
