"""Check codes of the identifiers in the feed contract (feeds.md "Identifiers").

* USCC 统一社会信用代码, GB 32100-2015: 18 characters from ``0-9A-HJ-NPQRTUWXY``;
  position 1 registration authority, 2 organisation type, 3-8 administrative division,
  9-17 a GB 11714 organisation code (8 characters + its own check character), 18 the check
  character: weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28; c = (31 - Σ mod 31) mod 31.
* Organisation code, GB 11714-1997: 8 characters (digits/letters, A=10 … Z=35) + a check
  character: weights 3,7,9,10,5,8,4,2; c = 11 - Σ mod 11; 10 → 'X', 11 → '0'.
* Citizen id 公民身份号码, GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence,
  check character ISO 7064 MOD 11-2: weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2;
  c = (12 - Σ mod 11) mod 11, 10 → 'X'.

Scalar functions for tests and ingestion-style checks, plus numpy-vectorised builders that the
generator uses for hundreds of thousands of codes at once.  The generator only puts digits in
the organisation-code body (positions 9-16), which every reading of GB 11714 agrees on.
"""
from __future__ import annotations

import datetime as _dt

import numpy as np

from orchestration.feeds.idchecks import ORG_WEIGHTS, PERSON_WEIGHTS, USCC_CHARSET, USCC_WEIGHTS

USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
PERSON_CHECK = "10X98765432"  # index = Σ mod 11  ⇔  (12 - Σ mod 11) mod 11 with 10 → 'X'


def _org_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"bad organisation code character {ch!r}")


def org_check_char(first8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    if len(first8) != 8:
        raise ValueError("organisation code body must have 8 characters")
    c = 11 - sum(w * _org_value(ch) for w, ch in zip(ORG_WEIGHTS, first8)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(s: str) -> bool:
    try:
        return len(s) == 9 and org_check_char(s[:8]) == s[8]
    except ValueError:
        return False


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters."""
    if len(first17) != 17:
        raise ValueError("USCC body must have 17 characters")
    total = sum(w * USCC_VALUE[ch] for w, ch in zip(USCC_WEIGHTS, first17))
    return USCC_CHARSET[(31 - total % 31) % 31]


def make_uscc(county_code: str, org_body: str | int, authority: str = "9", org_type: str = "1") -> str:
    """A valid USCC: authority + type + county + organisation code (body + check) + check.

    ``org_body`` is the 8-character organisation code body (an int is zero-padded)."""
    body = f"{org_body:08d}" if isinstance(org_body, (int, np.integer)) else str(org_body)
    first17 = f"{authority}{org_type}{county_code}{body}{org_check_char(body)}"
    return first17 + uscc_check_char(first17)


def is_valid_uscc(s: object) -> bool:
    if not isinstance(s, str) or len(s) != 18 or any(ch not in USCC_VALUE for ch in s):
        return False
    if not s[2:8].isdigit() or not is_valid_org_code(s[8:17]):
        return False
    return uscc_check_char(s[:17]) == s[17]


def person_id_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("person id body must be 17 digits")
    return PERSON_CHECK[sum(w * int(ch) for w, ch in zip(PERSON_WEIGHTS, first17)) % 11]


def make_person_id(region: str, birth: _dt.date | str, seq: int) -> str:
    """region: 6 digits (a Zhejiang county, 33xxxx); birth: date or 'YYYYMMDD'; seq 0-999."""
    b = birth.strftime("%Y%m%d") if isinstance(birth, _dt.date) else str(birth)
    first17 = f"{region}{b}{seq:03d}"
    return first17 + person_id_check_char(first17)


def is_valid_person_id(s: object, zhejiang_only: bool = False) -> bool:
    if not isinstance(s, str) or len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        return False
    if zhejiang_only and not s.startswith("33"):
        return False
    try:
        _dt.datetime.strptime(s[6:14], "%Y%m%d")
    except ValueError:
        return False
    return person_id_check_char(s[:17]) == s[17]


# --------------------------------------------------------------------------------------------
# Vectorised builders (numpy): used by the generator for whole populations at once.
# --------------------------------------------------------------------------------------------
_USCC_LUT = np.frombuffer(USCC_CHARSET.encode(), dtype=np.uint8)
_ORG_LUT = np.frombuffer(b"0123456789X0", dtype=np.uint8)   # index c in 1..11 → char (10→X, 11→0)
_PERSON_LUT = np.frombuffer(PERSON_CHECK.encode(), dtype=np.uint8)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 array of the decimal digits (values as int64)."""
    v = np.asarray(values, dtype=np.int64)
    pw = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] // pw[None, :]) % 10).astype(np.uint8)


def uscc_batch(county_codes: np.ndarray, org_bodies: np.ndarray, authority: str = "9",
               org_type: str = "1") -> np.ndarray:
    """Vectorised make_uscc for digit-only organisation bodies (int < 10**8). Returns object array."""
    n = len(org_bodies)
    vals = np.zeros((n, 17), dtype=np.int64)
    vals[:, 0] = USCC_VALUE[authority]
    vals[:, 1] = USCC_VALUE[org_type]
    vals[:, 2:8] = _digits(np.asarray(county_codes, dtype=np.int64), 6)
    body = _digits(org_bodies, 8).astype(np.int64)
    vals[:, 8:16] = body
    oc = 11 - (body * np.array(ORG_WEIGHTS, dtype=np.int64)).sum(axis=1) % 11   # 1..11
    org_char = _ORG_LUT[oc]
    # value of the organisation check character inside the USCC charset ('X' = 29)
    vals[:, 16] = np.where(oc == 10, USCC_VALUE["X"], np.where(oc == 11, 0, oc))
    check = (31 - (vals * np.array(USCC_WEIGHTS, dtype=np.int64)).sum(axis=1) % 31) % 31
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :16] = _USCC_LUT[vals[:, :16]]
    chars[:, 16] = org_char
    chars[:, 17] = _USCC_LUT[check]
    return chars.view("S18").ravel().astype(str).astype(object)


def person_id_batch(regions: np.ndarray, births: np.ndarray, seqs: np.ndarray) -> np.ndarray:
    """regions: int 6-digit codes; births: datetime64[D]; seqs: 0-999. Returns object array."""
    n = len(seqs)
    b = np.asarray(births, dtype="datetime64[D]")
    ymd = b.astype(object)
    bint = np.array([d.year * 10000 + d.month * 100 + d.day for d in ymd], dtype=np.int64) if n else np.zeros(0, np.int64)
    d = np.zeros((n, 17), dtype=np.int64)
    d[:, 0:6] = _digits(np.asarray(regions, dtype=np.int64), 6)
    d[:, 6:14] = _digits(bint, 8)
    d[:, 14:17] = _digits(np.asarray(seqs, dtype=np.int64), 3)
    s = (d * np.array(PERSON_WEIGHTS, dtype=np.int64)).sum(axis=1) % 11
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = d.astype(np.uint8) + ord("0")
    chars[:, 17] = _PERSON_LUT[s]
    return chars.view("S18").ravel().astype(str).astype(object)
