"""The rows of a policy seed that apply to one year, for the Python readers.

Every policy seed row carries valid_from_year / valid_to_year (inclusive, empty = open-ended), as the
dbt side reads them (macros/evaluation/policy_years.sql). A reader that evaluates, audits or publishes
year Y uses only the rows valid in Y, so adding next year's rows never changes an earlier year. A year
that holds two rows of one key (overlapping ranges), or no row of a key the reader needs, is refused
naming the seed, the key and the year: guessing one of them would publish a number nobody set.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


class PolicyYearError(ValueError):
    """A policy seed has no row, or two rows, of a key for a year."""


def _year(value) -> int | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return int(float(value))


def applies(row: Mapping, year: int) -> bool:
    """Whether `row` (a dict with valid_from_year / valid_to_year; absent = open-ended) applies in `year`."""
    lo, hi = _year(row.get("valid_from_year")), _year(row.get("valid_to_year"))
    return (lo is None or lo <= int(year)) and (hi is None or hi >= int(year))


def _where(seed: str) -> str:
    return f"policy seed {seed} (seeds/policy/{seed}.csv)"


def rows_for_year(rows: Iterable[Mapping], year: int, seed: str, key: Sequence[str]) -> list[dict]:
    """The rows valid in `year`, in the seed's order; two rows of one `key` value in one year are refused."""
    valid = [dict(r) for r in rows if applies(r, year)]
    seen: dict[tuple, int] = {}
    for r in valid:
        k = tuple(str(r.get(c)) for c in key)
        seen[k] = seen.get(k, 0) + 1
        if seen[k] > 1:
            raise PolicyYearError(
                f"{_where(seed)} has 2 rows for {'/'.join(key)} '{'/'.join(k)}' valid in year {int(year)}: "
                "their valid_from_year/valid_to_year ranges overlap; close the older row (valid_to_year) "
                "before the new one starts")
    return valid


def require(rows: Iterable[Mapping], year: int, seed: str, column: str, required: Iterable[str]) -> None:
    """Refuse a year in which some `required` value of `column` has no row (rows = the year's rows)."""
    present = {str(r.get(column)) for r in rows}
    for name in required:
        if str(name) not in present:
            raise PolicyYearError(
                f"{_where(seed)} has no row for {column} '{name}' valid in year {int(year)}: add a row whose "
                f"valid_from_year/valid_to_year cover {int(year)}, or leave both empty for every year")


def row_for_year(rows: Iterable[Mapping], year: int, seed: str, column: str, value: str) -> dict:
    """The one row of `column` = `value` valid in `year`."""
    valid = rows_for_year(rows, year, seed, (column,))
    require(valid, year, seed, column, (value,))
    return next(r for r in valid if str(r.get(column)) == str(value))


def params_for_year(rows: Iterable[Mapping], year: int, seed: str, required: Iterable[str] = (),
                    key: str = "parameter", value: str = "value") -> dict[str, float]:
    """A (parameter, value) seed as {parameter: float} for `year`; every `required` parameter must apply."""
    valid = rows_for_year(rows, year, seed, (key,))
    require(valid, year, seed, key, required)
    return {str(r[key]): float(r[value]) for r in valid}


def one_value_over_years(by_year: Mapping[int, Mapping[str, float]], names: Iterable[str], seed: str,
                         why: str) -> dict[str, float]:
    """{name: value} of parameters that must be one number over all the years of one run (`why` says
    which step cannot take a value per year); years that need different values are refused."""
    out: dict[str, float] = {}
    for name in names:
        values = {y: p[name] for y, p in sorted(by_year.items())}
        distinct = sorted(set(values.values()))
        if len(distinct) > 1:
            shown = ", ".join(f"{y}: {v:g}" for y, v in values.items())
            raise PolicyYearError(
                f"{_where(seed)}: parameter '{name}' differs between the years of this run ({shown}), but "
                f"{why} takes one value per run: run those years separately, or give them one value")
        if distinct:
            out[name] = distinct[0]
    return out
