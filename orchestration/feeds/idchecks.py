"""Check codes of the two national identifiers, as DuckDB SQL macros and as Python functions.

* USCC (统一社会信用代码, GB 32100-2015): 18 characters of ``0-9A-HJ-NPQRTUWXY`` (no I, O, S, V, Z),
  digits at positions 3-8 (the administrative division); the 18th is the check code: ``c18 = (31 - sum(value(c_i) * W_i) % 31) % 31`` with the weights
  1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 and value = position in the charset.
* Citizen id (公民身份号码, GB 11643-1999): 17 digits + check digit, ISO 7064 MOD 11-2:
  ``c18 = (12 - sum(d_i * W_i) % 11) % 11`` with weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2; 10 = ``X``.

Ids are exact: lower-case letters are invalid. This module is the one home of the weights and
shapes: the synthetic generator, masking and the GX suites import them. The SQL macros are TEMP (per connection, never
stored in the warehouse); call :func:`install_macros` on a connection before using them. The Python
functions are the reference implementation (tests build valid ids with them and compare).
"""
from __future__ import annotations

import hashlib
import re

import duckdb

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 organisation code (USCC positions 9-17): 8 characters + a check character
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
PERSON_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# The one USCC shape of the project (ingestion, masking, the GX suites): positions 3-8 are the
# GB/T 2260 administrative division, digits only. Unanchored (regexp_full_match); the GX suites
# anchor it with ^...$.
USCC_REGEX = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
PERSON_REGEX = "[0-9]{17}[0-9X]"


# ---------------------------------------------------------------- Python reference implementation
def uscc_check_char(body17: str) -> str:
    if len(body17) != 17 or any(ch not in USCC_CHARSET for ch in body17):
        raise ValueError(f"not a USCC body: {body17!r}")
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(body17, USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_valid(value: str | None) -> bool:
    return (value is not None and re.fullmatch(USCC_REGEX, value) is not None
            and uscc_check_char(value[:17]) == value[17])


def person_check_char(body17: str) -> str:
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError(f"not a citizen id body: {body17!r}")
    total = sum(int(ch) * w for ch, w in zip(body17, PERSON_WEIGHTS))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def person_id_valid(value: str | None) -> bool:
    return (value is not None and len(value) == 18 and value[:17].isascii() and value[:17].isdigit()
            and person_check_char(value[:17]) == value[17])


# ---------------------------------------------------------------------------------- SQL macros
def _uscc_sum_sql(arg: str) -> str:
    return " + ".join(f"(strpos('{USCC_CHARSET}', {arg}[{i + 1}]) - 1) * {w}"
                      for i, w in enumerate(USCC_WEIGHTS))


def _person_sum_sql(arg: str) -> str:
    return " + ".join(f"(ascii({arg}[{i + 1}]) - 48) * {w}" for i, w in enumerate(PERSON_WEIGHTS))


MACROS_SQL = [
    # shape only (charset and length)
    f"create or replace temp macro mujun_uscc_shape(s) as regexp_full_match(s, '{USCC_REGEX}')",
    f"create or replace temp macro mujun_person_shape(s) as regexp_full_match(s, '{PERSON_REGEX}')",
    # check code of a shaped value (NULL for a value of the wrong shape)
    f"""create or replace temp macro mujun_uscc_check(s) as
        case when regexp_full_match(s, '{USCC_REGEX}')
             then '{USCC_CHARSET}'[((31 - ({_uscc_sum_sql('s')}) % 31) % 31) + 1] end""",
    f"""create or replace temp macro mujun_person_check(s) as
        case when regexp_full_match(s, '{PERSON_REGEX}')
             then '0123456789X'[((12 - ({_person_sum_sql('s')}) % 11) % 11) + 1] end""",
    # full validity (shape and check code); false, never NULL, for a non-null argument
    "create or replace temp macro mujun_uscc_valid(s) as coalesce(mujun_uscc_check(s) = s[18], false)",
    "create or replace temp macro mujun_person_valid(s) as coalesce(mujun_person_check(s) = s[18], false)",
]


# The SQL that decides a USCC's validity, as a digest: a verdict kept from an earlier delivery
# (ingest.valid_usccs, orchestration/feeds/ddl.py) holds only while this definition is the same.
USCC_VALID_DEFINITION = hashlib.sha256("\n".join(m for m in MACROS_SQL if "mujun_uscc" in m).encode()).hexdigest()[:16]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    # the person-id masking macros (mujun_mask_text, mujun_mask_person) are built from the one
    # masking definition of the project (imported here: masking itself uses the checks above)
    from orchestration.masking import duckdb_macros_sql

    for sql in MACROS_SQL + duckdb_macros_sql():
        con.execute(sql)
