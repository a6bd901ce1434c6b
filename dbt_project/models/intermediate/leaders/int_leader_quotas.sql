-- Quotas of a leader list across its sectors / classes (rules.csv §6): proportional to the candidate
-- counts, largest-remainder (Hamilton) rounding, at least 1 seat for every class with a candidate.
-- Grain: year × list_code × class_code (classes with candidates > 0).
--
-- Algorithm (N = list_size, c_i = candidates, C = Σ c_i, k = classes):
--   1. Minimum seats. Order the classes by c ascending (class_code breaks ties; equal counts always
--      fall on the same side). The m smallest classes get exactly 1 seat, where m is the smallest
--      m ≥ 0 with (N - m) × c_(m+1) ≥ C - (c_1 + … + c_m): i.e. once the classes that would get
--      less than one seat are fixed at 1, every remaining class has an exact share ≥ 1. This is the
--      closed form of "fix every class whose share is < 1, recompute, repeat".
--   2. The remaining S = N - m seats go to the other classes in proportion to their counts:
--      exact share S × c_i / C_free (C_free = Σ c of those classes), floor first, then the
--      leftover seats one each by largest remainder. Remainders share the denominator C_free and are
--      compared exactly as integers (mod(S × c_i, C_free)).
--      Tie-break for equal remainders: larger candidate count first, then class_code ascending.
--   3. N < k (not every class can get a seat; impossible with the DEFAULT seeds): one seat each to
--      the N classes with the most candidates (then class_code ascending), 0 to the others.
-- A quota may exceed the class's candidates (only when the list has fewer candidates than seats,
-- C < N); it is NOT redistributed — the shortfall is reported (leaderboard_shortfalls).
-- Portable SQL: window functions, mod(); no DuckDB-only constructs.
with

inputs as (
    select year, list_code, class_code, list_size, candidates
    from {{ ref('int_leader_class_candidates') }}
    where candidates > 0
),

ordered as (
    select
        inputs.*,
        count(*) over (partition by year, list_code) as classes,
        sum(candidates) over (partition by year, list_code) as total_candidates,
        row_number() over (
            partition by year, list_code order by candidates asc, class_code asc
        ) as ascending_position,
        sum(candidates) over (
            partition by year, list_code order by candidates asc, class_code asc
            rows between unbounded preceding and current row
        ) as cumulative_candidates,
        row_number() over (
            partition by year, list_code order by candidates desc, class_code asc
        ) as descending_position
    from inputs
),

-- the first position from which every class has an exact share ≥ 1 (step 1)
split as (
    select
        year,
        list_code,
        min(
            case
                when (list_size - (ascending_position - 1)) * candidates
                    >= total_candidates - (cumulative_candidates - candidates)
                    then ascending_position
            end
        ) as first_proportional_position
    from ordered
    group by year, list_code
),

classified as (
    select
        o.*,
        s.first_proportional_position,
        case
            when s.first_proportional_position is null then 'too_few_seats'
            when o.ascending_position < s.first_proportional_position then 'minimum'
            else 'proportional'
        end as seat_basis,
        o.list_size - (coalesce(s.first_proportional_position, 1) - 1) as proportional_seats
    from ordered as o
    inner join split as s
        on s.year = o.year and s.list_code = o.list_code
),

proportional_totals as (
    select year, list_code, sum(candidates) as proportional_candidates
    from classified
    where seat_basis = 'proportional'
    group by year, list_code
),

floored as (
    select
        c.*,
        t.proportional_candidates,
        case
            when c.seat_basis = 'proportional'
                then cast((c.proportional_seats * c.candidates
                           - mod(c.proportional_seats * c.candidates, t.proportional_candidates))
                          / t.proportional_candidates as integer)
        end as floor_seats,
        case
            when c.seat_basis = 'proportional'
                then mod(c.proportional_seats * c.candidates, t.proportional_candidates)
        end as remainder_numerator
    from classified as c
    left join proportional_totals as t
        on t.year = c.year and t.list_code = c.list_code
),

leftover as (
    select year, list_code, max(proportional_seats) - sum(floor_seats) as leftover_seats
    from floored
    where seat_basis = 'proportional'
    group by year, list_code
),

remainder_ranked as (
    select
        f.*,
        l.leftover_seats,
        case
            when f.seat_basis = 'proportional'
                then row_number() over (
                    partition by f.year, f.list_code, f.seat_basis
                    order by f.remainder_numerator desc, f.candidates desc, f.class_code asc
                )
        end as remainder_rank
    from floored as f
    left join leftover as l
        on l.year = f.year and l.list_code = f.list_code
)

select
    cast(year as integer) as year,
    cast(list_code as {{ dbt.type_string() }}) as list_code,
    cast(class_code as {{ dbt.type_string() }}) as class_code,
    cast(list_size as integer) as list_size,
    cast(candidates as integer) as candidates,
    cast(total_candidates as integer) as list_candidates,
    cast(list_size * 1.0 * candidates / total_candidates as double) as exact_share,
    cast(seat_basis as {{ dbt.type_string() }}) as seat_basis,
    cast(floor_seats as integer) as floor_seats,
    coalesce(remainder_rank <= leftover_seats, false) as remainder_seat,
    cast(
        case
            when seat_basis = 'minimum' then 1
            when seat_basis = 'too_few_seats'
                then case when descending_position <= list_size then 1 else 0 end
            else floor_seats + case when remainder_rank <= leftover_seats then 1 else 0 end
        end
        as integer
    ) as quota
from remainder_ranked
