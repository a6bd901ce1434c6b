"""Altair charts of the year report and the profile page (Vega-Lite specs, data inline).

Each builder takes the rows of data.py (or profile.py) as they are, so what a chart draws is what
the tables and the tests read. Colours of the grades are fixed, A green to D red, so the same grade
has the same colour on every chart and page.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
GRADE_COLOURS = alt.Scale(domain=["A", "B", "C", "D"], range=["#1a9850", "#91cf60", "#fdae61", "#d73027"])
GRADE_CHART_HEIGHT = 1200           # px the per-county grade bars aim at (a province: 90 counties × 2)
GRADE_BAR_MIN, GRADE_BAR_MAX = 6, 16


def _configure(chart):
    return chart.configure(font=FONT).configure_view(stroke=None)


def grade_shares(rows: list[dict], *, height: int = GRADE_CHART_HEIGHT):
    """Stacked bars: the grade shares of each county (or city: county_label) in one column per
    category, the bar before the overrides (pale) above the bar after them. Rows keep the order
    of `rows` (county code, so a city's counties stay together); the bars get thinner with more
    counties so that a province's 90 stay within about `height` pixels."""
    df = pd.DataFrame(rows)
    places = list(dict.fromkeys(df["county_label"]))
    stages = list(dict.fromkeys(df["stage_name"]))
    step = max(GRADE_BAR_MIN, min(GRADE_BAR_MAX, height // max(1, len(places) * len(stages))))
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", stack="zero", title="占比 share of graded subjects", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("county_label:N", sort=places, title=None, axis=alt.Axis(labelFontSize=10 if step < 8 else 11)),
        yOffset=alt.YOffset("stage_name:N", sort=stages),
        color=alt.Color("grade:N", scale=GRADE_COLOURS, title="等级 grade"),
        opacity=alt.Opacity("stage_name:N", sort=stages, scale=alt.Scale(domain=stages, range=[0.5, 1.0]),
                            title="上 调整前 / 下 调整后"),
        order=alt.Order("grade:O"),
        tooltip=["county_label:N", "category_name:N", "stage_name:N", "grade:N", "subjects:Q",
                 alt.Tooltip("share:Q", format=".1%")],
    ).properties(width=230, height=alt.Step(step))
    categories = list(dict.fromkeys(df["category_name"]))
    return _configure(bars.facet(column=alt.Column("category_name:N", sort=categories, title=None)))


def tax_distribution(bins: list[dict], floors: dict[str, float]):
    """Histogram of tax_per_mu per category with the D and A/B floors (policy seed) marked. The open
    bin (≥ the axis end) stays in the data and is named in the panel title, not drawn: its tall bar
    would flatten the region around the floors."""
    df = pd.DataFrame(bins)
    marks = pd.DataFrame([
        {"value": floors["tax_per_mu_floor_d"], "y": 10,
         "label": f"D类标准 {floors['tax_per_mu_floor_d']:g} 万元/亩 (R-GRADE-2)"},
        {"value": floors["tax_per_mu_floor_ab"], "y": 24,
         "label": f"A、B类标准 {floors['tax_per_mu_floor_ab']:g} 万元/亩 (R-GRADE-4)"},
    ])
    panels = []
    for category in dict.fromkeys(df["category_name"]):
        part = df[df["category_name"] == category]
        tail = part[part["open_ended"]]
        title = category
        if not tail.empty:
            title += f" — ≥ {tail['bin_start'].iloc[0]:g} 万元/亩: {int(tail['subjects'].sum())} 家 (未画出 not drawn)"
        bars = alt.Chart(part).transform_filter("!datum.open_ended").mark_bar(color="#4c78a8").encode(
            x=alt.X("bin_start:Q", title="亩均税收 tax per mu (万元/亩)"),
            x2="bin_end:Q",
            y=alt.Y("subjects:Q", title="评价主体数 subjects"),
            y2=alt.datum(0),
            tooltip=["bin_start:Q", "bin_end:Q", "subjects:Q"],
        )
        rules = alt.Chart(marks).mark_rule(color="#d73027", strokeDash=[5, 3], size=2).encode(x="value:Q")
        labels = alt.Chart(marks).mark_text(align="left", dx=4, color="#b42318").encode(
            x="value:Q", y=alt.Y("y:Q", scale=None), text="label:N")
        panels.append(alt.layer(bars, rules, labels).properties(width=620, height=170, title=title))
    return _configure(alt.vconcat(*panels))


def county_changes(rows: list[dict]):
    """Per county, the change of each main indicator against Y-1 (a bar per county and indicator)."""
    df = pd.DataFrame([r for r in rows if r["change"] is not None])
    if df.empty:
        df = pd.DataFrame(columns=["county", "indicator_name", "change", "value", "value_prev", "unit"])
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("change:Q", title="较上年变化 change vs. Y-1", axis=alt.Axis(format="%")),
        y=alt.Y("county:N", title=None),
        color=alt.condition("datum.change >= 0", alt.value("#1a9850"), alt.value("#d73027")),
        tooltip=["county:N", "indicator_name:N", alt.Tooltip("value_prev:Q", format=",.3f"),
                 alt.Tooltip("value:Q", format=",.3f"), "unit:N", alt.Tooltip("change:Q", format="+.1%")],
    ).properties(width=260)
    return _configure(chart.facet(facet=alt.Facet("indicator_name:N", title=None), columns=3))


def leader_fill(lists: list[dict]):
    """Per list: seats filled and seats left empty (the shortfall)."""
    data = []
    for lst in lists:
        data.append({"list": lst["name_zh"], "part": "已入选 listed", "seats": lst["listed"]})
        if lst["shortfall"]:
            data.append({"list": lst["name_zh"], "part": "空缺 shortfall", "seats": lst["shortfall"]})
    df = pd.DataFrame(data)
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("seats:Q", stack="zero", title="名额 seats"),
        y=alt.Y("list:N", title=None, sort=[lst["name_zh"] for lst in lists]),
        color=alt.Color("part:N", scale=alt.Scale(domain=["已入选 listed", "空缺 shortfall"],
                                                  range=["#4c78a8", "#e45756"]), title=None),
        tooltip=["list:N", "part:N", "seats:Q"],
    ).properties(width=520)
    return _configure(chart)


def town_quality(rows: list[dict]):
    df = pd.DataFrame(rows)
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("quality_score:Q", title="数据质量得分 quality score", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("town:N", sort="x", title="镇街 town"),
        color=alt.Color("quality_score:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]), legend=None),
        tooltip=["town:N", "checked_values:Q", "failed_values:Q", alt.Tooltip("quality_score:Q", format=".3f")],
    ).properties(width=520)
    return _configure(chart)


def indicator_history(rows: list[dict]):
    """Profile page: each indicator over the years, the subject's value and its benchmark."""
    df = pd.DataFrame(rows)
    base = alt.Chart(df).encode(
        x=alt.X("year:O", title="年度 year"),
        y=alt.Y("amount:Q", title=None),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=["本企业 subject", "基准值 benchmark"], range=["#1f4e79", "#e45756"])),
        tooltip=["indicator_name:N", "year:O", "series:N", alt.Tooltip("amount:Q", format=",.4f")],
    )
    chart = alt.layer(base.mark_line(point=True)).properties(width=220, height=140)
    return _configure(chart.facet(facet=alt.Facet("indicator_name:N", title=None), columns=4)
                      .resolve_scale(y="independent"))
