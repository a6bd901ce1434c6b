"""The one masking definition of person ids (marts.md: first 6 + ``********`` + last 4).

A citizen id (GB 11643) is 17 digits and a check character ``[0-9Xx]``. Hostile or careless input
writes it in many ways, and every one of them must be found:

* with separators between any two characters: up to 3 of space, tab, no-break space, ideographic
  space, ``-``, full-width ``－`` (``331126 19860930311X``, ``331126-1986-0930-311X``);
* with full-width digits (``３３１１２６…``);
* inside text (``身份证330903196804133434``, ``…9号 经办人330205198101213984``);
* inside a longer digit run (a 19-digit "id").

**What is an id-like run**: a maximal run of at least 18 id characters (digits; a final ``X``/``x``),
separators allowed inside. A regex finds the leftmost-longest runs; each run is then decided on:

* a run of more than 18 characters is always masked, as a whole: first 6 + ``*`` for every hidden
  character + last 4 (an id hidden anywhere in it loses its middle; we cannot tell where it starts,
  so we mask conservatively);
* a run of exactly 18 characters is masked (first 6 + ``********`` + last 4) **unless** it is an
  enterprise's USCC: a valid GB 32100 code (all-digit USCCs exist: they are 18 digits too) whose
  characters 7-14 are not a birth date 1900-01-01 … 2099-12-31. Every real person id carries its
  birth date there, and a USCC carries region and organisation code digits there, so an
  enterprise code is kept readable in texts and a person id never is, even with a wrong check digit
  (a mistyped id is still personal data). We chose to mask on doubt: a USCC that looks like a date
  is masked (rare, harmless), a person id is never published.

Separators and full-width digits are normalised away in the masked output.

Structured person columns (a column that holds a person id by contract) use ``force=True``: every
id-like run is masked, USCC or not, because the column's meaning is known.

The same definition exists as SQL for DuckDB (ingestion's temp macros) and for dbt (generated
macro file ``dbt_project/macros/masking/mask_person.sql``): both are BUILT here
(:func:`sql_mask_text`, :func:`dbt_macro_text`); ``python -m orchestration.masking`` rewrites the dbt
file and a test checks that the committed file is current and that SQL and Python agree.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from orchestration.feeds.idchecks import uscc_valid

KEEP_HEAD, KEEP_TAIL, HIDDEN = 6, 4, 8            # marts.md: first 6 + ******** + last 4
ID_LENGTH = 18

FULLWIDTH_DIGITS = "０１２３４５６７８９Ｘｘ"
ASCII_DIGITS = "0123456789Xx"
SEPARATORS = " \t\u00a0\u3000-\uff0d"            # space, tab, NBSP, ideographic space, - and －
_SEP = "[ \t\u00a0\u3000\\-\uff0d]{0,3}"
_DIGIT = "[0-9０-９]"
_CHECK = "[0-9Xx０-９Ｘｘ]"
# leftmost-longest run of >= 18 id characters (RE2 and Python re agree on this pattern)
ID_RUN_REGEX = f"{_DIGIT}(?:{_SEP}{_DIGIT}){{16,}}{_SEP}{_CHECK}"
ID_RUN_RE = re.compile(ID_RUN_REGEX)
_SEP_RE = re.compile(f"[{re.escape(SEPARATORS)}]")
_NORMALISE = str.maketrans(FULLWIDTH_DIGITS, ASCII_DIGITS)


def _birth_date_at_7(chars: str) -> bool:
    s = chars[6:14]
    if not s.isascii() or not s.isdigit() or not "1900" <= s[:4] <= "2099":
        return False
    try:
        dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        return False
    return True


def is_enterprise_code(chars: str) -> bool:
    """An 18-character normalised run kept in texts: a valid USCC that carries no birth date."""
    return len(chars) == ID_LENGTH and uscc_valid(chars) and not _birth_date_at_7(chars)


def mask_run(run: str, force: bool = False) -> str:
    chars = _SEP_RE.sub("", run).translate(_NORMALISE)
    if not force and is_enterprise_code(chars):
        return run
    return chars[:KEEP_HEAD] + "*" * (len(chars) - KEEP_HEAD - KEEP_TAIL) + chars[-KEEP_TAIL:]


def mask_text(value, force: bool = False):
    """`value` with every id-like run masked (see the module doc); non-strings are returned as is."""
    if not isinstance(value, str):
        return value
    return ID_RUN_RE.sub(lambda m: mask_run(m.group(0), force), value)


def mask_tree(folder: Path | str, suffixes: tuple[str, ...] = (".html", ".htm", ".json", ".js", ".csv",
                                                               ".txt", ".md", ".xml", ".css")) -> int:
    """Mask every text file under `folder` in place (Data Docs, reports); returns files changed.

    Files are rewritten through a temporary file and os.replace, so a reader never sees half a file."""
    changed = 0
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix.lower() not in suffixes:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        masked = mask_text(text)
        if masked != text:
            tmp = path.with_name(path.name + ".masking.tmp")
            tmp.write_text(masked, encoding="utf-8")
            tmp.replace(path)
            changed += 1
    return changed


# ------------------------------------------------------------------------------------------ SQL
def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _re2(pattern: str) -> str:
    """The pattern for RE2 with every non-ASCII or control character written as an escape
    (readable SQL; the tests check that RE2 and Python find the same runs)."""
    return "".join(ch if " " <= ch <= "~" else f"\\x{{{ord(ch):04X}}}" for ch in pattern)


def _uscc_valid_sql(d: str) -> str:
    from orchestration.feeds.idchecks import USCC_CHARSET, USCC_REGEX, USCC_WEIGHTS

    total = " + ".join(f"(strpos('{USCC_CHARSET}', {d}[{i + 1}]) - 1) * {w}" for i, w in enumerate(USCC_WEIGHTS))
    return (f"(regexp_full_match({d}, '{USCC_REGEX}') and "
            f"'{USCC_CHARSET}'[((31 - ({total}) % 31) % 31) + 1] = {d}[18])")


def _birth_date_sql(d: str) -> str:
    return (f"(substr({d}, 7, 4) between '1900' and '2099' and "
            f"try_strptime(substr({d}, 7, 8), '%Y%m%d') is not null)")


def _normalise_sql(m: str) -> str:
    return (f"translate(regexp_replace({m}, {_q(_re2('[' + SEPARATORS.replace('-', '') + '-]'))}, '', 'g'), "
            f"{_q(FULLWIDTH_DIGITS)}, {_q(ASCII_DIGITS)})")


def _mask_run_sql(m: str, d: str, force: bool) -> str:
    """SQL of mask_run for a run `m` whose normalised characters are `d`."""
    masked = f"{d}[1:{KEEP_HEAD}] || repeat('*', length({d}) - {KEEP_HEAD + KEEP_TAIL}) || {d}[-{KEEP_TAIL}:]"
    if force:
        return f"({masked})"
    keep = f"(length({d}) = {ID_LENGTH} and {_uscc_valid_sql(d)} and not {_birth_date_sql(d)})"
    return f"(case when {keep} then {m} else {masked} end)"


def sql_mask_text(s: str, force: bool = False) -> str:
    """DuckDB SQL expression: `s` (a VARCHAR expression) with every id-like run masked, as mask_text.

    The text is split at the runs (regexp_split_to_array) and the masked runs
    (regexp_extract_all) are put back between the pieces (list_zip pads the runs with a NULL);
    both use the same leftmost-longest RE2 matches, so pieces and runs interleave exactly. Each
    run is normalised once (a struct of run and characters): the check-code SQL reads it 20 times."""
    rx = _q(_re2(ID_RUN_REGEX))
    runs = (f"list_transform(list_transform(regexp_extract_all({s}, {rx}), "
            f"_m -> {{'m': _m, 'd': {_normalise_sql('_m')}}}), _r -> {_mask_run_sql('_r.m', '_r.d', force)})")
    joined = (f"array_to_string(list_transform(list_zip(regexp_split_to_array({s}, {rx}), {runs}), "
              f"_x -> _x[1] || coalesce(_x[2], '')), '')")
    return f"(case when {s} is null or not regexp_matches({s}, {rx}) then {s} else {joined} end)"


# Spark SQL (the dbt spark target, issue #14): the same steps with Spark's functions: Java regex
# reads the same patterns, higher-order functions replace DuckDB's list lambdas, substr/instr
# replace string indexing. Needs spark.sql.parser.escapedStringLiterals (the dbt profile sets it)
# so the pattern literals keep their backslashes.
def _spark_full_match(d: str, regex: str) -> str:
    return f"({d} rlike '^(?:{regex})$')"


def _spark_uscc_valid_sql(d: str) -> str:
    from orchestration.feeds.idchecks import USCC_CHARSET, USCC_REGEX, USCC_WEIGHTS

    total = " + ".join(f"(instr('{USCC_CHARSET}', substr({d}, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(USCC_WEIGHTS))
    return (f"({_spark_full_match(d, USCC_REGEX)} and "
            f"substr('{USCC_CHARSET}', ((31 - ({total}) % 31) % 31) + 1, 1) = substr({d}, 18, 1))")


def _spark_birth_date_sql(d: str) -> str:
    return (f"(substr({d}, 7, 4) between '1900' and '2099' and "
            f"to_date(substr({d}, 7, 8), 'yyyyMMdd') is not null)")


def _spark_normalise_sql(m: str) -> str:
    return (f"translate(regexp_replace({m}, {_q(_re2('[' + SEPARATORS.replace('-', '') + '-]'))}, ''), "
            f"{_q(FULLWIDTH_DIGITS)}, {_q(ASCII_DIGITS)})")


def _spark_mask_run_sql(m: str, d: str, force: bool) -> str:
    masked = (f"substr({d}, 1, {KEEP_HEAD}) || repeat('*', length({d}) - {KEEP_HEAD + KEEP_TAIL}) || "
              f"substr({d}, -{KEEP_TAIL}, {KEEP_TAIL})")
    if force:
        return f"({masked})"
    keep = f"(length({d}) = {ID_LENGTH} and {_spark_uscc_valid_sql(d)} and not {_spark_birth_date_sql(d)})"
    return f"(case when {keep} then {m} else {masked} end)"


def spark_sql_mask_text(s: str, force: bool = False) -> str:
    """Spark SQL expression equal to sql_mask_text: pieces (split, limit -1 keeps empty ones) and
    masked runs (regexp_extract_all) interleaved by zip_with (which pads the runs with a null)."""
    rx = _q(_re2(ID_RUN_REGEX))
    runs = (f"transform(transform(regexp_extract_all({s}, {rx}, 0), "
            f"_m -> named_struct('m', _m, 'd', {_spark_normalise_sql('_m')})), "
            f"_r -> {_spark_mask_run_sql('_r.m', '_r.d', force)})")
    joined = f"array_join(zip_with(split({s}, {rx}, -1), {runs}, (_p, _x) -> _p || coalesce(_x, '')), '')"
    return f"(case when {s} is null or not ({s} rlike {rx}) then {s} else {joined} end)"


def sql_mask_valid_id(s: str) -> str:
    """The cheap SQL form for a value already VALIDATED as an 18-character person id (subject ids of
    individuals): the same result as sql_mask_text(s, force=True) for such a value, without regexes."""
    return (f"(substr({s}, 1, {KEEP_HEAD}) || '{'*' * HIDDEN}' || "
            f"substr({s}, length({s}) - {KEEP_TAIL - 1}, {KEEP_TAIL}))")


def duckdb_macros_sql() -> list[str]:
    """Temp macros for ingestion: mujun_mask_text(s) and mujun_mask_person(s) (force)."""
    return [f"create or replace temp macro mujun_mask_text(s) as {sql_mask_text('s')}",
            f"create or replace temp macro mujun_mask_person(s) as {sql_mask_text('s', force=True)}"]


DBT_MACRO_PATH = Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "masking" / "mask_person.sql"


def _dispatched_macro(name: str, doc: str, duckdb_sql: str) -> str:
    """A dbt macro dispatched per engine (adapter.dispatch): the DuckDB form generated here; another
    engine gets a compile error naming what to add, never a silently unmasked id."""
    return (
        f"{{#- {doc} -#}}\n"
        f"{{% macro {name}(expr) -%}}\n"
        f"    {{{{ return(adapter.dispatch('{name}', 'mujun')(expr)) }}}}\n"
        "{%- endmacro %}\n\n"
        f"{{% macro duckdb__{name}(expr) -%}}\n"
        f"    {duckdb_sql}\n"
        "{%- endmacro %}\n\n"
        f"{{% macro default__{name}(expr) -%}}\n"
        f"    {{{{ exceptions.raise_compiler_error('{name}: no SQL for the ' ~ adapter.type() ~ ' engine yet: add '"
        f" ~ adapter.type() ~ '__{name} (generated by orchestration/masking.py)') }}}}\n"
        "{%- endmacro %}\n\n")


def dbt_macro_text() -> str:
    """The generated dbt macro file (never edit it by hand: `python -m orchestration.masking`).

    The regex forms use DuckDB's RE2 and list functions, so they are dispatched per engine; the cheap
    form for validated ids is portable SQL (substr, ||, length) and is one macro for every engine."""
    return (
        "{#- GENERATED by `python -m orchestration.masking` from orchestration/masking.py: the one masking\n"
        "    definition of person ids (see that module). Do not edit; tests/test_masking.py checks it is current. -#}\n\n"
        + _dispatched_macro("mask_person_text", "Free text: every id-like run masked, an enterprise USCC kept.",
                            sql_mask_text("{{ expr }}"), spark_sql_mask_text("{{ expr }}"))
        + _dispatched_macro("mask_person_value", "A value that is a person id by meaning: every id-like run masked.",
                            sql_mask_text("{{ expr }}", force=True), spark_sql_mask_text("{{ expr }}", force=True))
        + "{#- A subject id validated as an 18-character person id (cheap: no regex; portable SQL). -#}\n"
        "{% macro mask_valid_person_id(expr) -%}\n"
        f"    {sql_mask_valid_id('{{ expr }}')}\n"
        "{%- endmacro %}\n")


def _dispatched_macro(name: str, doc: str, duckdb_sql: str, spark_sql: str) -> str:
    """A dbt macro dispatched per engine (adapter.dispatch): the DuckDB and Spark forms generated here;
    another engine gets a compile error naming what to add, never a silently unmasked id."""
    return (
        f"{{#- {doc} -#}}\n"
        f"{{% macro {name}(expr) -%}}\n"
        f"    {{{{ return(adapter.dispatch('{name}', 'mujun')(expr)) }}}}\n"
        "{%- endmacro %}\n\n"
        f"{{% macro duckdb__{name}(expr) -%}}\n"
        f"    {duckdb_sql}\n"
        "{%- endmacro %}\n\n"
        f"{{% macro spark__{name}(expr) -%}}\n"
        f"    {spark_sql}\n"
        "{%- endmacro %}\n\n"
        f"{{% macro default__{name}(expr) -%}}\n"
        f"    {{{{ exceptions.raise_compiler_error('{name}: no SQL for the ' ~ adapter.type() ~ ' engine yet: add '"
        f" ~ adapter.type() ~ '__{name} (generated by orchestration/masking.py)') }}}}\n"
        "{%- endmacro %}\n\n")


if __name__ == "__main__":
    DBT_MACRO_PATH.parent.mkdir(parents=True, exist_ok=True)
    DBT_MACRO_PATH.write_text(dbt_macro_text(), encoding="utf-8")
    print(f"wrote {DBT_MACRO_PATH}", file=sys.stderr)
