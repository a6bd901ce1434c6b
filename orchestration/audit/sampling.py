"""R-AUDIT-1: the reproducible stratified sample.

Per year and town: k = max(sample_min_per_town, ceil(sample_share x graded subjects of the town)),
the k subjects with the smallest md5(seed:year:subject_id) (then subject_id). md5 over the
published (masked) subject id is portable and stable: the same seed and the same marts give the
same sample in any DuckDB, and anybody holding the published file can redraw it.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

SAMPLE_SQL = """
with year_params as (
    {year_params}
),
graded as (
    select year, subject_id, subject_key, town_code
    from marts.subject_evaluation
    where excluded_reason is null
),
sizes as (
    select year, town_code, count(*) as graded_subjects,
           cast(greatest(coalesce(max(year_params.min_per_town), $min_per_town),
                         ceil(coalesce(max(year_params.share), $share) * count(*))) as integer) as sample_size
    from graded
    left join year_params using (year)
    group by year, town_code
),
ranked as (
    select graded.*,
           row_number() over (
               partition by graded.year, graded.town_code
               order by md5(cast($seed as varchar) || ':' || cast(graded.year as varchar) || ':' || graded.subject_id),
                        graded.subject_id
           ) as draw_order
    from graded
)
select ranked.year, ranked.subject_id, ranked.subject_key, ranked.town_code, sizes.graded_subjects, sizes.sample_size,
       ranked.draw_order
from ranked
join sizes using (year, town_code)
where ranked.draw_order <= sizes.sample_size
order by ranked.year, ranked.town_code, ranked.draw_order
"""


def _year_params_sql(by_year: dict[int, dict[str, float]] | None) -> str:
    """The per-year share and floor as a VALUES relation (numbers only: nothing to quote)."""
    rows = [f"({int(y)}, {float(p['sample_share'])!r}, {int(p['sample_min_per_town'])})"
            for y, p in sorted((by_year or {}).items())]
    if not rows:
        return "select cast(null as integer) as year, cast(null as double) as share, " \
               "cast(null as integer) as min_per_town where false"
    return f"select * from (values {', '.join(rows)}) as v(year, share, min_per_town)"


def draw_sample(con, seed: int, params: dict[str, float], drawn_at: dt.datetime | None = None,
                by_year: dict[int, dict[str, float]] | None = None) -> pd.DataFrame:
    """audit.sample rows: year, subject_id (masked as in marts), subject_key, town_code, seed, drawn_at (+ sizes).
    A year in `by_year` is drawn with its own sample_share / sample_min_per_town (the seed rows valid in
    it); other years with `params`."""
    df = con.execute(
        SAMPLE_SQL.replace("{year_params}", _year_params_sql(by_year)),
        {"seed": int(seed), "share": float(params["sample_share"]),
         "min_per_town": int(params["sample_min_per_town"])},
    ).df()
    df["seed"] = int(seed)
    df["drawn_at"] = pd.Timestamp(drawn_at or dt.datetime.now()).floor("s")
    cols = ["year", "subject_id", "subject_key", "town_code", "seed", "drawn_at", "graded_subjects", "sample_size", "draw_order"]
    return df[cols]
