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
with graded as (
    select year, subject_id, subject_key, town_code
    from marts.subject_evaluation
    where excluded_reason is null
),
sizes as (
    select year, town_code, count(*) as graded_subjects,
           cast(greatest($min_per_town, ceil($share * count(*))) as integer) as sample_size
    from graded
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


def draw_sample(con, seed: int, params: dict[str, float], drawn_at: dt.datetime | None = None) -> pd.DataFrame:
    """audit.sample rows: year, subject_id (masked as in marts), subject_key, town_code, seed, drawn_at (+ sizes)."""
    df = con.execute(
        SAMPLE_SQL,
        {"seed": int(seed), "share": float(params["sample_share"]),
         "min_per_town": int(params["sample_min_per_town"])},
    ).df()
    df["seed"] = int(seed)
    df["drawn_at"] = pd.Timestamp(drawn_at or dt.datetime.now()).floor("s")
    cols = ["year", "subject_id", "subject_key", "town_code", "seed", "drawn_at", "graded_subjects", "sample_size", "draw_order"]
    return df[cols]
