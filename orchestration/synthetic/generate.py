"""Synthetic departmental feeds: ``generate(out, scale, years, seed)``.

Writes ``<out>/<year>/<feed>.csv`` for every feed of the contract (required and optional), UTF-8,
header = the contract's English column names in contract order.  Same seed → byte-identical files.
The big feeds (tax_payments, energy_monthly) are generated per chunk of enterprises with numpy
and formatted by DuckDB, so memory stays bounded whatever the scale.

Tax file rule (feeds.md): ``<Y>/tax_payments.csv`` holds the records paid in Y plus deferred
records whose ``belongs_to`` is in Y.  Each record is a pure function of (enterprise, tax code,
belongs_to month, seq), so a deferred record belonging to Y and paid in Y+1 appears in both
year files with the same record_id and content.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np

from orchestration.feeds import contract as C

from . import ids
from .model import (M2_PER_MU, World, build_world, date_of, levels, load_counties,
                    month_start, tax_level, year_of)
from .writers import FeedWriter, bool_col

CHUNK_ENTERPRISES = 8000

# Tax streams: (code, code index in record ids, frequency, share of counted tax or None, eligibility, p)
# frequency: M monthly, Q quarterly (belongs_to = quarter's last month), H half-yearly, O one-off
# (at most one per enterprise and year with probability p).
TAX_STREAMS = [
    (10101, 1, "M", 0.45, "general", 1), (10101, 1, "Q", 0.45, "small", 1),
    (10109, 2, "M", 0.03, "general", 1), (10109, 2, "Q", 0.03, "small", 1),
    (30203, 3, "M", 0.0135, "general", 1), (30203, 3, "Q", 0.0135, "small", 1),
    (30216, 4, "M", 0.009, "general", 1), (30216, 4, "Q", 0.009, "small", 1),
    (10104, 5, "Q", 0.22, "profit", 1),
    (10106, 6, "M", 0.07, "all", 1),
    (10111, 7, "Q", 0.01, "all", 1),
    (10110, 8, "H", 0.05, "landholder", 1),
    (10112, 9, "H", 0.05, "landholder", 1),
    (10102, 10, "M", 0.10, "consumption", 1),
    (10107, 11, "Q", 0.03, "resource", 1),
    (10113, 12, "O", 0.05, "all", 0.005),
    (10114, 13, "O", 0.002, "all", 0.2),
    # never counted: social insurance, vehicle purchase, farmland occupation, deed, environment tax
    (60100, 20, "M", None, "si", 1),
    (10116, 21, "O", None, "all", 0.04),
    (10118, 22, "O", None, "landholder", 0.01),
    (10119, 23, "O", None, "landholder", 0.03),
    (10121, 24, "Q", None, "polluter", 1),
]
FREQ_MONTHS = {"M": list(range(1, 13)), "Q": [3, 6, 9, 12], "H": [6, 12]}
SEASON = np.array([1.05, 0.72, 1.0, 1.0, 1.0, 1.05, 1.15, 1.2, 1.05, 1.0, 0.95, 1.02])
POLLUTANT_FACTOR = {"COD": 2e-3, "NH3N": 2e-4, "SO2": 1e-3, "NOX": 1.5e-3}


def _stream_eligibility(w: World) -> dict:
    e, H = w.ent, w.hasher
    uid = e["uid"]
    taxed = e["tax0"] > 0
    general = e["tax0"] >= 1e6
    div = e["div"]
    return {
        "all": taxed, "general": taxed & general, "small": taxed & ~general,
        "profit": taxed & (H.u(uid, 0xC17) < 0.75),
        "landholder": taxed & (e["own_area"] > 0),
        "consumption": taxed & ((np.isin(div, [15, 25, 36]) & (H.u(uid, 0xC02) < 0.5)) | (H.u(uid, 0xC03) < 0.004)),
        "resource": taxed & np.isin(div, [25, 30, 31, 32]) & (H.u(uid, 0xC07) < 0.1),
        "si": taxed & (H.u(uid, 0x5E) < 0.5),
        "polluter": taxed & (e["polluter"] > 0),
    }


def _share_total(elig: dict) -> np.ndarray:
    tot = 0.0
    seen = set()
    for code, _cidx, freq, share, key, _p in TAX_STREAMS:
        if share is None or freq == "O" or (code, key) in seen:
            continue
        seen.add((code, key))
        tot = tot + share * elig[key]
    return np.where(tot > 0, tot, 1.0)


def _tax_chunk(w: World, Y: int, idx: np.ndarray, elig: dict, share_tot: np.ndarray) -> dict | None:
    e, H = w.ent, w.hasher
    win = np.arange((Y - 1) * 12 + 4, Y * 12 + 12, dtype=np.int64)   # belongs_to window
    T = {Y - 1: tax_level(w, Y - 1, idx), Y: tax_level(w, Y, idx)}
    emp = np.maximum(3, e["econ_area"][idx] / M2_PER_MU * 1.5)
    parts = []
    for code, cidx, freq, share, key, p in TAX_STREAMS:
        sel = np.nonzero(elig[key][idx])[0]              # positions within the chunk
        if len(sel) == 0:
            continue
        if freq == "O":
            pe, pm = [], []
            for yr in (Y - 1, Y):
                s = sel[H.u(e["uid"][idx[sel]], cidx, yr, 0x0F) < p]
                pe.append(s)
                pm.append(yr * 12 + H.int(12, e["uid"][idx[s]], cidx, yr, 0x0E))
            pos, mi = np.concatenate(pe), np.concatenate(pm)
            keep = mi >= win[0]
            pos, mi = pos[keep], mi[keep]
            ppy = 1.0
        else:
            months = win[np.isin(win % 12 + 1, FREQ_MONTHS[freq])]
            pos = np.repeat(sel, len(months))
            mi = np.tile(months, len(sel))
            ppy = len(FREQ_MONTHS[freq])
        ent = idx[pos]
        act = (mi >= e["est_mi"][ent]) & (mi <= e["dereg_mi"][ent])
        pos, mi, ent = pos[act], mi[act], ent[act]
        if len(pos) == 0:
            continue
        uid = e["uid"][ent]
        noise = np.exp(0.25 * H.n(uid, cidx, mi, 0xA1) - 0.03)
        yr = mi // 12
        if share is not None:
            t = np.where(yr == Y, T[Y][pos], T[Y - 1][pos])
            amt = t * share / share_tot[ent] / ppy * noise
        elif code == 60100:
            amt = emp[pos] * 1100 * noise
        elif code == 10121:
            amt = 500 + 8000 * noise * H.u(uid, 0x121)
        else:
            amt = {10116: 8e4, 10118: 3e5, 10119: 4e5}[code] * noise * (0.2 + 2 * H.u(uid, cidx, yr, 0x0D))
        counted = share is not None
        deferred = (counted & e["defer_ent"][ent]) & (H.u(uid, cidx, mi, 0xD1) < 0.35) & (yr >= w.y0 - 1)
        lag = np.where(deferred, 3 + H.int(4, uid, cidx, mi, 0xD2), 1)
        paid = month_start(mi + lag) + H.int(24, uid, cidx, mi, 0xDA)
        amt = np.round(amt, 2)
        rev = H.u(uid, cidx, mi, 0xE1) < 0.003
        parts.append((ent, mi, np.full(len(ent), cidx), np.full(len(ent), code), np.zeros(len(ent), np.int64),
                      paid, deferred, amt))
        if rev.any():   # reversals (红冲): a negative record shortly after the original
            r = np.nonzero(rev)[0]
            rpaid = paid[r] + 1 + H.int(14, uid[r], cidx, mi[r], 0xE2)
            ramt = -np.round(amt[r] * (0.05 + 0.95 * H.u(uid[r], cidx, mi[r], 0xE3)), 2)
            parts.append((ent[r], mi[r], np.full(len(r), cidx), np.full(len(r), code), np.ones(len(r), np.int64),
                          rpaid, np.zeros(len(r), bool), ramt))
    if not parts:
        return None
    ent, mi, cidx, code, seq, paid, deferred, amt = (np.concatenate(x) for x in zip(*parts))
    keep = (year_of(paid) == Y) | (deferred & (mi // 12 == Y))
    ent, mi, cidx, code, seq, paid, deferred, amt = (a[keep] for a in (ent, mi, cidx, code, seq, paid, deferred, amt))
    order = np.argsort(((ent * 100_000 + mi) * 100 + cidx) * 10 + seq, kind="stable")
    ent, mi, cidx, code, seq, paid, deferred, amt = (a[order] for a in (ent, mi, cidx, code, seq, paid, deferred, amt))
    ym = (mi // 12) * 100 + mi % 12 + 1
    rid = ((ym * 10**8 + e["uid"][ent]) * 100 + cidx) * 10 + seq
    return {"record_id": rid, "uscc": e["uscc"][ent], "tax_code": code, "belongs_to": mi, "paid_on": paid,
            "deferred": deferred, "amount_yuan": amt}


def _energy_chunk(w: World, Y: int, idx: np.ndarray, kwh_year: np.ndarray) -> dict | None:
    e, H = w.ent, w.hasher
    sel = idx[e["has_energy"][idx] & (kwh_year[idx] > 0)]
    months = np.arange(Y * 12, Y * 12 + 12, dtype=np.int64)
    ent = np.repeat(sel, 12)
    mi = np.tile(months, len(sel))
    act = (mi >= e["est_mi"][ent]) & (mi <= e["dereg_mi"][ent])
    ent, mi = ent[act], mi[act]
    if len(ent) == 0:
        return None
    kwh = kwh_year[ent] / 12 * SEASON[mi % 12] * np.exp(0.1 * H.n(e["uid"][ent], mi, 0xEE))
    return {"uscc": e["uscc"][ent], "month": mi, "electricity_kwh": np.round(kwh, 0)}


def _s(values) -> np.ndarray:
    return np.asarray([str(v) for v in values], dtype=object)


def generate(out: Path, scale: str = "county", years: tuple[int, ...] | list[int] = (2020, 2021), seed: int = 42,
             progress: Callable[[str], None] | None = None) -> dict:
    """Write synthetic feeds for ``years`` under ``out``; returns a summary
    ``{"scale", "seed", "years", "subjects", "enterprises", "rows": {"<year>/<feed>": n}, "seconds"}``."""
    t0 = time.time()
    say = progress or (lambda msg: None)
    out = Path(out)
    years = sorted(set(int(y) for y in years))
    say(f"building {scale} population (seed {seed})")
    w = build_world(scale, years, seed)
    e = w.ent
    n = w.n
    say(f"{n:,} enterprises, ~{w.subjects_planned:,} subjects, {len(w.parcels['parcel_id']):,} parcels, "
        f"{len(w.ledger['occupant']):,} ledger rows")
    elig = _stream_eligibility(w)
    share_tot = _share_total(elig)
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    rows: dict[str, int] = {}
    uscc = e["uscc"]
    all_counties = [c["county_code"] for c in load_counties()]

    for Y in years:
        ydir = out / str(Y)
        lv = levels(w, Y)
        rng = np.random.default_rng(np.random.SeedSequence([seed, Y, 4754]))
        H = w.hasher
        uid = e["uid"]
        exists = lv["exists"]
        alive_end = lv["alive_end"]
        alive_some = exists & ~(e["dereg"] < date_of(Y, 1, 1))
        fixed = {"tax_payments": {"amount_yuan": 2}, "energy_monthly": {"electricity_kwh": 0}}
        writers = {f.name: FeedWriter(con, ydir / f"{f.name}.csv", f, fixed.get(f.name)) for f in C.FEEDS}

        def put(feed, cols):
            return writers[feed].append(cols)   # noqa: B023 (called only within this year's iteration)

        # ---- registry -------------------------------------------------------------------
        r = np.nonzero(exists)[0]
        par = e["parent"][r]
        status = np.where(e["dereg"][r] <= date_of(Y, 12, 31), e["dereg_status"][r], "存续").astype(object)
        strat = e["strategic"][r]
        put("registry_enterprises", {
            "uscc": uscc[r], "name": e["name"][r], "county_code": e["county"][r], "town_code": e["town"][r],
            "industry_code": e["industry"][r], "established_on": e["est"][r],
            "parent_uscc": np.where(par >= 0, uscc[np.maximum(par, 0)], None).astype(object),
            "status": status, "strategic_emerging": bool_col(strat == 1, strat < 0)})

        # ---- statistics -------------------------------------------------------------------
        s = np.nonzero(lv["stats"])[0]
        stats_cols = {
            "uscc": uscc[s], "above_scale": lv["above"][s], "output_value_kyuan": lv["out_kyuan"][s],
            "value_added_kyuan": lv["va_kyuan"][s], "revenue_kyuan": lv["rev_kyuan"][s],
            "rd_expense_kyuan": lv["rd_kyuan"][s], "hightech_value_added_kyuan": lv["ht_kyuan"][s],
            "energy_tce": lv["tce"][s], "avg_employees": lv["emp"][s]}
        put("stats_enterprise_annual", stats_cols)

        # ---- tax payments (chunked) -----------------------------------------------------
        ntax = 0
        for c0 in range(0, n, CHUNK_ENTERPRISES):
            chunk = _tax_chunk(w, Y, np.arange(c0, min(n, c0 + CHUNK_ENTERPRISES)), elig, share_tot)
            if chunk:
                ntax += put("tax_payments", chunk)
            if (c0 // CHUNK_ENTERPRISES) % 10 == 9:
                say(f"{Y} tax_payments: {ntax:,} rows")
        say(f"{Y} tax_payments: {ntax:,} rows")

        # ---- restorations ---------------------------------------------------------------
        cand = np.nonzero(alive_some & (lv["tax"] > 0))[0]
        rs = cand[H.u(uid[cand], Y, 0x4E5) < 0.05]
        kind = np.array(C.RESTORATION_KINDS, dtype=object)[np.arange(len(rs)) % 3]
        cert = np.where(kind == "construction_input_vat", (np.arange(len(rs)) // 3) % 2 == 0,
                        H.u(uid[rs], Y, 0x4E6) < 0.8)
        put("tax_restorations", {"uscc": uscc[rs], "kind": kind,
                                 "amount_yuan": np.round(lv["tax"][rs] * (0.01 + 0.14 * H.u(uid[rs], Y, 0x4E7)), 2),
                                 "audit_certified": cert})

        # ---- land parcels -----------------------------------------------------------------
        P = w.parcels
        pm = (year_of(P["delivered"]) <= Y) & exists[P["holder"]]
        pi = np.nonzero(pm)[0]
        comp = P["completed"][pi]
        comp = np.where(comp <= date_of(Y + 1, 6, 30), comp, np.datetime64("NaT"))
        parcel_cols = {"parcel_id": P["parcel_id"][pi], "holder_uscc": uscc[P["holder"][pi]],
                       "land_use": P["land_use"][pi], "area_m2": P["area_m2"][pi], "delivered_on": P["delivered"][pi],
                       "construction_deadline": P["deadline"][pi], "completed_on": comp,
                       "delay_cause": P["delay_cause"][pi], "is_new_enterprise": P["is_new"][pi],
                       "early_evaluation": P["early"][pi]}
        put("land_parcels", parcel_cols)

        # ---- ledger -------------------------------------------------------------------------
        L = w.ledger
        li = np.nonzero(exists[L["occupant"]])[0]
        lle = L["landlord_ent"][li]
        ledger_cols = {
            "record_id": np.array([f"TZ{t}{k:06d}" for t, k in zip(L["town"][li], L["rec_no"][li])], dtype=object),
            "town_code": L["town"][li], "occupant_id": uscc[L["occupant"][li]],
            "landlord_id": np.where(lle >= 0, uscc[np.maximum(lle, 0)], L["landlord_text"][li]).astype(object),
            "arrangement": L["arrangement"][li], "sublessor_person_id": L["sublessor"][li],
            "area_m2": L["area_m2"][li], "separate_evaluation": L["sep"][li], "split_by_area": L["split"][li],
            "verified": L["verified"][li]}
        put("land_ledger", ledger_cols)

        # ---- land-use exceptions -------------------------------------------------------------
        X = w.exceptions
        xt = X["tenant"]
        xm = exists[X["subject"]] & ((xt < 0) | exists[np.maximum(xt, 0)])
        put("land_use_exceptions", {
            "subject_id": uscc[X["subject"][xm]], "kind": X["kind"][xm],
            "tenant_uscc": np.where(xt[xm] >= 0, uscc[np.maximum(xt[xm], 0)], None).astype(object),
            "tenant_type": X["tenant_type"][xm]})

        # ---- energy (chunked) ------------------------------------------------------------
        nen = 0
        for c0 in range(0, n, CHUNK_ENTERPRISES * 4):
            chunk = _energy_chunk(w, Y, np.arange(c0, min(n, c0 + CHUNK_ENTERPRISES * 4)), lv["kwh"])
            if chunk:
                nen += put("energy_monthly", chunk)
        say(f"{Y} energy_monthly: {nen:,} rows")

        # ---- emissions ---------------------------------------------------------------------
        pe = np.nonzero(alive_some & (e["polluter"] > 0))[0]
        em_e, em_p, em_v = [], [], []
        for j, (pol, fac) in enumerate(POLLUTANT_FACTOR.items()):
            has = (e["polluter"][pe] == 2) & (pol in ("COD", "NOX")) | (
                (e["polluter"][pe] == 1) & ((H.u(uid[pe], j, 0x90) < (0.8, 0.6, 0.5, 0.7)[j]) | (j == 0)))
            q = pe[has]
            v = np.where(e["polluter"][q] == 2, 0.0,
                         np.round(lv["kwh"][q] * fac * np.exp(0.8 * H.n(uid[q], j, 0x91) + 0.05 * H.n(uid[q], j, Y, 0x92)), 2))
            em_e.append(q), em_p.append(np.full(len(q), pol, dtype=object)), em_v.append(v)
        em_e, em_p, em_v = np.concatenate(em_e), np.concatenate(em_p), np.concatenate(em_v)
        o = np.lexsort((np.array([C.POLLUTANTS.index(x) for x in em_p], dtype=np.int64), em_e))
        put("emissions_annual", {"uscc": uscc[em_e[o]], "pollutant": em_p[o], "emission_kg": em_v[o]})

        # ---- talents ----------------------------------------------------------------------------
        act = np.nonzero(alive_some & (year_of(e["est"]) < Y))[0]
        te = act[rng.random(len(act)) < 0.012]
        k_per = rng.choice([1, 1, 1, 2, 3], size=len(te))
        t_ent = np.repeat(te, k_per)
        t_lvl = rng.choice(np.array(C.TALENT_LEVELS), size=len(t_ent), p=[0.03, 0.07, 0.15, 0.25, 0.25, 0.25])
        t_date = date_of(Y) + rng.integers(0, 365, len(t_ent))
        capx = rng.choice(act, size=6, replace=False)      # talents worth more than the 2-point cap
        cap_lv = [["A", "A"], ["A", "B", "C"], ["A", "B"], ["B", "B", "A"], ["A", "C", "C"], ["A", "A", "B"]]
        t_ent = np.concatenate([t_ent, np.repeat(capx, [len(x) for x in cap_lv])])
        t_lvl = np.concatenate([t_lvl, np.array(sum(cap_lv, []))])
        t_date = np.concatenate([t_date, date_of(Y, 3) + rng.integers(0, 250, sum(len(x) for x in cap_lv))])
        late = rng.choice(act, size=6, replace=False)      # certified outside Y (late / early reports)
        t_ent = np.concatenate([t_ent, late])
        t_lvl = np.concatenate([t_lvl, rng.choice(np.array(C.TALENT_LEVELS), size=6)])
        t_date = np.concatenate([t_date, np.array([date_of(Y - 1, 11, 20), date_of(Y - 1, 12, 5), date_of(Y - 1, 12, 28),
                                                   date_of(Y - 1, 10, 9), date_of(Y + 1, 1, 6), date_of(Y - 2, 6, 1)])])
        regions = np.array(all_counties, dtype=np.int64)[rng.integers(0, len(all_counties), len(t_ent))]
        births = date_of(1962) + rng.integers(0, 12000, len(t_ent))
        pids = ids.person_id_batch(regions, births, rng.integers(0, 1000, len(t_ent)))
        put("talents", {"person_id": pids, "uscc": uscc[t_ent], "level": t_lvl.astype(object), "certified_on": t_date})

        # ---- 高新技术企业 certificates ---------------------------------------------------------
        CT = w.certs
        cm = (year_of(CT["from"]) <= Y) & (year_of(CT["to"]) >= Y - 2) & exists[CT["ent"]]
        put("hightech_certificates", {"uscc": uscc[CT["ent"][cm]], "certificate_no": CT["no"][cm],
                                      "valid_from": CT["from"][cm], "valid_to": CT["to"][cm]})

        # ---- water honours ------------------------------------------------------------------
        wc = np.nonzero(alive_some & e["manuf"])[0]
        ws = wc[H.u(uid[wc], Y, 0x3A) < 0.03]
        wb = np.union1d(wc[H.u(uid[wc], Y, 0x3B) < 0.012], ws[:8])  # a few hold both honours
        we = np.concatenate([ws, wb])
        wh = np.array(["provincial_water_saving"] * len(ws) + ["provincial_water_benchmark"] * len(wb), dtype=object)
        o = np.lexsort((wh, we))
        put("water_saving", {"uscc": uscc[we[o]], "honor": wh[o]})

        # ---- patents ----------------------------------------------------------------------------
        pc = np.nonzero(alive_some & (e["manuf"] | (e["div"] >= 63) & (e["div"] <= 75)))[0]
        pc = pc[H.u(uid[pc], 0x9A) < 0.3]
        cnt = np.ceil(np.exp(1.0 + 0.9 * H.n(uid[pc], 0x9B)) * 1.12 ** (Y - w.y0)).astype(np.int64)
        put("patents", {"uscc": uscc[pc], "invention_patents": cnt})

        # ---- parks and members ---------------------------------------------------------------
        PK = w.parks
        put("parks", {"park_id": PK["park_id"], "name": PK["name"], "park_type": PK["type"], "park_class": PK["class"],
                      "county_code": PK["county"], "area_mu": PK["area_mu"],
                      "effective_investment_wan": np.round(PK["investment_wan"] * 1.08 ** (Y - w.y0), 1),
                      "eligible": PK["eligible"]})
        M = w.members
        mm = exists[M["ent"]]
        put("park_members", {"park_id": PK["park_id"][M["park"][mm]], "uscc": uscc[M["ent"][mm]]})

        # ---- county incentives ---------------------------------------------------------------
        gen = sorted({str(c["county_code"]) for c in w.counties})
        pool = gen if len(gen) >= 6 else gen + [c for c in all_counties if c[:4] == gen[0][:4] and c not in gen]
        pick = sorted(set(rng.choice(np.array(pool), size=min(6, len(pool)), replace=False).tolist()) | {gen[0]})
        put("county_incentives", {"county_code": np.array(pick, dtype=object)})

        # ---- grade adjustments (two rows for one subject: the last wins) -------------------
        ap = w.groups["adjust_pool"]
        ap = ap[exists[ap] & alive_end[ap]]
        k = max(4, w.subjects_planned // 400)
        ga = rng.choice(ap, size=k, replace=False)
        ga = np.concatenate([ga, ga[:1]])
        grades = np.array(C.GRADES, dtype=object)[rng.integers(0, 4, len(ga))]
        grades[-1] = C.GRADES[(C.GRADES.index(grades[0]) + 1) % 4]
        short = w.counties[0]["county_name"][:2]
        put("grade_adjustments", {"subject_id": uscc[ga], "grade": grades,
                                  "approval_ref": np.array([f"{short}亩均办〔{Y + 1}〕{i + 3}号" for i in range(len(ga))], dtype=object)})

        # ---- audit findings: keys and reported values exactly as written above --------------
        fa_subj, fa_feed, fa_key, fa_field, fa_rep, fa_ver = [], [], [], [], [], []
        k_st = max(6, len(s) // 300)
        si = rng.choice(len(s), size=min(k_st, len(s)), replace=False)
        fields = ["value_added_kyuan", "revenue_kyuan", "avg_employees"]
        for j, i in enumerate(si.tolist()):
            f = fields[j % 3]
            v = stats_cols[f][i]
            fac = 0.5 + 0.4 * rng.random()
            fa_subj.append(stats_cols["uscc"][i])
            fa_feed.append("stats_enterprise_annual")
            fa_key.append(stats_cols["uscc"][i])
            fa_field.append(f)
            if f == "avg_employees":
                fa_rep.append(str(int(v)))
                fa_ver.append(str(max(0, int(v * fac))))
            else:
                fa_rep.append(repr(float(v)))
                fa_ver.append(repr(round(float(v) * fac, 1)))
        stable_set = np.isin(P["holder"][pi], w.groups["stable"])
        cand_p = np.nonzero(stable_set)[0]
        for i in rng.choice(cand_p, size=min(max(6, len(pi) // 400), len(cand_p)), replace=False).tolist():
            v = float(parcel_cols["area_m2"][i])
            fa_subj.append(parcel_cols["holder_uscc"][i])
            fa_feed.append("land_parcels")
            fa_key.append(parcel_cols["parcel_id"][i])
            fa_field.append("area_m2")
            fa_rep.append(repr(v))
            fa_ver.append(repr(round(v * (0.6 + 0.35 * rng.random()), 2)))
        cand_l = np.nonzero(np.isin(ledger_cols["arrangement"], ["village_land_to_enterprise", "other_occupied"]))[0]
        for i in rng.choice(cand_l, size=min(max(6, len(li) // 100), len(cand_l)), replace=False).tolist():
            v = float(ledger_cols["area_m2"][i])
            fa_subj.append(ledger_cols["occupant_id"][i])
            fa_feed.append("land_ledger")
            fa_key.append(ledger_cols["record_id"][i])
            fa_field.append("area_m2")
            fa_rep.append(repr(v))
            fa_ver.append(repr(round(v * (0.5 + 0.4 * rng.random()), 2)))
        nf = len(fa_subj)
        put("audit_findings", {"subject_id": np.array(fa_subj, object), "feed": np.array(fa_feed, object),
                               "record_key": np.array(fa_key, object), "field": np.array(fa_field, object),
                               "reported_value": np.array(fa_rep, object), "verified_value": np.array(fa_ver, object),
                               "verified_on": date_of(Y + 1, 3) + rng.integers(0, 110, nf)})

        # ---- appeals after 公示 (issue #13): dated for a 公示 that starts on Y+1-04-01 ----------
        put("appeals", _appeals(rng, Y, uscc[ga[:3]], stats_cols, parcel_cols, cand_p, short))

        for name, wr in writers.items():
            rows[f"{Y}/{name}"] = wr.rows
        say(f"{Y}: " + ", ".join(f"{k} {v:,}" for k, v in ((nm, wr.rows) for nm, wr in writers.items())))

    con.close()
    return {"scale": scale, "seed": seed, "years": years, "enterprises": n, "subjects": w.subjects_planned,
            "rows": rows, "seconds": round(time.time() - t0, 2)}


def _appeals(rng, Y: int, graded: np.ndarray, stats_cols: dict, parcel_cols: dict, cand_p: np.ndarray,
             short: str) -> dict[str, np.ndarray]:
    """A few appeals of every kind and outcome, dated for a 公示 window starting on Y+1-04-01 (the demo
    records it with `mujun publish --initial --on`): two accepted data appeals (a parcel measured
    smaller), a rejected data appeal, an accepted and a rejected grade appeal, one submitted after the
    window and one accepted without the 领导小组's approval (both quarantined)."""
    rows: list[dict] = []
    start = date_of(Y + 1, 4, 1)
    day = np.timedelta64(1, "D")
    for i in rng.choice(cand_p, size=min(3, len(cand_p)), replace=False).tolist():
        rows.append({"subject_id": parcel_cols["holder_uscc"][i], "kind": "data", "feed": "land_parcels",
                     "record_key": parcel_cols["parcel_id"][i], "field": "area_m2",
                     "claimed_value": repr(round(float(parcel_cols["area_m2"][i]) * 0.7, 2))})
    j = int(rng.integers(0, len(stats_cols["uscc"])))
    rows.append({"subject_id": stats_cols["uscc"][j], "kind": "data", "feed": "stats_enterprise_annual",
                 "record_key": stats_cols["uscc"][j], "field": "value_added_kyuan",
                 "claimed_value": repr(round(float(stats_cols["value_added_kyuan"][j]) * 1.5, 1))})
    for g in graded.tolist():
        rows.append({"subject_id": g, "kind": "grade", "claimed_grade": "A"})
    outcome = ["accepted", "accepted", "late", "rejected", "accepted", "rejected", "no_ref"]
    out: dict[str, list] = {c: [] for c in ("appeal_id", "subject_id", "kind", "feed", "record_key", "field",
                                            "claimed_value", "claimed_grade", "submitted_on", "decision",
                                            "decided_on", "approval_ref", "reason")}
    for n, (r, o) in enumerate(zip(rows, outcome)):
        decision = "rejected" if o == "rejected" else "accepted"
        out["appeal_id"].append(f"SS{Y}{n + 1:04d}")
        for c in ("subject_id", "kind", "feed", "record_key", "field", "claimed_value", "claimed_grade"):
            out[c].append(r.get(c))
        out["submitted_on"].append(start + (19 if o == "late" else 1 + n % 4) * day)
        out["decision"].append(decision)
        out["decided_on"].append(start + 25 * day)
        out["approval_ref"].append(None if o in ("rejected", "no_ref") else f"{short}亩均领导小组〔{Y + 1}〕{n + 1}号")
        out["reason"].append("镇街现场核实" if decision == "accepted" else "证据不足")
    return {c: np.array(v, dtype=object) if c not in ("submitted_on", "decided_on") else np.array(v)
            for c, v in out.items()}
