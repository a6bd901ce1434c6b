{#- Registered land per parcel and year Y ([S2] §一.1):
    R-LAND-1 only land uses listed as counted in policy_counted_land_uses (industrial, warehouse);
    R-LAND-2 counts from Y >= year(construction_deadline) + land_count_lag_years (1);
    R-LAND-3 enterprise-caused overrun: delay_cause = enterprise, completed_on null or strictly later than
             construction_deadline + overrun_grace_months (6, month-end clamped), and that date <= 31 Dec Y
             -> counts in Y even before R-LAND-2;
    R-LAND-4 government-caused: delay_cause = government and completed_on null or after 31 Dec Y -> not counted;
    R-LAND-5 flag: a new enterprise's parcel (is_new_enterprise, not early_evaluation) keeps its holder
             waiting while Y < year(construction_deadline) + new_enterprise_lag_years (2). -#}

with parcels as (
    select * from {{ ref('int_land_parcels_verified') }}
),

counted_uses as (
    select year, cast(land_use as {{ dbt.type_string() }}) as land_use
    from {{ policy_for_year('policy_counted_land_uses') }} as u
    where counted
),

params as (
    select year, land_count_lag_years, overrun_grace_months, new_enterprise_lag_years
    from {{ policy_params_for_year('policy_scoring',
                                   ['land_count_lag_years', 'overrun_grace_months', 'new_enterprise_lag_years']) }} as p
),

dated as (
    select
        parcels.*,
        counted_uses.land_use is not null as use_counts,
        extract(year from parcels.construction_deadline) as deadline_year,
        cast({{ dbt.dateadd('month', 'params.overrun_grace_months', 'parcels.construction_deadline') }} as date)
            as overrun_from,
        params.land_count_lag_years,
        params.new_enterprise_lag_years
    from parcels
    inner join params on params.year = parcels.year
    left join counted_uses on counted_uses.year = parcels.year and counted_uses.land_use = parcels.land_use
),

ruled as (
    select
        dated.*,
        (year >= deadline_year + land_count_lag_years) as build_period_done,
        (delay_cause = 'enterprise'
            and (completed_on is null or completed_on > overrun_from)
            and extract(year from overrun_from) <= year) as enterprise_overrun,
        (delay_cause = 'government'
            and (completed_on is null or extract(year from completed_on) > year)) as government_deduction,
        (use_counts and coalesce(is_new_enterprise, false) and not coalesce(early_evaluation, false)
            and year < deadline_year + new_enterprise_lag_years) as new_enterprise_waiting
    from dated
)

select
    year,
    parcel_id,
    holder_uscc,
    land_use,
    area_m2,
    construction_deadline,
    completed_on,
    delay_cause,
    is_new_enterprise,
    early_evaluation,
    overrun_from,
    use_counts,
    build_period_done,
    enterprise_overrun,
    government_deduction,
    new_enterprise_waiting,
    (use_counts and not government_deduction and (build_period_done or enterprise_overrun)) as is_counted,
    case when use_counts and not government_deduction and (build_period_done or enterprise_overrun)
         then area_m2 else 0 end as counted_area_m2,
    case
        when not use_counts then 'R-LAND-1'
        when government_deduction then 'R-LAND-4'
        when build_period_done then 'R-LAND-2'
        when enterprise_overrun then 'R-LAND-3'
        else 'R-LAND-2'
    end as deciding_rule
from ruled
