"""Town (镇街) names: the one place where a town code gets its name.

The names come from the reference seed seeds/reference/ref_towns.csv (reference.ref_towns in the
warehouse), read through issuing.seed_rows: the database's copy when it has one (what the run used),
else the CSV (an older warehouse, or no database: the worklists). No feed carries town names.

A code without a name is shown as the code, and the page or document says once where names come
from (NAMES_SOURCE), so a missing name is never a blank or a crash. The names shipped for the
built-in samples are synthetic (source column), like the sample's company names.
"""
from __future__ import annotations

from orchestration import issuing

SEED = "ref_towns"
NAMES_SOURCE = "镇街名称取自 seeds/reference/ref_towns.csv (reference.ref_towns)，未收录的镇街只显示代码"


def names(con=None) -> dict[str, str]:
    """town_code -> town_name of every town in ref_towns (an empty dict if the seed has none)."""
    try:
        rows = issuing.seed_rows(con, SEED)
    except LookupError:        # the seed file was removed from this checkout: codes only
        return {}
    return {str(r["town_code"]): r["town_name"] for r in rows if r.get("town_code") and r.get("town_name")}


def label(code, known: dict[str, str]) -> str:
    """城厢街道 for a named town, the code itself for one without a name ('—' without a code)."""
    if code is None or code == "":
        return "—"
    return known.get(str(code)) or str(code)


def labelled(code, known: dict[str, str]) -> str:
    """城厢街道 (330109001) for a named town, 330109001 for one without a name."""
    name = known.get(str(code)) if code else None
    return f"{name} ({code})" if name else label(code, known)


def missing_note(codes, known: dict[str, str]) -> str | None:
    """The one sentence saying where names come from, when some of `codes` have none (else None)."""
    missing = sorted({str(c) for c in codes if c} - set(known))
    if not missing:
        return None
    return f"{len(missing)} 个镇街代码无名称 ({NAMES_SOURCE})"
