-- Park measures and indicators for the park leader lists (rules.csv §6, [S1] §二(二)-(五)).
-- Grain: year × park_id (every park of the parks feed, eligible or not; Y-1 values feed growth).
-- Decisions (see _leaders__models.yml):
--   * economic measures (tax, output, value added, revenue, R&D, energy, employees) are the sums of
--     the members' rows in marts.subject_evaluation of the same year, graded or not (a park's
--     performance is its enterprises' activity; excluded rows keep their measures);
--   * a member without a subject row of its own (merged into a landlord under R-SUBJ-3/6/9, or
--     holding no counted land) adds no economic measures: they are in its landlord's row, which
--     counts only if the landlord is itself a member (never double counted). Such members are
--     counted in members_without_subject_row;
--   * per-enterprise facts are read per member uscc: valid 高新技术企业 (R-HT-1) and the statistics of Y
--     after audit findings (R-AUDIT-4: hightech value added, above_scale) from int_enterprise_measures,
--     new talents (certified_on in Y) and invention patents (patents feed of Y) from staging;
--   * a sum is null when no member contributes a non-null value; a zero or null denominator makes
--     the indicator null (it scores 0).
--   * cultivated_enterprises = members above-scale in Y that were not above-scale in Y-1 (no Y-1
--     statistics row = not above-scale, R-SUBJ-8); null when Y-1 statistics are not in the warehouse.
with

parks as (
    select year, park_id, park_name, park_type, park_class, county_code, area_mu,
           effective_investment_wan, eligible
    from {{ ref('stg_parks__parks') }}
),

members as (
    select distinct year, park_id, uscc
    from {{ ref('stg_parks__park_members') }}
    where uscc is not null
),

subject_rows as (
    select year, subject_id, tax_wan, output_wan, value_added_wan, revenue_wan, rd_expense_wan,
           energy_tce, avg_employees
    from {{ ref('subject_evaluation') }}
    where subject_kind = 'enterprise'
),

stats as (
    -- audit-corrected statistics (R-AUDIT-4), as the evaluation reads them
    select year, uscc, above_scale, hightech_value_added_wan
    from {{ ref('int_enterprise_measures') }}
    where has_stats
),

stats_years as (
    select distinct year from stats
),

hightech as (
    -- R-HT-1, defined once in int_enterprise_measures
    select year, uscc
    from {{ ref('int_enterprise_measures') }}
    where is_hightech
),

talents as (
    select year, uscc, count(*) as new_talents
    from {{ ref('stg_talent__talents') }}
    where extract(year from certified_on) = year
    group by year, uscc
),

patents as (
    select year, uscc, sum(invention_patents) as invention_patents
    from {{ ref('stg_market__invention_patents') }}
    group by year, uscc
),

member_facts as (
    select
        m.year,
        m.park_id,
        m.uscc,
        case when s.subject_id is null then 1 else 0 end as without_subject_row,
        s.tax_wan,
        s.output_wan,
        s.value_added_wan,
        s.revenue_wan,
        s.rd_expense_wan,
        s.energy_tce,
        s.avg_employees,
        st.hightech_value_added_wan,
        case when h.uscc is not null then 1 else 0 end as is_hightech,
        coalesce(t.new_talents, 0) as new_talents,
        coalesce(pt.invention_patents, 0) as invention_patents,
        case
            when py.year is null then null
            when coalesce(st.above_scale, false) and not coalesce(sp.above_scale, false) then 1
            else 0
        end as cultivated
    from members as m
    left join subject_rows as s
        on s.year = m.year and s.subject_id = m.uscc
    left join stats as st
        on st.year = m.year and st.uscc = m.uscc
    left join stats as sp
        on sp.year = m.year - 1 and sp.uscc = m.uscc
    left join stats_years as py
        on py.year = m.year - 1
    left join hightech as h
        on h.year = m.year and h.uscc = m.uscc
    left join talents as t
        on t.year = m.year and t.uscc = m.uscc
    left join patents as pt
        on pt.year = m.year and pt.uscc = m.uscc
),

park_sums as (
    select
        year,
        park_id,
        count(*) as members,
        sum(without_subject_row) as members_without_subject_row,
        {{ exact_sum('tax_wan') }} as tax_wan,
        {{ exact_sum('output_wan') }} as output_wan,
        {{ exact_sum('value_added_wan') }} as value_added_wan,
        {{ exact_sum('revenue_wan') }} as revenue_wan,
        {{ exact_sum('rd_expense_wan') }} as rd_expense_wan,
        {{ exact_sum('energy_tce') }} as energy_tce,
        {{ exact_sum('avg_employees') }} as avg_employees,
        {{ exact_sum('hightech_value_added_wan') }} as hightech_value_added_wan,
        sum(is_hightech) as hightech_members,
        {{ exact_sum('new_talents') }} as new_talents,
        sum(invention_patents) as invention_patents,
        sum(cultivated) as cultivated_enterprises
    from member_facts
    group by year, park_id
),

joined as (
    select
        p.*,
        coalesce(s.members, 0) as members,
        coalesce(s.members_without_subject_row, 0) as members_without_subject_row,
        s.tax_wan,
        s.output_wan,
        s.value_added_wan,
        s.revenue_wan,
        s.rd_expense_wan,
        s.energy_tce,
        s.avg_employees,
        s.hightech_value_added_wan,
        coalesce(s.hightech_members, 0) as hightech_members,
        coalesce(s.new_talents, 0) as new_talents,
        coalesce(s.invention_patents, 0) as invention_patents,
        case
            when py.year is not null then coalesce(s.cultivated_enterprises, 0)
        end as cultivated_enterprises,
        case when p.area_mu > 0 then p.area_mu end as area_den,
        case when s.avg_employees > 0 then s.avg_employees end as employees_den,
        case when s.energy_tce > 0 then s.energy_tce end as energy_den,
        case when s.revenue_wan > 0 then s.revenue_wan end as revenue_den
    from parks as p
    left join park_sums as s
        on s.year = p.year and s.park_id = p.park_id
    left join stats_years as py
        on py.year = p.year - 1
)

select
    cast(year as integer) as year,
    cast(park_id as {{ dbt.type_string() }}) as park_id,
    cast(park_name as {{ dbt.type_string() }}) as park_name,
    cast(park_type as {{ dbt.type_string() }}) as park_type,
    cast(park_class as {{ dbt.type_string() }}) as park_class,
    cast(county_code as {{ dbt.type_string() }}) as county_code,
    cast(area_mu as double) as area_mu,
    cast(effective_investment_wan as double) as effective_investment_wan,
    coalesce(eligible, false) as eligible,
    cast(members as integer) as members,
    cast(members_without_subject_row as integer) as members_without_subject_row,
    cast(tax_wan as double) as tax_wan,
    cast(output_wan as double) as output_wan,
    cast(value_added_wan as double) as value_added_wan,
    cast(revenue_wan as double) as revenue_wan,
    cast(rd_expense_wan as double) as rd_expense_wan,
    cast(energy_tce as double) as energy_tce,
    cast(avg_employees as double) as avg_employees,
    cast(hightech_value_added_wan as double) as hightech_value_added_wan,
    cast(hightech_members as integer) as hightech_members,
    cast(new_talents as integer) as new_talents,
    cast(invention_patents as integer) as invention_patents,
    -- indicators (all "higher is better")
    cast(tax_wan / area_den as double) as tax_per_mu,
    cast(output_wan / area_den as double) as output_per_mu,
    cast(value_added_wan / area_den as double) as value_added_per_mu,
    cast(value_added_wan / employees_den as double) as labour_productivity,
    cast(rd_expense_wan / revenue_den as double) as rd_intensity,
    cast(value_added_wan / energy_den as double) as energy_productivity,
    cast(output_wan / employees_den as double) as output_per_employee,
    cast(output_wan / energy_den as double) as output_per_tce,
    cast(effective_investment_wan / area_den as double) as investment_per_mu,
    cast((hightech_members + new_talents + invention_patents) * 100.0 / area_den as double)
        as factor_density,
    cast(invention_patents * 10000.0 / employees_den as double) as patents_per_10k_employees,
    cast(hightech_value_added_wan / area_den as double) as hightech_value_added_per_mu,
    cast(cultivated_enterprises as integer) as cultivated_enterprises,
    cast(case when members > 0 then hightech_members * 1.0 / members end as double) as hightech_share
from joined
