"""The synthetic enterprise population ("world") behind every feed and year.

One world is built per (scale, years, seed): enterprises with their registry facts, roles in the
land arrangements of rules.md §2-§3, parcels, ledger rows, land-use exceptions, groups, parks and
certificates, plus per-enterprise economic parameters.  Yearly measures are pure functions of
the world and the year (``levels``), and every value that must agree between two year files
(a deferred tax record, a parcel, a ledger row) is derived from the world or from a counter-based
hash of its identity, never from the order in which files are written.

Money: tax in 元, statistics in 千元, parks in 万元; land in m² (parks in 亩); electricity kWh.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ids

REPO = Path(__file__).resolve().parents[2]
COUNTIES_CSV = REPO / "seeds" / "reference" / "ref_counties.csv"
M2_PER_MU = 10000 / 15
KGCE_PER_KWH = 0.1229

# ------------------------------------------------------------------------------------------
# Reference lists
# ------------------------------------------------------------------------------------------
# GB/T 4754-2017 classes (4 digits) by division.
CLASSES = {
    13: [1311, 1312, 1331, 1351, 1391], 14: [1411, 1431, 1461, 1495], 15: [1512, 1513, 1523, 1530],
    17: [1711, 1712, 1713, 1751, 1752, 1761, 1771], 18: [1811, 1819, 1821, 1830],
    19: [1910, 1921, 1951, 1952], 20: [2011, 2021, 2022], 21: [2110, 2120, 2130, 2140, 2190],
    22: [2211, 2221, 2231], 23: [2311, 2312, 2319], 24: [2411, 2412, 2441], 25: [2511, 2521],
    26: [2614, 2631, 2641, 2651, 2661, 2662, 2669, 2682], 27: [2710, 2720, 2730, 2740, 2761, 2770],
    28: [2821, 2822], 29: [2911, 2913, 2921, 2922, 2926, 2927, 2929],
    30: [3011, 3021, 3041, 3061, 3071], 31: [3110, 3120, 3130], 32: [3211, 3216, 3251, 3252],
    33: [3311, 3331, 3351, 3360, 3381, 3389],
    34: [3411, 3441, 3443, 3444, 3451, 3453, 3462, 3484, 3489],
    35: [3511, 3531, 3551, 3562, 3581, 3599], 36: [3611, 3612, 3660, 3670], 37: [3731, 3761],
    38: [3811, 3812, 3821, 3831, 3841, 3851, 3872],
    39: [3911, 3921, 3922, 3951, 3973, 3974, 3976, 3982, 3985], 40: [4011, 4012, 4014],
    41: [4111, 4190], 42: [4210, 4220], 43: [4320, 4330],
    44: [4412, 4416], 47: [4790], 51: [5111, 5131, 5137, 5191], 52: [5211, 5212, 5292],
    54: [5431], 58: [5821], 59: [5910, 5920, 5930], 60: [6020], 61: [6110, 6121], 62: [6210],
    63: [6311], 64: [6429, 6431], 65: [6511, 6513, 6520, 6531], 70: [7010, 7020, 7040],
    72: [7211], 73: [7310, 7320], 74: [7452, 7484, 7491], 75: [7512, 7513],
    86: [8610], 87: [8710], 88: [8810], 89: [8921], 90: [9011, 9030],
}
MANUF_W = {13: 2, 14: 1.5, 15: 1, 17: 8, 18: 5, 19: 3, 20: 1.5, 21: 3, 22: 2, 23: 1.5, 24: 2, 25: 0.5,
           26: 6, 27: 3, 28: 2.5, 29: 6, 30: 3, 31: 1, 32: 2, 33: 8, 34: 10, 35: 6, 36: 5, 37: 1.5,
           38: 9, 39: 6, 40: 2, 41: 1.5, 42: 0.5, 43: 0.5}
SERVICE_W = {44: 1, 47: 1, 51: 6, 52: 4, 54: 2, 58: 2, 59: 3, 60: 1, 61: 1, 62: 1, 63: 0.5, 64: 2,
             65: 4, 70: 3, 72: 1, 73: 2, 74: 2, 75: 2, 86: 0.3, 87: 0.3, 88: 0.4, 89: 0.3, 90: 0.4}
NONIND_DIVS = {"productive_service": [73, 74, 75, 72], "digital_economy": [64, 65, 63], "other": [51, 52, 62, 70]}
DIV_WORD = {13: "食品", 14: "食品", 15: "饮品", 17: "纺织", 18: "服饰", 19: "鞋业", 20: "木业", 21: "家具",
            22: "纸业", 23: "印务", 24: "文体用品", 25: "石化", 26: "化工", 27: "药业", 28: "化纤", 29: "塑胶",
            30: "建材", 31: "钢铁", 32: "金属材料", 33: "五金", 34: "机械", 35: "装备", 36: "汽车部件",
            37: "车业", 38: "电器", 39: "电子科技", 40: "仪表", 41: "工艺品", 42: "再生资源", 43: "设备维修",
            44: "能源", 47: "建设", 51: "贸易", 52: "商贸", 54: "运输", 58: "货运代理", 59: "仓储", 60: "快递",
            61: "酒店管理", 62: "餐饮管理", 63: "通信", 64: "网络科技", 65: "软件", 70: "置业", 72: "企业管理",
            73: "研究院", 74: "检测技术", 75: "科技", 86: "文化传媒", 87: "影视", 88: "文化艺术", 89: "体育发展",
            90: "文旅"}
TRADE_CHARS = list("华新宏泰恒鑫达利盛隆丰源兴昌荣瑞祥通海天金宝永安东方中正和美佳联欣晨凯博远创益顺德信诚力明嘉越峰江宁康富星光辰卓立汇万亿")
OTHER_LAND_USES = ["commercial", "residential", "商服用地", "public_facility"]

# Roles in the land arrangements (rules.md §2).
HOLDER, SEP_VALID, SEP_INVALID, MERGED, CHAIN, VILLAGE, OTHER_OCC, VIA_IND, NONIND, NO_LAND, UNVERIFIED = range(11)
ROLE_SPEC = {  # role: (fraction of enterprises, minimum count)
    SEP_VALID: (0.012, 9), SEP_INVALID: (0.004, 6), MERGED: (0.06, 12), CHAIN: (0.008, 9),
    VILLAGE: (0.03, 10), OTHER_OCC: (0.015, 8), VIA_IND: (0.02, 15), NONIND: (0.01, 9),
    NO_LAND: (0.05, 10), UNVERIFIED: (0.005, 6),
}
SUBJECTS_PER_ENTERPRISE = 0.80

# Recent-parcel delay categories: (delay_cause, completion rule)
DELAY_CATS = [("none", "ontime"), ("none", "open"), ("enterprise", "null"), ("enterprise", "late"),
              ("enterprise", "grace"), ("government", "null"), ("government", "late"), ("government", "done")]


def load_counties() -> list[dict]:
    with open(COUNTIES_CSV, encoding="utf-8") as f:
        return list(csv.DictReader(f))


SCALES = {"county": 2_000, "city": 20_000, "province": 200_000}


# Towns per county: the county sample's county has a fixed number, any other county a seeded number
# in [low, high); town codes are county_code * 1000 + 1..n. scripts/synthetic_town_names.py names
# every code these can give (seeds/reference/ref_towns.csv).
SAMPLE_TOWNS = {330109: 22}
TOWNS_PER_COUNTY = (8, 26)      # rng.integers bounds: low inclusive, high exclusive


def scale_counties(scale: str) -> list[dict]:
    allc = load_counties()
    if scale == "county":
        return [c for c in allc if c["county_code"] == "330109"]
    if scale == "city":
        return [c for c in allc if c["city_code"] == "3301"]
    if scale == "province":
        return allc
    raise ValueError(f"unknown scale {scale!r}; use county, city or province")


# ------------------------------------------------------------------------------------------
# Counter-based hashing: reproducible randomness keyed by identity (enterprise, month, ...)
# ------------------------------------------------------------------------------------------
_C1 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_C3 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x + _C1
    x = (x ^ (x >> np.uint64(30))) * _C2
    x = (x ^ (x >> np.uint64(27))) * _C3
    return x ^ (x >> np.uint64(31))


class Hasher:
    def __init__(self, seed: int):
        self.base = _mix(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]

    def h(self, *parts) -> np.ndarray:
        x = self.base
        for p in parts:
            x = _mix(x ^ (np.asarray(p).astype(np.int64).astype(np.uint64) * _C3))
        return np.asarray(x)

    def u(self, *parts) -> np.ndarray:
        return (self.h(*parts) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))

    def n(self, *parts) -> np.ndarray:
        u1 = 1.0 - self.u(*parts, 0x51)
        u2 = self.u(*parts, 0x52)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2)

    def int(self, mod: int, *parts) -> np.ndarray:
        return (self.h(*parts) % np.uint64(mod)).astype(np.int64)


def mi_of(dates: np.ndarray) -> np.ndarray:
    """Month index year*12 + month-1 of datetime64[D] values (NaT → huge)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    m = d.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return np.where(np.isnat(d), np.int64(10**9), m)


def date_of(year, month=1, day=1) -> np.datetime64:
    return np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D")


def month_start(mi: np.ndarray) -> np.ndarray:
    return (np.asarray(mi, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def year_of(d: np.ndarray) -> np.ndarray:
    return np.asarray(d, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


# ------------------------------------------------------------------------------------------
# The world
# ------------------------------------------------------------------------------------------
@dataclass
class World:
    seed: int
    scale: str
    years: list[int]
    counties: list[dict]
    hasher: Hasher
    ent: dict = field(default_factory=dict)        # enterprise arrays (length n)
    parcels: dict = field(default_factory=dict)
    ledger: dict = field(default_factory=dict)
    exceptions: dict = field(default_factory=dict)
    parks: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    certs: dict = field(default_factory=dict)
    towns: dict = field(default_factory=dict)      # county code → number of towns
    subjects_planned: int = 0

    @property
    def n(self) -> int:
        return len(self.ent["uscc"])

    @property
    def y0(self) -> int:
        return self.years[0]


def _weighted_choice(rng, weights: dict, size: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=np.int64)
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def _classes_for(rng, divisions: np.ndarray) -> np.ndarray:
    out = np.zeros(len(divisions), dtype=np.int64)
    for d in np.unique(divisions):
        idx = np.nonzero(divisions == d)[0]
        out[idx] = rng.choice(np.array(CLASSES[int(d)]), size=len(idx))
    return out


def _pick_same_county(rng, cand: np.ndarray, cand_county: np.ndarray, want_county: np.ndarray,
                      exclude: np.ndarray | None = None) -> np.ndarray:
    """For each wanted county, a random candidate index in that county (any county if none)."""
    order = np.argsort(cand_county, kind="stable")
    cs, cc = cand[order], cand_county[order]
    uniq, start, cnt = np.unique(cc, return_index=True, return_counts=True)
    pos = np.searchsorted(uniq, want_county)
    pos = np.clip(pos, 0, len(uniq) - 1)
    found = uniq[pos] == want_county
    u = rng.random(len(want_county))
    pick = np.where(found, cs[start[pos] + (u * cnt[pos]).astype(np.int64)],
                    cs[(u * len(cs)).astype(np.int64)])
    if exclude is not None:  # re-draw the few self-picks
        for _ in range(5):
            bad = pick == exclude
            if not bad.any():
                break
            u = rng.random(bad.sum())
            p2 = pos[bad]
            pick[bad] = np.where(found[bad], cs[start[p2] + (u * cnt[p2]).astype(np.int64)],
                                 cs[(u * len(cs)).astype(np.int64)])
    return pick


def build_world(scale: str, years: list[int], seed: int) -> World:
    years = sorted(set(int(y) for y in years))
    counties = scale_counties(scale)
    n_subj = SCALES[scale]
    scale_no = {"county": 1, "city": 2, "province": 3}[scale]
    rng = np.random.default_rng(np.random.SeedSequence([seed, scale_no, 20240611]))
    w = World(seed=seed, scale=scale, years=years, counties=counties, hasher=Hasher(seed * 7 + scale_no))
    y0, yl = years[0], years[-1]

    n = int(np.ceil(n_subj / SUBJECTS_PER_ENTERPRISE))
    # ---- roles ------------------------------------------------------------------------------
    role_counts = {r: max(mn, int(round(fr * n))) for r, (fr, mn) in ROLE_SPEC.items()}
    n_holder = n - sum(role_counts.values())
    roles = np.concatenate([np.full(n_holder, HOLDER)] + [np.full(c, r) for r, c in role_counts.items()])
    roles = rng.permutation(roles).astype(np.int8)

    # ---- counties and towns -----------------------------------------------------------------
    ccodes = np.array([int(c["county_code"]) for c in counties], dtype=np.int64)
    cw = rng.lognormal(0, 0.6, len(ccodes))
    county = rng.choice(ccodes, size=n, p=cw / cw.sum())
    for c in ccodes:
        w.towns[int(c)] = SAMPLE_TOWNS[int(c)] if int(c) in SAMPLE_TOWNS else int(rng.integers(*TOWNS_PER_COUNTY))
    ntown = np.array([w.towns[int(c)] for c in county])
    town = county * 1000 + 1 + (rng.random(n) * ntown).astype(np.int64)

    # ---- industries ---------------------------------------------------------------------------
    manuf_share = np.select([roles == HOLDER, np.isin(roles, [NO_LAND]), roles == NONIND], [0.82, 0.15, 0.0], 0.78)
    is_manuf = rng.random(n) < manuf_share
    div = np.where(is_manuf, _weighted_choice(rng, MANUF_W, n), _weighted_choice(rng, SERVICE_W, n))
    nonind_idx = np.nonzero(roles == NONIND)[0]
    ttype = np.array(["productive_service", "digital_economy", "other"])[np.arange(len(nonind_idx)) % 3]
    for t, divs in NONIND_DIVS.items():
        sel = nonind_idx[ttype == t]
        div[sel] = rng.choice(np.array(divs), size=len(sel))
    industry = _classes_for(rng, div)
    manuf = (div >= 13) & (div <= 43)

    # ---- holder sub-groups (disjoint blocks of a permutation of holders) ------------------------
    holders = rng.permutation(np.nonzero(roles == HOLDER)[0])
    nh = len(holders)

    def block(frac, mn):
        k = max(mn, int(round(frac * nh)))
        nonlocal_pos[0] += k
        return holders[nonlocal_pos[0] - k: nonlocal_pos[0]]
    nonlocal_pos = [0]
    g_new_late = block(0.015, 5)      # founded in a later data year on new land
    g_new_wait = block(0.025, 10)     # founded on new land, waiting (R-LAND-5)
    g_dereg_before = block(0.015, 6)  # deregistered before the first year, still holding land
    g_dereg_during = block(0.01, 6)   # deregistered during the data years
    g_no_tax = block(0.004, 4)        # registered holders without any tax record
    stable = holders[nonlocal_pos[0]:]  # existing throughout, counted first parcel
    st = rng.permutation(stable)
    k_extra = max(10, int(round(0.01 * nh)))
    g_rent_extra = st[:k_extra]                       # own land + rented plant (split / not)
    g_via_own = st[k_extra:k_extra + max(6, int(0.003 * nh))]  # own land + via-individual occupant
    p = k_extra + len(g_via_own)
    g_unauth = st[p:p + max(6, int(0.003 * nh))]
    p += len(g_unauth)
    g_public = st[p:p + max(6, int(0.003 * nh))]
    p += len(g_public)
    g_adjust_pool = st[p:]

    # ---- establishment and deregistration ---------------------------------------------------
    est = (date_of(1992) + (rng.random(n) * (date_of(y0 - 1, 6, 30) - date_of(1992)).astype(int)).astype(np.int64)).astype("datetime64[D]")
    tenant_like = np.isin(roles, [SEP_VALID, SEP_INVALID, MERGED, CHAIN, VILLAGE, OTHER_OCC, VIA_IND, NONIND, NO_LAND, UNVERIFIED])
    est = np.where(tenant_like, est + ((date_of(y0 - 1, 6, 30) - est).astype(np.int64) * 0.5).astype("timedelta64[D]"), est)
    dereg = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    dereg_status = np.full(n, "存续", dtype=object)
    span_before = (date_of(y0 - 3), date_of(y0 - 1, 12, 31))
    dereg[g_dereg_before] = date_of(y0 - 3) + (rng.random(len(g_dereg_before)) * (span_before[1] - span_before[0]).astype(int)).astype(np.int64)
    during_years = np.array(years)[np.arange(len(g_dereg_during)) % len(years)]
    dereg[g_dereg_during] = np.array([date_of(int(y)) for y in during_years]) + (60 + rng.random(len(g_dereg_during)) * 240).astype(np.int64)
    # a few non-holders deregister too (merged tenants, no-land firms)
    others = np.nonzero(np.isin(roles, [MERGED, NO_LAND]))[0]
    od = rng.choice(others, size=max(3, len(others) // 50), replace=False)
    dereg[od] = date_of(y0) + (rng.random(len(od)) * 365 * len(years)).astype(np.int64)
    dmask = ~np.isnat(dereg)
    di = np.nonzero(dmask)[0]
    dereg_status[di] = np.where(np.arange(len(di)) % 3 == 2, "吊销", "注销")

    # ---- economics: area, tax per mu, ratios ---------------------------------------------
    tpm = rng.lognormal(np.log(18), 0.95, n)                     # 万元/亩
    tpm[rng.random(n) < 0.02] *= 0.1                             # a tail of very weak performers
    growth = rng.lognormal(np.log(1.07), 0.065, n)
    va_ratio = rng.uniform(4, 6, n)
    neg = rng.random(n) < 0.02
    rev_mult = va_ratio * rng.uniform(2.5, 5, n)
    va_ratio[neg] = -rng.uniform(0.2, 1.5, neg.sum())
    lp = rng.lognormal(np.log(17), 0.3, n)
    out_ratio = np.where(manuf, rng.uniform(0.92, 1.08, n), 0.0)
    rd_ratio = np.where(manuf, rng.uniform(0.01, 0.05, n), rng.uniform(0, 0.03, n))
    rd_ratio[rng.random(n) < 0.12] = 0.0
    kwh_int = np.where(manuf, rng.lognormal(np.log(450), 0.6, n), rng.lognormal(np.log(80), 0.5, n))
    tce_factor = rng.uniform(1.02, 1.8, n)
    viol = rng.random(n) < 0.04
    tce_factor[viol] = rng.uniform(0.5, 0.95, viol.sum())
    tce_below = rng.random(n) < 0.3
    has_stats_below = rng.random(n) < 0.6
    has_energy = rng.random(n) >= 0.04
    pol = np.where(manuf, rng.random(n) < 0.45, rng.random(n) < 0.03)
    polluter = np.where(pol, np.where(rng.random(n) < 0.08, 2, 1), 0).astype(np.int8)  # 2 = zero rows
    strategic = np.where(rng.random(n) < 0.08, 1, np.where(rng.random(n) < 0.75, 0, -1)).astype(np.int8)
    force = np.zeros(n, dtype=np.int8)
    ramp_year = np.zeros(n, dtype=np.int64)
    ht_flag = manuf & (rng.random(n) < 0.14)
    force_rev = rng.uniform(2100, 4000, n)
    defer_ent = rng.random(n) < 0.03

    # separate-evaluation tenants: valid by above-scale / 高企 / strategic; invalid = none of these
    sv = np.nonzero(roles == SEP_VALID)[0]
    kind = np.arange(len(sv)) % 3
    force[sv[kind == 0]] = 1
    has_stats_below[sv] = True
    ht_flag[sv[kind == 1]] = True
    strategic[sv[kind == 2]] = 1
    si = np.nonzero(roles == SEP_INVALID)[0]
    force[si] = -1
    ht_flag[si] = False
    strategic[si] = np.where(np.arange(len(si)) % 2 == 0, 0, -1)
    has_stats_below[si] = True
    defer_ent[np.nonzero(roles == HOLDER)[0][:6]] = True  # at least a few deferral enterprises

    # ---- parcels ------------------------------------------------------------------------
    P = {k: [] for k in ("holder", "land_use", "area_m2", "delivered", "deadline", "completed",
                         "delay_cause", "is_new", "early")}

    def add_parcels(holder, land_use, area, delivered, deadline, completed, cause, is_new, early):
        for k, v in zip(P, (holder, land_use, area, delivered, deadline, completed, cause, is_new, early)):
            P[k].append(np.asarray(v))

    # old parcels of all holders except the new ones
    old_h = np.setdiff1d(holders, np.concatenate([g_new_late, g_new_wait]))
    old_h = old_h[np.argsort(old_h)]
    nparc = rng.choice([1, 2, 3], size=len(old_h), p=[0.7, 0.22, 0.08])
    oh = np.repeat(old_h, nparc)
    first = np.concatenate([[True], oh[1:] != oh[:-1]])
    area = np.clip(rng.lognormal(np.log(3300), 1.0, len(oh)), 400, 1_300_000).round(2)
    mf = manuf[oh]
    use_first = np.where(mf, np.where(rng.random(len(oh)) < 0.9, "industrial", "warehouse"),
                         np.where(rng.random(len(oh)) < 0.45, "warehouse",
                                  np.where(rng.random(len(oh)) < 0.7, "industrial", "commercial")))
    use_more = rng.choice(np.array(["industrial"] * 15 + ["warehouse"] * 2 + OTHER_LAND_USES), size=len(oh))
    land_use = np.where(first, use_first, use_more).astype(object)
    # stable holders (landlords etc.) always have a counted first parcel
    land_use[first & np.isin(oh, stable) & ~np.isin(land_use, ["industrial", "warehouse"])] = "industrial"
    delivered = np.maximum(est[oh], date_of(1995)) + (rng.random(len(oh)) * 1800).astype(np.int64)
    delivered = np.minimum(delivered, date_of(y0 - 4, 6, 30) - (rng.random(len(oh)) * 400).astype(np.int64))
    deadline = delivered + (540 + rng.random(len(oh)) * 500).astype(np.int64)
    late = rng.random(len(oh)) < 0.05
    completed = deadline - (rng.random(len(oh)) * 200).astype(np.int64)
    completed[late] = deadline[late] + (200 + rng.random(late.sum()) * 300).astype(np.int64)
    cause = np.where(late, "enterprise", "none").astype(object)
    # a holder is founded before (or when) it first receives land
    np.minimum.at(est, oh, delivered - 30)
    add_parcels(oh, land_use, area, delivered, deadline, completed, cause,
                np.zeros(len(oh), bool), np.zeros(len(oh), bool))

    def recent(holders_, dl_years, cats, is_new, early):
        k = len(holders_)
        dly = np.asarray(dl_years)
        # enterprise overruns mostly fall due in the first half year, so that deadline + 6 months
        # is inside the same year (R-LAND-3 can count a parcel in its deadline year)
        span = np.where(np.isin(cats, [2, 3]), 175, 364)
        deadline = np.array([date_of(int(y)) for y in dly], dtype="datetime64[D]") + (rng.random(k) * span).astype(np.int64)
        delivered = deadline - (540 + rng.random(k) * 360).astype(np.int64)
        six = (deadline.astype("datetime64[M]") + 6).astype("datetime64[D]") + (deadline - deadline.astype("datetime64[M]").astype("datetime64[D]"))
        comp = np.full(k, np.datetime64("NaT"), dtype="datetime64[D]")
        causes = np.empty(k, dtype=object)
        for ci, (c, rule) in enumerate(DELAY_CATS):
            s = cats == ci
            m = s.sum()
            causes[s] = c
            if rule == "ontime":
                comp[s] = deadline[s] - (rng.random(m) * 180).astype(np.int64)
            elif rule == "late" and c == "enterprise":
                comp[s] = six[s] + (20 + rng.random(m) * 420).astype(np.int64)
            elif rule == "late":   # government: completed in the first half of the next year
                nxt = np.array([date_of(int(y) + 1) for y in year_of(deadline[s])], dtype="datetime64[D]")
                comp[s] = nxt + (10 + rng.random(m) * 160).astype(np.int64)
            elif rule == "grace":
                comp[s] = deadline[s] + (10 + rng.random(m) * 160).astype(np.int64)
            elif rule == "done":
                comp[s] = deadline[s] + (20 + rng.random(m) * 80).astype(np.int64)
        ar = np.clip(rng.lognormal(np.log(6000), 0.8, k), 1000, 400_000).round(2)
        lu = np.where(rng.random(k) < 0.9, "industrial", "warehouse").astype(object)
        add_parcels(holders_, lu, ar, delivered, deadline, comp, causes, is_new, early)
        return delivered

    # expansions of existing holders: every (deadline year, delay category) combination
    exp_pool = rng.permutation(np.setdiff1d(stable, np.concatenate([g_unauth, g_public])))
    dl_range = np.arange(y0 - 2, yl + 2)
    combos = len(dl_range) * len(DELAY_CATS)
    k_exp = max(combos * 8, int(round(0.12 * nh)))
    k_exp = min(k_exp, len(exp_pool))
    e_h = exp_pool[:k_exp]
    cidx = rng.permutation(np.arange(k_exp) % combos)
    recent(e_h, dl_range[cidx // len(DELAY_CATS)], cidx % len(DELAY_CATS),
           np.zeros(k_exp, bool), np.zeros(k_exp, bool))
    # new enterprises waiting (R-LAND-5): deadline in [y0-1, yl]; early evaluation for some
    wy = np.arange(y0 - 1, yl + 1)
    k = len(g_new_wait)
    dly = wy[np.arange(k) % len(wy)]
    cats = np.where(np.arange(k) % 5 == 4, 2, np.where(np.arange(k) % 2 == 0, 0, 1))
    early = (np.arange(k) // len(wy)) % 2 == 1
    dlv = recent(g_new_wait, dly, cats, np.ones(k, bool), early)
    est[g_new_wait] = dlv - (rng.random(k) * 120).astype(np.int64)
    ramp_year[g_new_wait] = dly + 1
    # new enterprises founded during the data years (absent from earlier registry files)
    k = len(g_new_late)
    found_years = np.array(years[1:] or years)[np.arange(k) % max(1, len(years) - 1)]
    est_nl = np.array([date_of(int(y)) for y in found_years]) + (rng.random(k) * 200).astype(np.int64)
    est[g_new_late] = est_nl
    dl_nl = year_of(est_nl) + 2
    recent(g_new_late, dl_nl, np.zeros(k, np.int64), np.ones(k, bool), np.arange(k) % 3 == 0)
    # recent() drew delivered ~ deadline - 1.5..2.5 years; make it match the founding date
    P["delivered"][-1] = np.maximum(P["delivered"][-1], est_nl + 10)
    ramp_year[g_new_late] = dl_nl + 1

    parcels = {k: np.concatenate(v) for k, v in P.items()}
    order = np.lexsort((parcels["delivered"], parcels["holder"]))
    parcels = {k: v[order] for k, v in parcels.items()}
    npcl = len(order)
    parcels["parcel_id"] = np.array([f"{c}{y:04d}{i:06d}" for c, y, i in zip(
        county[parcels["holder"]], year_of(parcels["delivered"]), range(1, npcl + 1))], dtype=object)
    w.parcels = parcels
    own_area = np.bincount(parcels["holder"], weights=parcels["area_m2"] * np.isin(parcels["land_use"], ["industrial", "warehouse"]), minlength=n)

    # ---- ledger ------------------------------------------------------------------------------
    L = {k: [] for k in ("occupant", "landlord_ent", "landlord_text", "arrangement", "sublessor", "area_m2", "sep", "split", "verified")}

    def add_rows(occ, landlord_ent, arrangement, area, sep, split, verified, sublessor=None, landlord_text=None):
        k = len(occ)
        L["occupant"].append(np.asarray(occ, np.int64))
        L["landlord_ent"].append(np.asarray(landlord_ent, np.int64) if landlord_ent is not None else np.full(k, -1))
        L["landlord_text"].append(np.asarray(landlord_text, object) if landlord_text is not None else np.full(k, None, object))
        L["arrangement"].append(np.full(k, arrangement, object))
        L["sublessor"].append(np.asarray(sublessor, object) if sublessor is not None else np.full(k, None, object))
        L["area_m2"].append(np.asarray(area, float).round(2))
        L["sep"].append(np.asarray(sep, bool))
        L["split"].append(np.asarray(split, bool))
        L["verified"].append(np.asarray(verified, bool))

    landlord_pool = stable
    def tenant_area(k):
        return np.clip(rng.lognormal(np.log(2500), 0.7, k), 200, 60000)

    def rent_from_holders(occ, sep, verified):
        ll = _pick_same_county(rng, landlord_pool, county[landlord_pool], county[occ], exclude=occ)
        town[occ] = town[ll]
        county[occ] = county[ll]
        a = np.minimum(tenant_area(len(occ)), 0.5 * own_area[ll])
        add_rows(occ, ll, "rented_plant", np.maximum(a, 100.0), sep, np.zeros(len(occ), bool), verified)
        return ll

    for r, sep, ver in ((SEP_VALID, True, True), (SEP_INVALID, True, True), (MERGED, False, True), (UNVERIFIED, False, False)):
        occ = np.nonzero(roles == r)[0]
        k = len(occ)
        rent_from_holders(occ, np.full(k, sep), np.full(k, ver))
    # chains: tenants of merged tenants (depth 2), and tenants of those (depth 3)
    merged = np.nonzero(roles == MERGED)[0]
    ch = np.nonzero(roles == CHAIN)[0]
    d2, d3 = ch[: (2 * len(ch)) // 3 + 1], ch[(2 * len(ch)) // 3 + 1:]
    for occ, pool in ((d2, merged), (d3, d2)):
        if len(occ) == 0:
            continue
        ll = _pick_same_county(rng, pool, county[pool], county[occ])
        town[occ] = town[ll]
        county[occ] = county[ll]
        add_rows(occ, ll, "rented_plant", np.clip(tenant_area(len(occ)) * 0.5, 100, 20000),
                 np.zeros(len(occ), bool), np.zeros(len(occ), bool), np.ones(len(occ), bool))
    # own-land holders renting extra plant, with and without split_by_area
    occ = g_rent_extra
    ll = _pick_same_county(rng, landlord_pool, county[landlord_pool], county[occ], exclude=occ)
    add_rows(occ, ll, "rented_plant", np.minimum(tenant_area(len(occ)), 0.5 * own_area[ll]) + 100,
             np.zeros(len(occ), bool), np.arange(len(occ)) % 2 == 0, np.ones(len(occ), bool))

    def village_code(towns, k_salt):
        cc = towns // 1000
        body = (w.hasher.int(99_999_999, towns, k_salt, 0x7A) + 1)
        return ids.uscc_batch(cc, body, authority="N", org_type="2")

    for r, arr in ((VILLAGE, "village_land_to_enterprise"), (OTHER_OCC, "other_occupied")):
        occ = np.nonzero(roles == r)[0]
        k = len(occ)
        ver = np.ones(k, bool)
        ver[np.arange(k) % 15 == 7] = False
        add_rows(occ, None, arr, np.clip(rng.lognormal(np.log(5000), 0.8, k), 300, 100000), np.zeros(k, bool),
                 np.zeros(k, bool), ver, landlord_text=village_code(town[occ], np.arange(k) % 3))
    # a few village occupants also rent plant from a holder (own village land + rented plant)
    vo = np.nonzero(roles == VILLAGE)[0][:max(4, len(np.nonzero(roles == VILLAGE)[0]) // 8)]
    ll = _pick_same_county(rng, landlord_pool, county[landlord_pool], county[vo], exclude=vo)
    add_rows(vo, ll, "rented_plant", np.clip(tenant_area(len(vo)), 100, 20000), np.zeros(len(vo), bool),
             np.arange(len(vo)) % 2 == 1, np.ones(len(vo), bool))
    # village land via an individual: groups of 2-4 occupants in one town under one person
    vi = np.nonzero(roles == VIA_IND)[0]
    vi = vi[np.argsort(county[vi], kind="stable")]
    sizes = []
    left = len(vi)
    while left > 0:
        s = int(rng.integers(2, 5))
        s = left if left - s < 2 else s
        sizes.append(s)
        left -= s
    grp = np.repeat(np.arange(len(sizes)), sizes)
    gstart = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lead = vi[gstart]
    town[vi] = town[lead][grp]
    county[vi] = county[lead][grp]
    ng = len(sizes)
    births = date_of(1955) + (rng.random(ng) * 11000).astype(np.int64)
    persons = ids.person_id_batch(county[lead], births, rng.integers(0, 1000, ng))
    vcode = village_code(town[lead], np.zeros(ng, np.int64))
    add_rows(vi, None, "village_land_via_individual", np.clip(rng.lognormal(np.log(2500), 0.7, len(vi)), 200, 40000),
             np.zeros(len(vi), bool), np.zeros(len(vi), bool), np.ones(len(vi), bool),
             sublessor=persons[grp], landlord_text=vcode[grp])
    # holders with own land that also occupy land under an individual (split / not)
    occ = g_via_own
    gi = _pick_same_county(rng, np.arange(ng), county[lead], county[occ])
    add_rows(occ, None, "village_land_via_individual", np.clip(tenant_area(len(occ)), 200, 20000),
             np.zeros(len(occ), bool), np.arange(len(occ)) % 2 == 0, np.ones(len(occ), bool),
             sublessor=persons[gi], landlord_text=vcode[gi])

    ledger = {k: np.concatenate(v) for k, v in L.items()}
    ledger["town"] = town[ledger["occupant"]]
    ll_ent = ledger["landlord_ent"]
    ledger["rec_no"] = np.arange(len(ll_ent))
    w.ledger = ledger
    ledger_area = np.bincount(ledger["occupant"], weights=ledger["area_m2"], minlength=n)

    # ---- land-use exceptions ----------------------------------------------------------------
    nonind = np.nonzero(roles == NONIND)[0]
    hosts = _pick_same_county(rng, g_adjust_pool, county[g_adjust_pool], county[nonind])
    town[nonind] = town[hosts]
    county[nonind] = county[hosts]
    ex_subj = np.concatenate([g_unauth, g_public, hosts])
    ex_kind = np.array(["unauthorized_consumer_service"] * len(g_unauth) + ["approved_public_service"] * len(g_public)
                       + ["non_industrial_tenant"] * len(hosts), dtype=object)
    w.exceptions = {"subject": ex_subj, "kind": ex_kind,
                    "tenant": np.concatenate([np.full(len(g_unauth) + len(g_public), -1), nonind]),
                    "tenant_type": np.concatenate([np.full(len(g_unauth) + len(g_public), None, object), ttype.astype(object)])}

    # ---- economic area and base tax ------------------------------------------------------
    notional = np.clip(rng.lognormal(np.log(1500), 0.6, n), 150, 20000)
    econ_area = np.where(own_area + ledger_area > 0, own_area + ledger_area, notional)
    tax0 = tpm * econ_area / M2_PER_MU * 1e4
    tax0[g_no_tax] = 0.0
    ramp_year[g_new_wait] = np.maximum(ramp_year[g_new_wait], 0)

    # ---- groups (parent_uscc): heads, children, chains of depth 2-3, cycles -------------
    parent = np.full(n, -1, dtype=np.int64)
    heads = rng.choice(stable, size=max(12, n // 60), replace=False)
    heads = heads[np.argsort(heads)]
    free = np.setdiff1d(np.arange(n), heads)
    kids = rng.choice(free, size=max(20, n // 20), replace=False)
    parent[kids] = _pick_same_county(rng, heads, county[heads], county[kids])
    hh = rng.permutation(heads)
    k2 = len(hh) // 3
    for i in range(1, k2):           # head chains: hh[i] → hh[i-1] (depth up to 3 through kids)
        if i % 3 != 0:
            parent[hh[i]] = hh[i - 1]
    rest = np.setdiff1d(free, kids)
    rest = rest[~np.isin(rest, parent) & (year_of(est[rest]) < y0)]
    cyc = rng.choice(rest, size=8, replace=False)
    parent[cyc[0]], parent[cyc[1]] = cyc[1], cyc[0]          # A → B → A
    parent[cyc[2]], parent[cyc[3]] = cyc[3], cyc[2]
    parent[cyc[4]], parent[cyc[5]], parent[cyc[6]] = cyc[5], cyc[6], cyc[4]   # A → B → C → A
    parent[cyc[7]] = cyc[0]                                   # a child hanging on a cycle

    # ---- USCCs, names -----------------------------------------------------------------------
    a = 48_271 + 2 * int(rng.integers(1, 10_000_000))
    if a % 5 == 0:
        a += 2
    b = int(rng.integers(0, 10**8))
    org = (np.arange(n, dtype=np.int64) * a + b) % 10**8
    uscc = ids.uscc_batch(county, org)
    cmap = {int(c["county_code"]): c for c in counties}
    cshort = {k: v["county_name"][:-1] if len(v["county_name"]) > 2 else v["county_name"] for k, v in cmap.items()}
    cityshort = {k: v["city_name"].rstrip("市") for k, v in cmap.items()}
    t1 = rng.integers(0, len(TRADE_CHARS), n)
    t2 = rng.integers(0, len(TRADE_CHARS), n)
    suffix = np.where(rng.random(n) < 0.1, "股份有限公司", "有限公司")
    names = np.array([f"{cityshort[int(c)]}{cshort[int(c)]}{TRADE_CHARS[i]}{TRADE_CHARS[j]}{DIV_WORD[int(d)]}{s}"
                      for c, i, j, d, s in zip(county, t1, t2, div, suffix)], dtype=object)

    # ---- 高新技术企业 certificates (3-year validity, renewals) -----------------------
    ht_ents = np.nonzero(ht_flag)[0]
    c_ent, c_from, c_no = [], [], []
    sv_ht = set(sv[kind == 1].tolist())
    serial = 0
    starts = rng.integers(y0 - 6, y0 + 1, len(ht_ents))
    for e, s in zip(ht_ents.tolist(), starts.tolist()):
        y = s
        while y <= yl:
            serial += 1
            c_ent.append(e)
            c_from.append(date_of(y, 1 + serial % 12, 1 + serial % 28))
            c_no.append(f"GR{y}33{serial:06d}")
            if e in sv_ht or rng.random() < 0.7:
                y += 3
            else:
                break
    cf = np.array(c_from, dtype="datetime64[D]")
    w.certs = {"ent": np.array(c_ent, np.int64), "from": cf,
               "to": (cf.astype("datetime64[M]") + 36).astype("datetime64[D]") + (cf - cf.astype("datetime64[M]").astype("datetime64[D]")) - 1,
               "no": np.array(c_no, dtype=object)}

    # ---- parks -----------------------------------------------------------------------------
    P_ids, P_name, P_type, P_class, P_county, P_elig = [], [], [], [], [], []
    single = len(ccodes) == 1
    rot = {t: 0 for t in ("characteristic_town", "development_zone", "high_tech_zone", "micro_park")}
    classes = {"development_zone": ["national", "provincial", "reference_managed"],
               "high_tech_zone": ["national", "provincial", "provincial_candidate"],
               "characteristic_town": ["named", "created"], "micro_park": ["manufacturing", "other", "manufacturing"]}
    suffixes = {"development_zone": "经济开发区", "high_tech_zone": "高新技术产业园区",
                "characteristic_town": "小镇", "micro_park": "小微企业园"}
    town_words = ["智造", "新材", "数字", "金融", "时尚", "云谷", "湾区", "港城", "湖畔", "山水", "未来", "科创",
                  "丝绸", "汽车", "环保", "生物", "航空", "光电", "机器人", "信息港"]
    for c in ccodes.tolist():
        counts = ({"development_zone": 3, "high_tech_zone": 3, "characteristic_town": 5, "micro_park": 6} if single else
                  {"development_zone": int(rng.integers(1, 3)), "high_tech_zone": int(rng.random() < 0.6),
                   "characteristic_town": int(rng.integers(1, 4)), "micro_park": int(rng.integers(1, 4))})
        k = 0
        for t, m in counts.items():
            for _ in range(m):
                k += 1
                P_ids.append(f"P{c}{k:02d}")
                P_type.append(t)
                P_class.append(classes[t][rot[t] % len(classes[t])])
                rot[t] += 1
                word = town_words[(len(P_ids) * 7) % len(town_words)]
                P_name.append(f"{cshort[c]}{word}{suffixes[t]}")
                P_county.append(c)
                P_elig.append(not (rot[t] % 5 == 4))
    park_county = np.array(P_county, np.int64)
    npk = len(P_ids)
    cand = np.nonzero(np.isin(roles, [HOLDER, VILLAGE, SEP_VALID, OTHER_OCC]) & ~np.isin(np.arange(n), g_new_late))[0]
    inpark = cand[rng.random(len(cand)) < 0.3]
    pk = _pick_same_county(rng, np.arange(npk), park_county, county[inpark])
    second = inpark[rng.random(len(inpark)) < 0.05]
    pk2 = _pick_same_county(rng, np.arange(npk), park_county, county[second])
    # every park gets at least 3 members from its county
    extra_e, extra_p = [], []
    for pi in range(npk):
        pool = cand[county[cand] == park_county[pi]]
        if len(pool):
            extra_e.append(rng.choice(pool, size=min(3, len(pool)), replace=False))
            extra_p.append(np.full(len(extra_e[-1]), pi))
    me = np.concatenate([inpark, second] + extra_e)
    mp = np.concatenate([pk, pk2] + extra_p)
    key = np.unique(mp.astype(np.int64) * (n + 1) + me)
    mp, me = key // (n + 1), key % (n + 1)
    w.members = {"park": mp, "ent": me}
    area_mu = np.bincount(mp, weights=econ_area[me] / M2_PER_MU, minlength=npk) * rng.uniform(1.2, 2.0, npk) + 20
    w.parks = {"park_id": np.array(P_ids, object), "name": np.array(P_name, object), "type": np.array(P_type, object),
               "class": np.array(P_class, object), "county": park_county, "area_mu": area_mu.round(2),
               "investment_wan": (area_mu * rng.uniform(80, 400, npk)).round(1), "eligible": np.array(P_elig, bool)}

    w.ent = dict(uscc=uscc, name=names, county=county, town=town, industry=industry, div=div, manuf=manuf,
                 est=est.astype("datetime64[D]"), dereg=dereg, dereg_status=dereg_status, parent=parent,
                 strategic=strategic, role=roles, tax0=tax0, growth=growth, va_ratio=va_ratio, rev_mult=rev_mult,
                 lp=lp, out_ratio=out_ratio, rd_ratio=rd_ratio, kwh_int=kwh_int, tce_factor=tce_factor,
                 tce_below=tce_below, has_stats_below=has_stats_below, has_energy=has_energy, polluter=polluter,
                 force=force, force_rev=force_rev, ramp_year=ramp_year, ht_flag=ht_flag, defer_ent=defer_ent,
                 own_area=own_area, econ_area=econ_area, uid=np.arange(n, dtype=np.int64),
                 est_mi=mi_of(est), dereg_mi=mi_of(dereg))
    w.groups = dict(stable=stable, adjust_pool=g_adjust_pool, no_tax=g_no_tax, heads=heads, cycles=cyc)
    w.subjects_planned = int(np.isin(roles, [HOLDER, SEP_VALID, VILLAGE, OTHER_OCC]).sum() - len(g_new_late)) + ng
    return w


# ------------------------------------------------------------------------------------------
# Yearly measures
# ------------------------------------------------------------------------------------------
def tax_level(w: World, year: int, idx=None) -> np.ndarray:
    """Counted tax 元 of the enterprises (before record-level noise) for a calendar year."""
    e = w.ent
    sl = slice(None) if idx is None else idx
    ramp = np.where(year < e["ramp_year"][sl], 0.1, 1.0)
    eps = np.exp(0.06 * w.hasher.n(e["uid"][sl], year, 1))
    return e["tax0"][sl] * e["growth"][sl] ** (year - w.y0) * eps * ramp


def levels(w: World, year: int) -> dict:
    e = w.ent
    uid = e["uid"]
    H = w.hasher
    tax = tax_level(w, year)
    tax_wan = tax / 1e4
    ramp = np.where(year < e["ramp_year"], 0.1, 1.0)
    base_wan = e["tax0"] / 1e4 * e["growth"] ** (year - w.y0) * ramp
    base_wan = np.where(base_wan > 0, base_wan, 5.0)   # no-tax firms still produce a little
    va_wan = base_wan * e["va_ratio"] * np.exp(0.05 * H.n(uid, year, 2))
    rev_wan = base_wan * e["rev_mult"] * np.exp(0.05 * H.n(uid, year, 3))
    rev_wan = np.where(e["force"] == 1, np.maximum(rev_wan, e["force_rev"]), rev_wan)
    rev_wan = np.where(e["force"] == -1, np.minimum(rev_wan, 1500.0), rev_wan)
    above = ((rev_wan >= 2000) | (e["force"] == 1)) & (e["force"] != -1)
    emp = np.maximum(3, np.round(np.abs(va_wan) / e["lp"])).astype(np.int64)
    kwh = rev_wan * e["kwh_int"] * np.exp(0.08 * H.n(uid, year, 4))
    tce = kwh * KGCE_PER_KWH / 1000 * e["tce_factor"]
    exists = year_of(e["est"]) <= year
    alive_end = ~(e["dereg"] <= date_of(year, 12, 31))
    producing = year >= e["ramp_year"]
    stats = exists & alive_end & (above | (e["has_stats_below"] & producing))
    return dict(
        tax=tax, tax_wan=tax_wan, above=above, stats=stats, exists=exists, alive_end=alive_end,
        va_kyuan=np.round(va_wan * 10, 1), rev_kyuan=np.round(rev_wan * 10, 1),
        out_kyuan=np.round(rev_wan * 10 * e["out_ratio"], 1), rd_kyuan=np.round(rev_wan * 10 * e["rd_ratio"], 1),
        ht_kyuan=np.where(e["ht_flag"], np.round(np.maximum(va_wan, 0) * 10 * 0.7, 1), np.nan),
        tce=np.where(above | e["tce_below"], np.round(tce, 3), np.nan), emp=emp, kwh=kwh,
    )
