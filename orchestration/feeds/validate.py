"""Header mapping, row validation and typing of a staged delivery, all in DuckDB SQL.

The staged subquery (reader.stage_csv) reads the delivered cells as VARCHAR ``v0..vN``. Validation is
one set-based query: every contract column gets a typed value and an error code; a row's reason is
its FIRST failing check in contract column order, then the key (duplicates), then the year rule.
The query is not materialized. The loader inserts the first pass (every check that needs only the
row) straight into raw; the checks that need the whole delivery run on the written columns
(deferred_checks: id check codes once per distinct value, duplicated keys grouped by a hash first),
and only when some row is rejected does a second pass run every check for the quarantine.

Codes by name: a column with ``names_from`` (tax_code, pollutant) also accepts the official Chinese
name its reference seed gives a code (增值税 -> 10101, 化学需氧量 -> COD) and stores the code, so a
delivery by names loads exactly the rows of the same delivery by codes. The names are read from the
seed at every ingestion (load_references) and inlined as a CASE. A town column with ``in_county``
must belong to the row's county (registry_enterprises: town_code[1:6] = county_code).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.feeds import contract as K
from orchestration.feeds.contract import Column, Feed
from orchestration.feeds.ddl import VALID_USCCS_TABLE
from orchestration.feeds.errors import FileProblem
from orchestration.feeds.idchecks import PERSON_REGEX, USCC_REGEX, USCC_VALID_DEFINITION
from orchestration.feeds.reader import TRIM_CHARS, Staged

# Stable reason codes of quarantine.rejected_rows.reason (documented for analysts and departments).
REASONS: dict[str, str] = {
    "missing_value": "a non-nullable column is empty (only an empty cell, after trimming, is null)",
    "bad_number": "not a plain decimal number (optional sign, ASCII digits, optional fraction and "
                  "exponent; no thousands separators, units, full-width digits, NaN/Infinity, #DIV/0!)",
    "bad_integer": "not an integer (12 and 12.0 are accepted, 12.5 is not)",
    "bad_date": "not a real calendar date as YYYY-MM-DD, YYYY/M/D or YYYYMMDD (no time part)",
    "bad_month": "not a month as YYYY-MM, YYYY/M or YYYYMM",
    "bad_bool": "not a boolean: a value of seeds/reference/ref_boolean_values.csv (case-insensitive)",
    "unknown_code": "not an allowed code: enum value (or, for pollutants, its official name in "
                    "ref_pollutants), county code absent from the county seed, town code not 9 digits "
                    "of a known county or of another county than the row's county_code, industry code "
                    "not 4 digits of a GB/T 4754-2017 division, tax code neither 5 digits nor an "
                    "official tax name (征收项目名称) of ref_tax_codes, or a park class that does not "
                    "fit its park type",
    "bad_uscc_check": "USCC with the right characters and length but a wrong check code (GB 32100)",
    "bad_person_id_check": "citizen id with the right shape but a wrong check digit (GB 11643)",
    "bad_id_format": "identifier of the wrong length or characters (lower case counts as wrong)",
    "out_of_range": "number below the column's minimum (>= 0) or not strictly positive (> 0)",
    "duplicate_key": "the row's key occurs more than once in the file; every such row is rejected",
    "other_year": "row for another year: tax record neither paid in the year nor a deferral "
                  "belonging to it; energy month outside the year",
    "malformed_row": "the record cannot be framed (wrong number of fields, stray quote)",
}

NUMBER_REGEX = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"

PARSE_MACROS_SQL = [
    f"""create or replace temp macro mujun_parse_number(v) as
        case when regexp_full_match(v, '{NUMBER_REGEX}') and isfinite(try_cast(v as double))
             then try_cast(v as double) end""",
    f"""create or replace temp macro mujun_parse_integer(v) as
        case when regexp_full_match(v, '[+-]?[0-9]{{1,18}}') then try_cast(v as bigint)
             when regexp_full_match(v, '{NUMBER_REGEX}') and isfinite(try_cast(v as double))
                  and try_cast(v as double) = trunc(try_cast(v as double))
                  and abs(try_cast(v as double)) < 9.0e18
             then try_cast(v as double)::bigint end""",
    # the common shape is tested with GLOB (fixed-width, anchored, ASCII classes: the same strings as
    # the regexp [1-9][0-9]{3}-[0-9]{2}-[0-9]{2}, measured 0.60 against 1.05 CPU-s on 15 M dates); the
    # other shapes, of variable width, keep their regexps and run only on the rows that are not it
    """create or replace temp macro mujun_parse_date(v) as
        case when v glob '[1-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' then try_cast(v as date)
             when regexp_full_match(v, '[1-9][0-9]{3}/[0-9]{1,2}/[0-9]{1,2}') then try_cast(replace(v, '/', '-') as date)
             when regexp_full_match(v, '[1-9][0-9]{7}') then try_cast(v[1:4] || '-' || v[5:6] || '-' || v[7:8] as date)
        end""",
    """create or replace temp macro mujun_parse_month(v) as
        case when v glob '[1-9][0-9][0-9][0-9]-[0-9][0-9]' then try_cast(v || '-01' as date)
             when regexp_full_match(v, '[1-9][0-9]{3}/[0-9]{1,2}') then try_cast(replace(v, '/', '-') || '-01' as date)
             when regexp_full_match(v, '[1-9][0-9]{5}') then try_cast(v[1:4] || '-' || v[5:6] || '-01' as date)
        end""",
]


def q(s: str) -> str:
    """SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def qi(s: str) -> str:
    """SQL identifier."""
    return '"' + s.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------- headers
def normalize_header(h: str) -> str:
    return h.strip(TRIM_CHARS).lstrip("\ufeff").replace("（", "(").replace("）", ")")


@dataclass
class HeaderMap:
    source: dict[str, int]                         # contract column -> index of the c<i> cell
    extras: list[tuple[str, int]]                  # (JSON key, index) of the extra columns
    json_keys: list[str] = field(default_factory=list)  # JSON key of every cell (raw rows)


def map_headers(feed: Feed, header: list[str]) -> HeaderMap:
    by_en = {c.name.lower(): c for c in feed.columns}
    by_zh = {normalize_header(c.zh): c for c in feed.columns}
    source: dict[str, int] = {}
    given_as: dict[str, list[str]] = {}
    extras_idx: list[int] = []
    for i, h in enumerate(header):
        n = normalize_header(h)
        col = by_en.get(n.lower()) or by_zh.get(n) if n else None
        if col is None:
            extras_idx.append(i)
            continue
        given_as.setdefault(col.name, []).append(h.strip(TRIM_CHARS))
        source.setdefault(col.name, i)
    twice = [f"column {name} given {len(hs)} times (headers {', '.join(repr(h) for h in hs)})"
             for name, hs in given_as.items() if len(hs) > 1]
    if twice:
        raise FileProblem("; ".join(twice))
    missing = [f"missing required column {c.name} ({c.zh})" for c in feed.columns if c.name not in source]
    if missing:
        raise FileProblem("; ".join(missing))
    # JSON keys: the header as delivered (trimmed); empty or repeated names get their position.
    keys: list[str] = []
    seen: set[str] = set()
    for i, h in enumerate(header):
        k = h.strip(TRIM_CHARS).lstrip("\ufeff")
        if not k or k in seen:
            k = f"{k or 'column'}#{i + 1}"
        seen.add(k)
        keys.append(k)
    return HeaderMap(source, [(keys[i], i) for i in extras_idx], keys)


# ---------------------------------------------------------------------------------- references
@dataclass
class References:
    counties: str      # temp table (code VARCHAR)
    divisions: str     # temp table (code VARCHAR)
    booleans: tuple[tuple[str, bool], ...] = ()   # (lower-case spelling, meaning), ref_boolean_values
    # Column.names_from -> (official name with brackets normalised, code) pairs read from that seed
    names: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)


def normalize_name_sql(x: str) -> str:
    """An official name as compared: full-width brackets as half-width (cells arrive trimmed)."""
    return f"replace(replace({x}, '（', '('), '）', ')')"


def _legal_code(col: Column, code: str) -> str | None:
    """The code as the column stores it, or None when the column would reject it."""
    if col.kind == K.TAX_CODE:
        return code if re.fullmatch(r"[0-9]{5}", code) else None
    if col.kind == K.ENUM:
        return {e.lower(): e for e in col.enum}.get(code.lower())
    raise ValueError(f"names_from is not supported for {col.kind} columns ({col.name})")


def _load_names(con: duckdb.DuckDBPyConnection, reference_dir: Path, col: Column) -> tuple[tuple[str, str], ...]:
    seed, code_col, name_col = col.names_from
    path = reference_dir / f"{seed}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"reference seed of the {col.name} names not found: {path}")
    rows = con.execute(f"""select distinct {normalize_name_sql(f'trim({qi(name_col)})')} as name, trim({qi(code_col)})
        from read_csv({q(str(path))}, all_varchar = true, header = true)
        where nullif(trim({qi(name_col)}), '') is not null and nullif(trim({qi(code_col)}), '') is not null
        order by 2, 1""").fetchall()
    # A seed error must stop ingestion: loading a name as the wrong (or an illegal) code would
    # count a tax under another code without any trace in quarantine.
    out: dict[str, str] = {}
    for name, code in rows:
        legal = _legal_code(col, code)
        if legal is None:
            raise ValueError(f"{path}: code {code!r} ({name}) is not a legal {col.name}")
        if out.get(name, legal) != legal:
            raise ValueError(f"{path}: name {name!r} is given to two codes ({out[name]}, {legal})")
        out[name] = legal
    return tuple(out.items())


def load_references(con: duckdb.DuckDBPyConnection, reference_dir: Path, prefix: str,
                    feed: Feed | None = None) -> References:
    """Reference tables of the checks; with ``feed``, also the official names its columns accept."""
    counties = reference_dir / "ref_counties.csv"
    if not counties.is_file():
        raise FileNotFoundError(f"county reference seed not found: {counties}")
    con.execute(f"""create or replace temp table {prefix}_counties as
        select distinct trim(county_code) as code from read_csv({q(str(counties))}, all_varchar = true, header = true)
        where county_code is not null""")
    div_file = reference_dir / "ref_industry_divisions.csv"
    if not div_file.is_file():
        raise FileNotFoundError(f"industry division reference seed not found: {div_file}")
    con.execute(f"""create or replace temp table {prefix}_divisions as
        select distinct lpad(trim(division_code), 2, '0') as code
        from read_csv({q(str(div_file))}, all_varchar = true, header = true) where division_code is not null""")
    names = {c.names_from: _load_names(con, reference_dir, c)
             for c in (feed.columns if feed else ()) if c.names_from}
    return References(f"{prefix}_counties", f"{prefix}_divisions", load_booleans(con, reference_dir), names)


def load_booleans(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> tuple[tuple[str, bool], ...]:
    """The accepted boolean spellings (lower case) and their meaning, from ref_boolean_values.csv:
    the one vocabulary of ingestion and of dbt's audit-finding parser (eval_parse_bool)."""
    path = reference_dir / "ref_boolean_values.csv"
    if not path.is_file():
        raise FileNotFoundError(f"boolean reference seed not found: {path}")
    rows = con.execute(f"""select lower(trim(value)), trim(meaning)
        from read_csv({q(str(path))}, all_varchar = true, header = true) order by 1""").fetchall()
    out: dict[str, bool] = {}
    for value, meaning in rows:
        if not value or meaning not in ("true", "false") or out.get(value, meaning == "true") != (meaning == "true"):
            raise ValueError(f"{path}: {value!r} -> {meaning!r} is not one spelling of true or false")
        out[value] = meaning == "true"
    return tuple(out.items())


def install_parse_macros(con: duckdb.DuckDBPyConnection) -> None:
    for sql in PARSE_MACROS_SQL:
        con.execute(sql)


# ---------------------------------------------------------------------------------- validation
ID_KINDS = (K.USCC, K.PERSON, K.SUBJECT)


def person_columns(feed: Feed) -> set[str]:
    return set(feed.person_columns) | {c.name for c in feed.columns if c.kind in (K.PERSON, K.SUBJECT)}


def _name_to_code(col: Column, v: str, refs: References, otherwise: str) -> str:
    """The code whose official name ``v`` is (Column.names_from), else ``otherwise``. A CASE over the
    few seed names: measured ~3x cheaper per row than a lookup subquery on 5M tax rows."""
    if not col.names_from:
        return otherwise
    if col.names_from not in refs.names:   # never accept fewer values than the contract promises
        raise ValueError(f"names of {col.name} ({col.names_from[0]}) not loaded: pass the feed to load_references")
    pairs = refs.names[col.names_from]
    if not pairs:
        return otherwise
    whens = " ".join(f"when {q(name)} then {q(code)}" for name, code in pairs)
    return f"(case {normalize_name_sql(v)} {whens} else {otherwise} end)"


def _bool_sql(v: str, refs: References) -> str:
    """The meaning of a boolean spelling of ref_boolean_values, NULL for any other value."""
    if not refs.booleans:
        raise ValueError("no boolean spellings loaded (ref_boolean_values.csv is empty)")
    whens = " ".join(f"when {q(value)} then {str(meaning).lower()}" for value, meaning in refs.booleans)
    # a spelling as the seed writes it is found before lower() copies the cell (0.22 against 0.51
    # CPU-s on 15 M cells); NULL only when no case of it is a spelling
    return f"(case {v} {whens} else (case lower({v}) {whens} end) end)"


def _town_unknown_sql(v: str, refs: References) -> str:
    """A town code that is not 9 digits of a known county."""
    return f"(not regexp_full_match({v}, '[0-9]{{9}}') or {v}[1:6] not in (select code from {refs.counties}))"


def _town_elsewhere_sql(v: str, county: str) -> str:
    """A town code of another county than the row's (checked after _town_unknown_sql)."""
    return f"({v}[1:6] <> {county})"


def _typed_and_error(col: Column, v: str, refs: References, ids: str | None,
                     typed: dict[str, str]) -> tuple[str, str]:
    """(typed expression, error-code expression) for a trimmed, nullable value ``v``. ``ids``: the
    table of the delivery's distinct ids and their checks; None in the first pass, which writes the
    rows before the ids are known (only an empty id is an error there: deferred_checks does the rest)."""
    k = col.kind
    if k in (K.TEXT,):
        t, bad = v, []
    elif k in ID_KINDS and ids is None:
        t, bad = v, []
    elif k == K.USCC:
        # A valid id is found among the distinct ids checked once each (uscc_ok implies the shape):
        # the shape's regexp runs only on the rare row that is not (a regexp on every one of a tax
        # file's 15 M rows cost 1.8 CPU-s).
        t = v
        bad = [(f"{v} in (select v from {ids} where uscc_ok)", None),
               (f"not regexp_full_match({v}, '{USCC_REGEX}')", "bad_id_format"),
               ("true", "bad_uscc_check")]
    elif k == K.PERSON:
        t = v
        bad = [(f"{v} in (select v from {ids} where person_ok)", None),
               (f"not regexp_full_match({v}, '{PERSON_REGEX}')", "bad_id_format"),
               ("true", "bad_person_id_check")]
    elif k == K.SUBJECT:
        t = v
        ok = f"{v} in (select v from {ids} where uscc_ok or person_ok)"
        bad = [(f"{ok}", None),
               (f"regexp_full_match({v}, '{PERSON_REGEX}')", "bad_person_id_check"),
               (f"regexp_full_match({v}, '{USCC_REGEX}')", "bad_uscc_check"),
               ("true", "bad_id_format")]
    elif k == K.COUNTY:
        t = v
        bad = [(f"{v} not in (select code from {refs.counties})", "unknown_code")]
    elif k == K.TOWN:
        t = v
        bad = [(_town_unknown_sql(v, refs), "unknown_code")]
        if col.in_county:
            bad.append((_town_elsewhere_sql(v, qi(col.in_county)), "unknown_code"))
    elif k == K.INDUSTRY:
        t = v
        bad = [(f"not regexp_full_match({v}, '[0-9]{{4}}') or {v}[1:2] not in (select code from {refs.divisions})",
                "unknown_code")]
    elif k == K.TAX_CODE:
        # GLOB: the regexp [0-9]{5} without its cost (see the date macro)
        t = f"(case when {v} glob '[0-9][0-9][0-9][0-9][0-9]' then {v} else {_name_to_code(col, v, refs, 'null')} end)"
        bad = [(f"{qi(col.name)} is null", "unknown_code")]
    elif k in (K.DATE, K.MONTH, K.BOOL, K.DECIMAL, K.INTEGER):
        fn, code = {K.DATE: ("mujun_parse_date", "bad_date"), K.MONTH: ("mujun_parse_month", "bad_month"),
                    K.BOOL: (None, "bad_bool"), K.DECIMAL: ("mujun_parse_number", "bad_number"),
                    K.INTEGER: ("mujun_parse_integer", "bad_integer")}[k]
        t = _bool_sql(v, refs) if k == K.BOOL else f"{fn}({v})"
        tc = qi(col.name)
        bad = [(f"{tc} is null", code)]
        if col.min_value is not None:
            bad.append((f"{tc} < {float(col.min_value)!r}", "out_of_range"))
        if col.positive:
            bad.append((f"{tc} <= 0", "out_of_range"))
    elif k == K.ENUM:
        whens = " ".join(f"when {q(e.lower())} then {q(e)}" for e in col.enum)
        other = f"lower({v})" if col.enum_open else "null"
        t = f"(case lower({v}) {whens} else {_name_to_code(col, v, refs, other)} end)"
        bad = [] if col.enum_open else [(f"{qi(col.name)} is null", "unknown_code")]
        if col.name == "park_class" and "park_type" in typed:
            pairs = ", ".join(q(f"{pt}/{pc}") for pt, pcs in K.PARK_CLASSES_BY_TYPE.items() for pc in pcs)
            bad.append((f"({qi('park_type')} || '/' || {qi(col.name)}) not in ({pairs})", "unknown_code"))
    else:  # pragma: no cover - the contract has no other kinds
        raise ValueError(f"unknown column kind {k!r}")
    arms = []
    if not col.nullable:
        arms.append(f"when {v} is null then 'missing_value'")
    else:
        arms.append(f"when {v} is null then null")
    for cond, code in bad:
        arms.append(f"when {cond} then {q(code) if code else 'null'}")
    return t, "case " + " ".join(arms) + " end"


def detail_texts(feed: Feed, refs: References | None = None) -> list[tuple[str, str, str]]:
    """(column, reason, explanation) rows used to write quarantine.detail."""
    out = []
    for c in feed.columns:
        allowed = ""
        names = [n for n, _ in (refs.names.get(c.names_from, ()) if refs and c.names_from else ())]
        if c.kind == K.ENUM:
            allowed = "not one of " + " / ".join(c.enum)
            if names:
                allowed += " (case-insensitive) nor an official name of " + c.names_from[0] + " (" + " / ".join(names) + ")"
            if c.name == "park_class":
                allowed += " or not a class of its park_type (" + "; ".join(
                    f"{t}: {'/'.join(cs)}" for t, cs in K.PARK_CLASSES_BY_TYPE.items()) + ")"
        tax = "not a 5-digit collection item code (征收项目代码)"
        if names:
            tax += f" nor an official name (征收项目名称) of {c.names_from[0]} ({', '.join(names)})"
        specific = {
            K.COUNTY: "not a county code of the county reference seed",
            K.TOWN: "not 9 digits starting with a known county code",
            K.INDUSTRY: "not 4 digits of a GB/T 4754-2017 division",
            K.TAX_CODE: tax,
            K.ENUM: allowed,
        }.get(c.kind, REASONS["unknown_code"])
        rng = ">= " + repr(c.min_value) if c.min_value is not None else "> 0"
        texts = {
            "missing_value": "empty, but the column is not nullable",
            "unknown_code": specific,
            "out_of_range": f"out of range (must be {rng})",
        }
        for reason in REASONS:
            out.append((c.name, reason, texts.get(reason, REASONS[reason])))
    return out


@dataclass
class Validated:
    select: str           # SQL subquery: _rid, _row_number, typed columns, _extra, _reason, _fail


def _typed_columns(feed: Feed, refs: References, ids: str | None) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Typed expression and error expression of every contract column, over its trimmed cell
    ``v_<column>`` (the one place they are built: both passes of the loader share them)."""
    typed, errs = {}, []
    for c in feed.columns:
        t, e = _typed_and_error(c, qi(f"v_{c.name}"), refs, ids, typed)
        typed[c.name] = f"({t})"
        errs.append((c.name, e))
    return typed, errs


def _cells_as_columns(feed: Feed, hm: HeaderMap, alias: str = "") -> str:
    """``v<i> as "v_<column>"`` for every contract column (the cell the column was mapped to)."""
    return ", ".join(f"{alias}v{hm.source[c.name]} as {qi('v_' + c.name)}" for c in feed.columns)


@dataclass
class Deferred:
    """The checks that need the whole delivery, made on the rows the first pass wrote to raw
    (loader: every non-empty framed row, those failing a cell check under year = -year)."""
    ids: str | None       # temp table (v, uscc_ok, person_ok) of the distinct ids; None: no id column
    dup: str | None       # temp table of the typed keys occurring more than once; None: there are none
    bad: str | None       # temp table (_rid) of every row the delivery rejects; None: there are none
    n_bad: int = 0


def first_pass_rows(feed: Feed, year: int) -> str:
    """The rows of the delivery in raw.<feed> after the first pass (loader), rejected or not."""
    return f"(select * from raw.{feed.name} where year in ({year}, {-year}))"


def _repeated_hashes(con: duckdb.DuckDBPyConnection, hashes_sql: str):
    """The distinct values occurring more than once among the UBIGINT ``h`` of ``hashes_sql``: sorted in
    numpy (measured on the 15 M record ids of a tax file: 1.7 CPU-s, a DuckDB group by 3.3-4.5)."""
    import numpy as np

    h = con.execute(hashes_sql).fetchnumpy()["h"]
    h = np.asarray(h, dtype=np.uint64)
    h.sort()
    same = h[1:] == h[:-1]
    return np.unique(h[1:][same]) if same.any() else h[:0]


def deferred_checks(con: duckdb.DuckDBPyConnection, feed: Feed, year: int, prefix: str) -> Deferred:
    """The id checks (once per distinct value: costly per row) and the duplicated keys, over the rows
    the first pass wrote, and the rows they and the cell checks reject.

    Duplicates are found in two steps: the 64-bit hashes of the typed keys are sorted (fixed-width:
    measured ~2x cheaper than grouping the key strings, see _repeated_hashes), and only when some
    hash repeats are the rows whose hash repeats grouped by the key itself, so that a hash collision
    can never reject a row. A key counts when all its typed columns are present, also on a row that
    fails a cell check (every row of a duplicated key is rejected)."""
    rows = first_pass_rows(feed, year)
    ids = dup = None
    bad_if = [f"year = {-year}"]
    id_cols = [c for c in feed.columns if c.kind in ID_KINDS]
    if id_cols:
        ids = f"{prefix}_ids"
        values = " union ".join(f"select {qi(c.name)} as v from {rows}" for c in id_cols)
        con.execute(f"create or replace temp table {prefix}_idv as "
                    f"select distinct v from ({values}) where v is not null")
        # only the checks some id column needs (measured: the unneeded one was 40 % of the cost)
        kinds = {c.kind for c in id_cols}
        uscc_ok, known = "false", ""
        if kinds & {K.USCC, K.SUBJECT}:
            # a value of ingest.valid_usccs was checked valid by an earlier delivery (ddl.VALID_USCCS_DDL)
            con.execute(f"""create or replace temp table {prefix}_idnew as
                select v, mujun_uscc_valid(v) as ok from {prefix}_idv anti join {VALID_USCCS_TABLE} using (v)""")
            con.execute(f"insert into {VALID_USCCS_TABLE} select v, ? from {prefix}_idnew where ok",
                        [USCC_VALID_DEFINITION])
            uscc_ok, known = "coalesce(n.ok, true)", f"left join {prefix}_idnew n using (v)"
        person_ok = "mujun_person_valid(v)" if kinds & {K.PERSON, K.SUBJECT} else "false"
        con.execute(f"""create or replace temp table {ids} as
            select v, {uscc_ok} as uscc_ok, {person_ok} as person_ok from {prefix}_idv {known}""")
        failing = {K.USCC: "not uscc_ok", K.PERSON: "not person_ok", K.SUBJECT: "not (uscc_ok or person_ok)"}
        n_failing = dict(zip(failing, con.execute(
            "select " + ", ".join(f"count(*) filter (where {f})" for f in failing.values()) + f" from {ids}").fetchone()))
        bad_if += [f"(year = {year} and {qi(c.name)} in (select v from {ids} where {failing[c.kind]}))"
                   for c in id_cols if n_failing[c.kind]]
    if feed.key:
        keys = ", ".join(qi(k) for k in feed.key)
        present = " and ".join(f"{qi(k)} is not null" for k in feed.key)
        repeated = _repeated_hashes(con, f"select hash({keys}) as h from {rows} where {present}")
        if len(repeated):
            import pandas as pd

            con.register(f"{prefix}_repeated", pd.DataFrame({"h": repeated}))
            try:
                con.execute(f"create or replace temp table {prefix}_dup_hash as "
                            f"select h::ubigint as h from {prefix}_repeated")
            finally:
                con.unregister(f"{prefix}_repeated")
            con.execute(f"""create or replace temp table {prefix}_dup as
                select {keys} from {rows} where {present} and hash({keys}) in (select h from {prefix}_dup_hash)
                group by all having count(*) > 1""")
            if con.execute(f"select count(*) from {prefix}_dup").fetchone()[0]:
                dup = f"{prefix}_dup"
                bad_if.append(f"(year = {year} and ({keys}) in (select {keys} from {dup}))")
    if len(bad_if) == 1 and not con.execute(
            f"select count(*) from raw.{feed.name} where year = {-year}").fetchone()[0]:
        return Deferred(ids, dup, None)
    bad = f"{prefix}_bad_rid"
    # the first pass numbered the rows without gaps (_row_number = _pos + 1): see validate
    con.execute(f"create or replace temp table {bad} as select _row_number - 1 as _rid from {rows} "
                f"where {' or '.join(bad_if)}")
    return Deferred(ids, dup, bad, con.execute(f"select count(*) from {bad}").fetchone()[0])


def validate(con: duckdb.DuckDBPyConnection, feed: Feed, year: int, staged: Staged, hm: HeaderMap,
             refs: References, prefix: str, checks: Deferred | None = None, keep_cells: bool = False) -> Validated:
    """The validation query (not run here). Without ``checks``: the first pass, which the loader
    inserts straight into raw (the typed rows are computed once and written once): every check
    that needs only the row. With ``checks`` (deferred_checks): every check, first failure wins,
    for the quarantine of the rejected rows; ``keep_cells`` carries the delivered cells (``v0..vN``,
    ``_cells``) through, so that the quarantine needs no further pass over the file.

    Row numbers: the first pass runs before the unframeable records are known and numbers the framed
    rows 1, 2, ...; once they are known (reader.collect_rejects) the query numbers the rows of the
    file, and renumber() moves the loaded rows to those numbers."""
    # all-empty rows (every cell empty after trimming: Staged.all_empty) are skipped
    # 1. base rows: original row numbers, all-empty rows skipped
    if staged.n_rejects:
        con.execute(f"""create or replace temp table {prefix}_gaps as
            select thr, max(cum) as cum from (
                select (line - 1) - row_number() over (order by line) as thr,
                       row_number() over (order by line) as cum from {staged.rejects}) group by thr""")
        rownum_from = f"""(select s._pos as _rid, s._pos + 1 + coalesce(g.cum, 0) as _row_number, s.*
            from {staged.table} s asof left join {prefix}_gaps g on (s._pos + 1) > g.thr)"""
    else:
        rownum_from = f"(select _pos as _rid, _pos + 1 as _row_number, * from {staged.framing if checks is None else staged.table})"

    # 2. typed values and errors per column, first failure wins
    typed, errs = _typed_columns(feed, refs, checks.ids if checks else None)
    extra = "null"
    if hm.extras:
        extra = "json_object(" + ", ".join(f"{q(k)}, {staged.raw_cell(i)}" for k, i in hm.extras) + ")::varchar"
    typed_sel = ", ".join(f"{t} as {qi(name)}" for name, t in typed.items())
    vnames = ", ".join(qi("v_" + c.name) for c in feed.columns)

    # 3. duplicated keys: every row of a duplicated key is rejected (after its column checks)
    is_dup = "false"
    if checks and checks.dup:
        keys = ", ".join(qi(k) for k in feed.key)
        is_dup = f"coalesce(({keys}) in (select {keys} from {checks.dup}), false)"

    inner = ", ".join([*(qi(name) for name in typed), *(f"{e} as {qi('e_' + name)}" for name, e in errs),
                       f"{is_dup} as _dup"])
    year_err = "null"
    if feed.year_rule == "tax":
        year_err = (f'case when not (year("paid_on") = {year} or ("deferred" and year("belongs_to") = {year})) '
                    f"then 'other_year' end")
    elif feed.year_rule == "energy_month":
        year_err = f"""case when year("month") <> {year} then 'other_year' end"""
    col_reason = "coalesce(" + ", ".join(qi("e_" + name) for name, _ in errs) + ")"
    fail_col = "case " + " ".join(f"when {qi('e_' + name)} is not null then {q(name)}" for name, _ in errs) + " end"
    out_cols = ", ".join(qi(c.name) for c in feed.columns)
    kept = "".join(f", v{i}" for i in range(len(staged.header))) + ", _cells" if keep_cells else ""
    select = f"""(select _rid, _row_number, {out_cols}, _extra,
               coalesce({col_reason}, case when _dup then 'duplicate_key' end, {year_err}) as _reason,
               case when {col_reason} is not null then {fail_col} when _dup then 'key'
                    when {year_err} is not null then 'year' end as _fail{kept}
        from (select _rid, _row_number, {inner}, _extra{kept}
              from (select _rid, _row_number, {vnames}, {typed_sel}, _extra{kept}
                    from (select _rid, _row_number, {_cells_as_columns(feed, hm, 's.')}, {extra} as _extra{kept.replace(', ', ', s.')}
                          from {rownum_from} s where not ({staged.all_empty})))))"""
    return Validated(select)


def renumber(con: duckdb.DuckDBPyConnection, feed: Feed, year: int, prefix: str) -> None:
    """Give the loaded rows of a delivery with unframeable records their row numbers in the file
    (the first pass numbered the framed rows without gaps; validate made the gaps table)."""
    con.execute(f"""update raw.{feed.name} set _row_number = m.new
        from (select r._row_number as old, r._row_number + g.cum as new
              from (select _row_number from raw.{feed.name} where year = {year}) r
              asof join {prefix}_gaps g on r._row_number > g.thr) m
        where raw.{feed.name}.year = {year} and raw.{feed.name}._row_number = m.old""")


def quarantine_select(feed: Feed, year: int, staged: Staged, hm: HeaderMap, v: Validated, prefix: str,
                      con: duckdb.DuckDBPyConnection, refs: References) -> str:
    """SELECT of the rejected rows (validated with ``keep_cells``, and unframeable) in
    quarantine.rejected_rows layout; parameters: delivery_id, file (twice)."""
    persons = person_columns(feed)
    person_idx = {hm.source[c] for c in persons if c in hm.source} | {i for _, i in hm.extras}

    # every cell is masked BEFORE it is quoted into JSON or words (JSON escapes a tab separator as
    # backslash-t, which would hide an id from the masking): person columns fully, other text by the rule
    # of orchestration.masking (an enterprise USCC stays readable)
    def cell(i: int, masked: bool = True) -> str:
        raw = staged.raw_cell(i, "t")
        return f"mujun_mask_person({raw})" if masked and i in person_idx else f"mujun_mask_text({raw})"

    raw = "json_object(" + ", ".join(f"{q(k)}, {cell(i)}" for i, k in enumerate(hm.json_keys)) + ")::varchar"
    texts = f"{prefix}_texts"
    values = ", ".join(f"({q(a)}, {q(b)}, {q(c)})" for a, b, c in detail_texts(feed, refs))
    con.execute(f"create or replace temp table {texts} as select * from (values {values}) t(col, reason, txt)")
    val_of = "case t._fail " + " ".join(
        f"when {q(c.name)} then {cell(hm.source[c.name], c.name in persons)}" for c in feed.columns) + " end"
    key_vals = "json_array(" + ", ".join(cell(hm.source[k], k in persons) for k in feed.key) + ")::varchar" \
        if feed.key else "''"
    if feed.year_rule == "tax":
        year_txt = (f"'paid_on = ' || {cell(hm.source['paid_on'])} || ', deferred = ' || {cell(hm.source['deferred'])}"
                    f" || ', belongs_to = ' || {cell(hm.source['belongs_to'])} || ': not a record of year {year} "
                    f"(paid in {year}, or deferred and belonging to {year})'")
    elif feed.year_rule == "energy_month":
        year_txt = f"'month = ' || {cell(hm.source['month'])} || ': not a month of year {year}'"
    else:
        year_txt = "null"
    # a town of another county: name both codes (the row's county passed its own check first)
    elsewhere = "".join(
        f"""
                     when t._fail = {q(c.name)} and t._reason = 'unknown_code' and not {_town_unknown_sql(f't.{qi(c.name)}', refs)}
                     then '{c.name} ' || t.{qi(c.name)} || ' is not a town of {c.in_county} ' || t.{qi(c.in_county)}
                          || ' (its first 6 digits must be the row''s {c.in_county})'"""
        for c in feed.columns if c.kind == K.TOWN and c.in_county)
    detail = f"""case when t._fail = 'key' then 'key ({", ".join(feed.key)}) = ' || {key_vals} || ' occurs more than once in the file'
                     when t._fail = 'year' then {year_txt}{elsewhere}
                     else t._fail || ' = ' || coalesce(to_json({val_of})::varchar, '(empty)') || ': ' || coalesce(x.txt, t._reason) end"""
    # the outer masking reads columns of a subquery: a macro nested around an expression repeats it
    # once per use of its argument (and compiles its regexes again), which cost seconds of planning
    sel = f"""
        select ?::varchar as delivery_id, {year} as year, {q(feed.name)} as feed, ?::varchar as file,
               row_number, reason, mujun_mask_text(detail) as detail, mujun_mask_text(raw) as raw
        from (select t._row_number as row_number, t._reason as reason, {detail} as detail, {raw} as raw
              from {v.select} t
              left join {texts} x on x.col = t._fail and x.reason = t._reason
              where t._reason is not null)"""
    if staged.n_rejects:
        sel += f"""
        union all
        select ?::varchar, {year}, {q(feed.name)}, ?::varchar, line - 1, 'malformed_row',
               mujun_mask_text(error_type || ': ' || coalesce(error_message, '')),
               json_object('_line', mujun_mask_text(csv_line))::varchar
        from {staged.rejects}"""
    return sel
