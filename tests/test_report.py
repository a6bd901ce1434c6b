"""The yearly HTML report and the subject profile (issue #11 parts 2–4), on one real county run.

The report and a profile page are written from the published copy of the session's `mujun run`,
then checked three ways: the files load nothing from the network; the numbers every chart embeds
equal independent SQL over the marts (and the policy floors equal the seed CSV); and headless
Chromium, with the network cut off, renders every chart as SVG with no script error and the
Chinese title in the DOM. Also: the run prints the report's path, lookups by id / name / part of
a name, clear errors, and dbt docs with an overview, exposures and no references outside the repo.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import altair as alt
import duckdb
import pytest

from orchestration.cli import main
from orchestration.report import assets, profile, yearly

REPO = Path(__file__).resolve().parent.parent
YEAR = 2021
LOADS_EXTERNAL = re.compile(
    r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import\b""", re.IGNORECASE)
SPEC = re.compile(r'<script type="application/json" data-spec="([^"]+)">(.*?)</script>', re.DOTALL)


@pytest.fixture(autouse=True)
def _keep_environment():
    """main(["--data-dir", ...]) exports the paths to os.environ; later test files must not see them."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def built(county_run, tmp_path_factory):
    assert county_run["returncode"] == 0, county_run["stderr"][-3000:]
    out = tmp_path_factory.mktemp("report")
    published = county_run["published"]
    paths = yearly.write_reports(published, out, [2020, YEAR])
    con = duckdb.connect(str(published), read_only=True)
    leader = con.execute("select subject_id from marts.leaderboard_enterprises where year = ? and list = "
                         "'manufacturing' order by rank limit 1", [YEAR]).fetchone()[0]
    page = out / "profile.html"
    page.write_text(profile.html(profile.load(con, leader), str(published)), encoding="utf-8")
    yield {"con": con, "report": paths[-1], "paths": paths, "profile": page, "leader": leader,
           "published": published, "run": county_run}
    con.close()


def _specs(page: Path) -> dict[str, dict]:
    return {name: json.loads(body.replace("<\\/", "</")) for name, body in SPEC.findall(page.read_text("utf-8"))}


def _values(spec: dict) -> list[dict]:
    """Every row a chart embeds (Altair puts each data frame in the top-level datasets)."""
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def _sql(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


# --- the files ----------------------------------------------------------------------------------

def test_vendored_scripts_are_the_versions_altair_emits_for():
    by = {s.package: s for s in assets.SCRIPTS}
    assert by["vega-lite"].version == alt.VEGALITE_VERSION
    assert by["vega"].version.split(".")[0] == alt.VEGA_VERSION.lstrip("v").split(".")[0]
    assert by["vega-embed"].version.split(".")[0] == alt.VEGAEMBED_VERSION.lstrip("v").split(".")[0]
    for s in assets.SCRIPTS:
        assert s.path.stat().st_size > 50_000, s.path
        assert (s.path.parents[1] / "LICENSE").is_file()


def test_run_writes_the_report_and_prints_its_path(built):
    stdout = built["run"]["stdout"]
    expected = built["run"]["reports"] / "report" / f"report-{YEAR}.html"
    assert f"report (leading group): {expected}" in stdout
    assert expected.is_file() and "vegaEmbed(" in expected.read_text("utf-8")


def test_pages_are_self_contained(built):
    for page in (built["report"], built["profile"]):
        text = page.read_text("utf-8")
        assert LOADS_EXTERNAL.findall(text) == [], page
        assert "<link" not in text
        for s in assets.SCRIPTS:
            assert f"/* {s.package}@{s.version} (vendored" in text
        assert text.count("<script") == len(assets.SCRIPTS) + len(_specs(page)) + 1


# --- the numbers --------------------------------------------------------------------------------

def test_grade_shares_chart_equals_grade_summary(built):
    con = built["con"]
    rows = _values(_specs(built["report"])["grade_shares"])
    got = sorted((r["county_code"], r["category"], r["stage"], r["grade"], r["subjects"], round(r["share"], 12))
                 for r in rows)
    want = sorted((c, cat, st, g, n, round(float(sh), 12)) for c, cat, st, g, n, sh in _sql(con, """
        select county_code, category, stage, grade, subjects, share from marts.grade_summary where year = ?""",
        [YEAR]))
    assert got == want and len(got) >= 24
    # both stages are there and differ: the chart shows what the overrides moved
    initial = {(r[1], r[3]): r[4] for r in got if r[2] == "initial"}
    final = {(r[1], r[3]): r[4] for r in got if r[2] == "final"}
    assert initial.keys() == final.keys() and initial != final
    # counted from the subjects themselves, not only restated from the summary mart
    direct = {(cat, g): n for cat, g, n in _sql(con, """
        select category, initial_grade, count(*) from marts.subject_evaluation
        where year = ? and excluded_reason is null group by all""", [YEAR])}
    assert {k: v for k, v in initial.items() if v} == direct


def test_tax_distribution_counts_every_graded_subject_and_marks_the_seed_floors(built):
    con = built["con"]
    spec = _specs(built["report"])["tax_distribution"]
    rows = _values(spec)
    bins = [r for r in rows if "bin_start" in r]
    per_cat = {}
    for r in bins:
        per_cat[r["category"]] = per_cat.get(r["category"], 0) + r["subjects"]
    want = dict(_sql(con, """select category, count(*) from marts.subject_evaluation
                              where year = ? and excluded_reason is null and tax_per_mu is not null
                              group by category""", [YEAR]))
    assert per_cat == want
    with (REPO / "seeds/policy/policy_grade_thresholds.csv").open(encoding="utf-8") as f:
        seed = {r["parameter"]: float(r["value"]) for r in csv.DictReader(f)}
    marked = sorted({r["value"] for r in rows if "label" in r})
    assert marked == sorted([seed["tax_per_mu_floor_d"], seed["tax_per_mu_floor_ab"]])
    # the bin [2, 3) of industrial_above holds exactly the subjects the SQL puts there
    n = _sql(con, """select count(*) from marts.subject_evaluation where year = ? and excluded_reason is null
                     and category = 'industrial_above' and tax_per_mu >= 2 and tax_per_mu < 3""", [YEAR])[0][0]
    assert sum(r["subjects"] for r in bins if r["category"] == "industrial_above" and r["bin_start"] == 2.0) == n


def test_county_changes_equal_the_aggregates_over_the_marts(built):
    con = built["con"]
    rows = {r["indicator"]: r for r in _values(_specs(built["report"])["county_changes"])}
    assert {"tax_per_mu", "value_added_per_mu"} <= rows.keys()
    for ind, num, den in (("tax_per_mu", "tax_wan", "area_mu"), ("value_added_per_mu", "value_added_wan", "area_mu")):
        by_year = dict(_sql(con, f"""select year, sum({num}) / sum({den}) from marts.subject_evaluation
                                     where excluded_reason is null and {ind} is not null and county_code = ?
                                     group by year""", [rows[ind]["county_code"]]))
        assert rows[ind]["value"] == pytest.approx(by_year[YEAR], rel=1e-12)
        assert rows[ind]["value_prev"] == pytest.approx(by_year[YEAR - 1], rel=1e-12)
        assert rows[ind]["change"] == pytest.approx(by_year[YEAR] / by_year[YEAR - 1] - 1, rel=1e-9)


def test_leader_lists_chart_has_the_seven_lists_with_their_shortfalls(built):
    con = built["con"]
    rows = _values(_specs(built["report"])["leader_lists"])
    names = dict(_sql(con, "select name_zh, list_code from reference.leader_lists"))
    assert len(names) == 7 and {r["list"] for r in rows} == set(names)
    listed = {names[r["list"]]: r["seats"] for r in rows if r["part"].startswith("已入选")}
    short = {names[r["list"]]: r["seats"] for r in rows if r["part"].startswith("空缺")}
    want_listed = dict(_sql(con, """
        select list, count(*) from marts.leaderboard_enterprises where year = ? group by list
        union all
        select l.list_code, count(*) from marts.leaderboard_parks p
        join reference.leader_lists l on l.park_type = p.park_type where p.year = ? group by l.list_code
        union all
        select 'county', count(*) from marts.leaderboard_counties where year = ?""", [YEAR, YEAR, YEAR]))
    assert {k: v for k, v in listed.items() if v} == {k: v for k, v in want_listed.items() if v}
    want_short = dict(_sql(con, """select list_code, shortfall from marts.leaderboard_shortfalls
                                   where year = ? and level = 'list'""", [YEAR]))
    assert short == want_short and short       # the county sample leaves park seats empty


def test_town_quality_and_gates(built):
    con = built["con"]
    rows = _values(_specs(built["report"])["town_quality"])
    want = _sql(con, """select town_code, quality_score from audit.town_quality where year = ?
                        order by quality_score, town_code limit ?""", [YEAR, yearly.TOWN_CHART_LIMIT])
    assert sorted((r["town_code"], r["quality_score"]) for r in rows) == sorted(want) and want
    text = built["report"].read_text("utf-8")
    gates = _sql(con, "select gate, status from audit.publication_gates where year = ?", [YEAR])
    assert gates
    for gate, status in gates:
        assert f"<td>{gate}</td>" in text and f"status-{status}" in text


def test_profile_indicators_equal_the_indicator_detail(built):
    con = built["con"]
    rows = _values(_specs(built["profile"])["indicators"])
    subject = [(r["year"], r["amount"]) for r in rows if r["series"] == "本企业 subject" and r["indicator_name"] == "亩均税收"]
    want = _sql(con, """select year, value from marts.subject_indicator_detail
                        where subject_id = ? and indicator = 'tax_per_mu' order by year""", [built["leader"]])
    assert sorted(subject) == [(y, pytest.approx(v)) for y, v in want] and len(want) == 2


# --- the browser --------------------------------------------------------------------------------

CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str:
    exe = next((shutil.which(n) for n in CHROMIUMS if shutil.which(n)), None)
    if exe is None:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail("CI is set but no Chromium is installed: run scripts/install_browser.sh")
        pytest.skip("Chromium is not installed (scripts/install_browser.sh installs it)")
    return exe


def browse(exe: str, page: Path, profile_dir: Path, *extra: str) -> tuple[str, list[str]]:
    """(DOM or stdout, console errors and warnings of the page) in headless Chromium, no network."""
    cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", f"--user-data-dir={profile_dir}",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
           "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0", *extra, page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def _charts_rendered(dom: str) -> dict[str, bool]:
    """chart name -> its container was marked rendered and holds the SVG marks vega-embed drew."""
    out = {}
    for m in re.finditer(r'<div\b([^>]*)\bid="chart-([^"]+)"([^>]*)>', dom):
        inside = dom[m.end():dom.find('<script type="application/json"', m.end())]
        opening = m.group(1) + m.group(3)
        out[m.group(2)] = 'data-rendered="true"' in opening and "<svg" in inside and 'class="marks"' in inside
    return out


def test_report_and_profile_render_in_a_browser_without_network(built, tmp_path):
    exe = _chromium()
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert fonts.strip(), "no Chinese font: install fonts-noto-cjk (scripts/install_browser.sh)"
    for page, title in ((built["report"], f"{YEAR} 年度亩均效益评价报告"), (built["profile"], "企业画像")):
        dom, console = browse(exe, page, tmp_path / page.stem, "--dump-dom")
        assert console == [], console
        assert f"<h1>{title}" in dom
        rendered = _charts_rendered(dom)
        assert rendered and set(rendered) == set(_specs(page)), rendered
        assert all(rendered.values()), rendered
    shot = tmp_path / "report.png"
    browse(exe, built["report"], tmp_path / "shot", "--window-size=1400,2600", f"--screenshot={shot}")
    assert shot.stat().st_size > 100_000


def test_a_page_without_the_vega_script_renders_no_chart(built, tmp_path):
    # The same check on a page whose vega build is missing: script errors and empty containers, so
    # the test above can fail.
    exe = _chromium()
    text = built["report"].read_text("utf-8")
    start = text.index("<script>/* vega@")
    broken = tmp_path / "broken.html"
    broken.write_text(text[:start] + text[text.index("</script>", start) + len("</script>"):], encoding="utf-8")
    dom, console = browse(exe, broken, tmp_path / "b", "--dump-dom")
    assert any("Uncaught" in line for line in console)
    assert not any(_charts_rendered(dom).values())


# --- the commands -------------------------------------------------------------------------------

def _cli(built, *argv) -> int:
    return main([*argv, "--data-dir", str(built["run"]["data_dir"])])


def test_profile_lookup_by_id_name_and_part_of_a_name(built, capsys):
    con = built["con"]
    name = _sql(con, "select subject_name from marts.subject_evaluation where subject_id = ? limit 1",
                [built["leader"]])[0][0]
    for query in (built["leader"], name):
        assert profile.resolve(con, query) == built["leader"]
    assert _cli(built, "profile", name) == 0
    out = capsys.readouterr().out
    assert built["leader"] in out and "等级历史 grade history" in out and "P" in out
    assert f"{YEAR} manufacturing: rank 1" in out


def test_profile_refuses_an_ambiguous_or_unknown_name(built, capsys):
    assert _cli(built, "profile", "有限公司") == 2
    err = capsys.readouterr().err
    assert "subjects whose name contains '有限公司'; give one of their ids" in err
    assert err.count("\n  91") == profile.MAX_CANDIDATES and "more" in err
    assert _cli(built, "profile", "没有这个企业") == 2
    assert "no subject '没有这个企业'" in capsys.readouterr().err


def test_report_command_names_the_years_it_has(built, capsys, tmp_path):
    assert _cli(built, "report", "--year", "2019", "--out", str(tmp_path)) == 2
    assert "no evaluation for 2019 in the warehouse; years available: 2020, 2021" in capsys.readouterr().err
    assert _cli(built, "report", "--year", str(YEAR), "--out", str(tmp_path)) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / f"report-{YEAR}.html")


# --- dbt docs -----------------------------------------------------------------------------------

OUTSIDE_REPO = re.compile(r"\b(?:rules|feeds|marts)\.md\b|\.\./shared|\bspec/|/work/")


def test_dbt_docs_have_an_overview_exposures_and_no_paths_outside_the_repo(dbt_manifest):
    manifest = json.loads(Path(dbt_manifest).read_text("utf-8"))
    overview = manifest["docs"]["doc.mujun.__overview__"]["block_contents"]
    assert "Where the rules live" in overview and "seeds/policy" in overview
    exposures = manifest["exposures"]
    assert {"exposure.mujun.yearly_report", "exposure.mujun.leader_list_export"} <= exposures.keys()
    assert "model.mujun.grade_summary" in exposures["exposure.mujun.yearly_report"]["depends_on"]["nodes"]
    texts = []
    for node in [*manifest["nodes"].values(), *manifest["sources"].values(), *exposures.values()]:
        texts.append((node["unique_id"], node.get("description") or ""))
        texts += [(f"{node['unique_id']}.{c}", col.get("description") or "")
                  for c, col in node.get("columns", {}).items()]
    found = [(uid, m.group(0)) for uid, text in texts for m in [OUTSIDE_REPO.search(text)] if m]
    assert found == []
    yml = [p for p in (REPO / "dbt_project").rglob("*") if p.suffix in (".yml", ".md")]
    yml += list((REPO / "seeds").rglob("*.yml"))
    assert [str(p) for p in yml if OUTSIDE_REPO.search(p.read_text("utf-8"))] == []


@pytest.mark.parametrize("command", ["report", "profile"])
def test_commands_have_help_and_the_common_path_options(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: mujun {command}" in out
    for option in ("--data-dir", "--warehouse", "--published", "--db"):
        assert option in out


def test_report_without_a_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="no warehouse at .*; run `mujun run` first or pass --db"):
        main(["report", "--year", "2021", "--data-dir", str(tmp_path)])
