"""The frames the GX suites validate, read from the warehouse with one short-lived connection.

- structural frames: the whole population of raw.<feed> (R-AUDIT-2);
- marts frame: marts.subject_evaluation;
- cross-department frame: the sampled subjects' base records (R-AUDIT-2/3), one row per record:
    record_type 'enterprise'  a member enterprise of the subject (the subject itself, merged tenants):
                              its statistics row with counted tax (R-TAX-1) and electricity of Y;
    record_type 'ledger'      a verified land-ledger row of Y touching the subject (as occupant,
                              as landlord, or under the subject as individual);
    record_type 'certificate' a 高新技术企业 certificate row of Y of a member enterprise;
    record_type 'subject'     the subject's area in marts against its town's plausible range.
  Check columns are null where a check does not apply; GX skips nulls, so a row is "checked" by an
  expectation exactly when its columns are non-null.

Base records are the verified ones (audit findings of Y applied, intermediate.int_*_verified) when
the evaluation has built them, else staging: a finding that corrected a value stops failing.
"""
from __future__ import annotations

import pandas as pd

from orchestration.audit import suites as S
from orchestration.feeds import contract as fc

MEMBERSHIP = "intermediate.int_subject_membership"
VERIFIED = {
    "stats": ("intermediate.int_stats_verified", "staging.stg_stats__enterprise_annual"),
    "parcels": ("intermediate.int_land_parcels_verified", "staging.stg_resources__land_parcels"),
    "ledger": ("intermediate.int_land_ledger_verified", "staging.stg_town__land_ledger"),
}


def mask_sql(expr: str) -> str:
    """marts.md masking of person ids (first 6 + ******** + last 4), in DuckDB SQL."""
    return (f"(case when regexp_full_match({expr}, '[0-9]{{17}}[0-9X]') "
            f"then substr({expr}, 1, 6) || '********' || substr({expr}, 15, 4) else {expr} end)")


def relation_exists(con, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchone()[0])


def resolve(con, what: str) -> str:
    verified, staging = VERIFIED[what]
    return verified if relation_exists(con, verified) else staging


def _years_filter(years: list[int] | None) -> str:
    return "" if not years else " where year in (" + ", ".join(str(int(y)) for y in years) + ")"


def structural_frame(con, feed_name: str, years: list[int] | None = None) -> pd.DataFrame:
    feed = fc.feed(feed_name)
    cols = ", ".join(["year", *[f'"{c}"' for c in feed.column_names]])
    return con.execute(f"select {cols} from raw.{feed_name}{_years_filter(years)}").df()


def marts_frame(con, years: list[int] | None = None) -> pd.DataFrame:
    return con.execute(
        "select year, subject_id, subject_key, subject_kind, town_code, area_mu, grade, excluded_reason "
        f"from marts.subject_evaluation{_years_filter(years)}").df()


def _members_sql(con) -> str:
    """(year, subject_id masked, member_uscc) for the sampled subjects."""
    if relation_exists(con, MEMBERSHIP):
        return f"""
            select distinct m.year, s.subject_id, m.member_id as member_uscc
            from {MEMBERSHIP} m
            join audit_sample s on s.year = m.year
             and (s.subject_id = m.subject_id
                  or (s.subject_kind = 'individual' and s.subject_id = {mask_sql('m.subject_id')}))
            where m.fraction > 0
        """
    # Without the evaluation's membership model: the subject itself, its non-separate rented_plant
    # tenants and the occupants under an individual (R-SUBJ-3/5, one level).
    ledger = resolve(con, "ledger")
    return f"""
        select year, subject_id, subject_id as member_uscc from audit_sample
        union
        select l.year, s.subject_id, l.occupant_id
        from {ledger} l
        join audit_sample s on s.year = l.year
         and ((l.arrangement = 'rented_plant' and not coalesce(l.separate_evaluation, false)
               and l.landlord_id = s.subject_id)
           or (l.arrangement = 'village_land_via_individual' and {mask_sql('l.sublessor_person_id')} = s.subject_id))
        where coalesce(l.verified, false)
    """


def cross_department_frame(con, sample: pd.DataFrame, params: dict[str, float]) -> pd.DataFrame:
    """One row per base record of the sampled subjects, with the check columns of CROSS_CHECKS."""
    con.register("audit_sample_df", sample[["year", "subject_id", "town_code"]])
    con.execute("""
        create or replace temp table audit_sample as
        select s.year, s.subject_id, s.town_code, e.subject_kind
        from audit_sample_df s
        left join marts.subject_evaluation e on e.year = s.year and e.subject_id = s.subject_id
    """)
    con.unregister("audit_sample_df")
    try:
        stats, parcels, ledger = resolve(con, "stats"), resolve(con, "parcels"), resolve(con, "ledger")
        members = _members_sql(con)
        sql = f"""
        with members as ({members}),
        factor as (
            select max(case when factor = 'kgce_per_kwh' then cast(value as double) end) as kgce_per_kwh
            from reference.ref_unit_factors
        ),
        registry as (
            select year, uscc, enterprise_name, industry_division, strategic_emerging
            from staging.stg_market__enterprises
        ),
        manufacturing as (
            select cast(division_code as varchar) as division_code, is_manufacturing
            from reference.ref_industry_divisions
        ),
        tax as (   -- R-TAX-1 counted tax of Y, own records of the enterprise
            select t.year, t.uscc, sum(t.amount_wan) as tax_wan
            from staging.stg_tax__payments t
            join reference.ref_tax_codes c on cast(c.tax_code as varchar) = t.tax_code and c.counted
            where (not coalesce(t.deferred, false) and extract(year from t.paid_on) = t.year)
               or (coalesce(t.deferred, false) and extract(year from t.belongs_to) = t.year)
            group by t.year, t.uscc
        ),
        power as (
            select year, uscc, sum(electricity_kwh) as electricity_kwh
            from staging.stg_power__electricity_monthly
            group by year, uscc
        ),
        certs as (
            select year, uscc, certificate_no, valid_from, valid_to
            from staging.stg_science__hightech_certificates
        ),
        enterprise as (
            select
                'enterprise' as record_type,
                m.year, m.subject_id, 'stats_enterprise_annual' as source_feed, m.member_uscc as record_key,
                m.member_uscc as uscc, r.enterprise_name,
                case when coalesce(d.is_manufacturing, false) then st.output_wan end as output_industry_wan,
                case when coalesce(d.is_manufacturing, false) then st.value_added_wan end as value_added_industry_wan,
                st.revenue_wan, coalesce(tx.tax_wan, 0) as tax_wan,
                case when st.revenue_wan > 0 then coalesce(tx.tax_wan, 0) / st.revenue_wan end as tax_revenue_ratio,
                st.energy_tce,
                coalesce(p.electricity_kwh, 0) as electricity_kwh,
                case when st.energy_tce is not null
                     then coalesce(p.electricity_kwh, 0) * f.kgce_per_kwh / 1000 end as electricity_tce,
                case when st.value_added_wan > 0 then st.avg_employees end as employees_if_value_added
            from members m
            cross join factor f
            join {stats} st on st.year = m.year and st.uscc = m.member_uscc
            left join registry r on r.year = m.year and r.uscc = m.member_uscc
            left join manufacturing d on d.division_code = r.industry_division
            left join tax tx on tx.year = m.year and tx.uscc = m.member_uscc
            left join power p on p.year = m.year and p.uscc = m.member_uscc
        ),
        landlord_area as (
            select year, holder_uscc as landlord_id, sum(area_m2) as registered_m2
            from {parcels} group by year, holder_uscc
        ),
        landlord_rented as (
            select year, landlord_id, sum(area_m2) as rented_m2
            from {ledger}
            where coalesce(verified, false) and arrangement = 'rented_plant'
            group by year, landlord_id
        ),
        stats_any as (select year, uscc, above_scale from {stats}),
        ledger_rows as (
            select distinct l.*, s.subject_id
            from {ledger} l
            join audit_sample s on s.year = l.year
            left join members m on m.year = l.year and m.subject_id = s.subject_id and m.member_uscc = l.occupant_id
            where coalesce(l.verified, false)
              and (m.member_uscc is not null
                   or l.landlord_id = s.subject_id
                   or {mask_sql('l.sublessor_person_id')} = s.subject_id)
        ),
        ledger as (
            select
                'ledger' as record_type,
                l.year, l.subject_id, 'land_ledger' as source_feed, l.record_id as record_key,
                case when regexp_full_match(l.occupant_id, '{S.USCC_RE[1:-1]}') then l.occupant_id end as uscc,
                r.enterprise_name,
                l.area_m2, l.arrangement, {mask_sql('l.landlord_id')} as landlord_id,
                la.registered_m2 as landlord_registered_m2, lr.rented_m2 as landlord_rented_m2,
                case when l.arrangement = 'rented_plant' then
                     case when coalesce(la.registered_m2, 0) > 0 then lr.rented_m2 / la.registered_m2
                          else cast('infinity' as double) end
                end as ledger_to_landlord_ratio,
                case when l.arrangement = 'rented_plant' and coalesce(l.separate_evaluation, false) then
                     coalesce(sa.above_scale, false)
                     or coalesce(r.strategic_emerging, false)
                     or exists (select 1 from certs c where c.year = l.year and c.uscc = l.occupant_id
                                and c.valid_from <= make_date(l.year, 12, 31) and c.valid_to >= make_date(l.year, 1, 1))
                end as separate_evaluation_eligible
            from ledger_rows l
            left join registry r on r.year = l.year and r.uscc = l.occupant_id
            left join landlord_area la on la.year = l.year and la.landlord_id = l.landlord_id
            left join landlord_rented lr on lr.year = l.year and lr.landlord_id = l.landlord_id
            left join stats_any sa on sa.year = l.year and sa.uscc = l.occupant_id
        ),
        certificate as (
            select
                'certificate' as record_type,
                c.year, m.subject_id, 'hightech_certificates' as source_feed,
                c.uscc || '/' || c.certificate_no as record_key, c.uscc, r.enterprise_name,
                c.valid_from, c.valid_to,
                datediff('day', c.valid_from, c.valid_to) / 365.25 as certificate_years
            from certs c
            join members m on m.year = c.year and m.member_uscc = c.uscc
            left join registry r on r.year = c.year and r.uscc = c.uscc
        ),
        town_range as (
            select year, town_code,
                   quantile_cont(area_mu, $q_low) / $factor as town_area_min_mu,
                   quantile_cont(area_mu, $q_high) * $factor as town_area_max_mu
            from marts.subject_evaluation
            where excluded_reason is null
            group by year, town_code
        ),
        subject as (
            select
                'subject' as record_type,
                s.year, s.subject_id, 'marts.subject_evaluation' as source_feed, s.subject_id as record_key,
                case when e.subject_kind = 'enterprise' then s.subject_id end as uscc,
                e.subject_name as enterprise_name,
                e.area_mu, tr.town_area_min_mu, tr.town_area_max_mu
            from audit_sample s
            join marts.subject_evaluation e on e.year = s.year and e.subject_id = s.subject_id
            left join town_range tr on tr.year = s.year and tr.town_code = s.town_code
        ),
        records as (
            select * from enterprise
            union all by name select * from ledger
            union all by name select * from certificate
            union all by name select * from subject
        )
        select
            row_number() over (order by r.year, r.subject_id, r.record_type, r.record_key) as row_id,
            s.town_code, e.subject_name,
            r.*
        from records r
        join audit_sample s on s.year = r.year and s.subject_id = r.subject_id
        left join marts.subject_evaluation e on e.year = r.year and e.subject_id = r.subject_id
        order by row_id
        """
        df = con.execute(sql, {"q_low": params["land_area_quantile_low"],
                               "q_high": params["land_area_quantile_high"],
                               "factor": params["land_area_range_factor"]}).df()
    finally:
        con.execute("drop table if exists audit_sample")
    # every check column exists even when no record of its type was sampled
    for e in S.CROSS_CHECKS:
        for k in ("column", "column_A", "column_B"):
            col = e["kwargs"].get(k)
            if col and col not in df.columns:
                df[col] = pd.Series(dtype="float64")
    if "separate_evaluation_eligible" in df.columns:
        df["separate_evaluation_eligible"] = df["separate_evaluation_eligible"].astype("object")
    return df
