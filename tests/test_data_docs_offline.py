"""The auditors' Data Docs open with no network, from data_docs/latest/index.html.

One real GX 1.x site is built per module (pandas frames, two suites, a passing and a failing
expectation, Chinese values, a dotted suite name so pages sit at several folder depths, and a KL
expectation whose page draws a Vega chart). The checks scan the files themselves and, when Chromium
is installed, open the pages in a headless browser with the network cut off.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from orchestration.audit.data_docs import OfflineError, make_offline, publish_latest, site_config

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

NESTED_SUITE = "审计.抽查"          # a dot nests GX's pages one folder deeper
FLAT_SUITE = "structural_probe"

# Anything that makes a page fetch from the network (scanned in HTML, CSS and JS alike).
LOADS_EXTERNAL = re.compile(
    r"""\b(?:src|href)\s*=\s*["']?\s*https?://|url\(\s*["']?\s*https?://|@import\s+(?:url\()?\s*["']?\s*https?://""",
    re.I)
LOCAL_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*(["'])(.*?)\1""", re.I | re.S)
CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)""", re.I)
NOT_A_FILE = re.compile(r"^(?:#|[a-z][a-z0-9+.-]*:|$)", re.I)   # anchors, data:, javascript:, ...


def _build_site(docs_dir: Path) -> None:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier

    ctx = gx.get_context(mode="ephemeral")
    ctx.add_data_docs_site(site_name="auditors", site_config=site_config(docs_dir))
    frame = pd.DataFrame({"row_id": [1, 2, 3], "size_zh": ["大户", "一般", "其他"], "amount": [1.0, 2.0, 3.0]})
    ds = ctx.data_sources.add_pandas("frames")
    run_id = RunIdentifier(run_name="run-1", run_time=dt.datetime.now(dt.timezone.utc))
    suites = {
        NESTED_SUITE: [
            gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=10),      # passes
            gxe.ExpectColumnValuesToMatchRegex(column="size_zh", regex=r"^(大户|一般)$"),        # fails
            gxe.ExpectColumnKLDivergenceToBeLessThan(                                          # a chart
                column="size_zh", threshold=0.6,
                partition_object={"values": ["大户", "一般", "其他"], "weights": [0.4, 0.4, 0.2]}),
        ],
        FLAT_SUITE: [gxe.ExpectColumnValuesToNotBeNull(column="row_id")],
    }
    for i, (name, expectations) in enumerate(suites.items()):
        suite = ctx.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        bd = ds.add_dataframe_asset(name=f"asset_{i}").add_batch_definition_whole_dataframe("whole")
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"vd_{i}", data=bd, suite=suite))
        vd.run(batch_parameters={"dataframe": frame}, run_id=run_id)
    ctx.build_data_docs(site_names=["auditors"])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    docs_root = base / "data_docs"
    run_dir = docs_root / "run-1"
    _build_site(run_dir)
    raw = base / "gx_as_built"                  # GX's own output, kept to compare against
    shutil.copytree(run_dir, raw)
    report = make_offline(run_dir)
    latest_index = publish_latest(run_dir, docs_root)
    return {"run": run_dir, "raw": raw, "root": docs_root, "report": report, "latest": latest_index}


def _files(root: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes)


def _external(root: Path) -> dict[str, list[str]]:
    found = {}
    for f in _files(root, ".html", ".css", ".js"):
        text = f.read_text(encoding="utf-8", errors="replace")
        hits = [text[m.start():m.start() + 100] for m in LOADS_EXTERNAL.finditer(text)]
        if hits:
            found[f.relative_to(root).as_posix()] = hits
    return found


def _dangling(root: Path) -> list[tuple[str, str]]:
    """(file, reference) for each relative src/href/url() that names no existing file."""
    out = []
    for f in _files(root, ".html", ".css"):
        text = f.read_text(encoding="utf-8")
        refs = [m.group(2) for m in CSS_URL.finditer(text)]
        if f.suffix == ".html":
            refs += [m.group(2) for m in LOCAL_ATTR.finditer(text)]
        for ref in refs:
            if NOT_A_FILE.match(ref.strip()):
                continue
            path = unquote(ref.split("#")[0].split("?")[0])
            if not (f.parent / path).is_file():
                out.append((f.relative_to(root).as_posix(), ref))
    return out


def _pages(root: Path) -> dict[str, Path]:
    validations = sorted((root / "validations").rglob("*.html"))
    return {"index": root / "index.html",
            "nested_validation": next(p for p in validations if "审计" in p.parts),
            "nested_suite": root / "expectations" / "审计" / "抽查.html"}


def test_gx_as_built_loads_from_cdns_and_has_a_broken_link(site):
    # What make_offline is for: without it the pages need the internet, and GX's favicon link on
    # validation pages points one folder too high.
    assert len(_external(site["raw"])) >= 4
    assert any("favicon.ico" in ref for _, ref in _dangling(site["raw"]))


def test_no_page_loads_anything_from_the_network(site):
    for root in (site["run"], site["latest"].parent):
        assert _external(root) == {}
        for page in _files(root, ".html"):
            text = page.read_text(encoding="utf-8")
            assert 'href="http' not in text, page
            # Firefox refuses crossorigin (SRI) loads of file:// URLs; the CDN tags carry both.
            assert "integrity=" not in text and "crossorigin" not in text, page
            assert "newsletter" not in text, page            # GX's sign-up footer is gone, not dead text


def test_every_local_reference_resolves_from_every_depth(site):
    pages = _pages(site["run"])
    assert pages["nested_validation"].relative_to(site["run"]).parts.__len__() >= 6
    for root in (site["run"], site["latest"].parent):
        assert _dangling(root) == []
    # The shared assets are really there (not just links that happen to resolve).
    vendor = site["run"] / "static" / "vendor"
    for name in ("bootstrap.min.css", "jquery.min.js", "bootstrap-table.min.js", "all.min.css",
                 "fa-solid-900.woff2", "vega.min.js", "vega-embed.min.js"):
        assert list(vendor.rglob(name)), name


def test_report_replaces_every_cdn_file_gx_used(site):
    loaded = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)="(https?://[^"?]+)|url\(['"]?(https?://[^'")?]+)""")
    raw_urls = set()
    for page in _files(site["raw"], ".html", ".css"):
        raw_urls |= {a or b for a, b in loaded.findall(page.read_text(encoding="utf-8"))}
    assert len(raw_urls) >= 15
    report = site["report"]
    assert report.dropped == []
    assert raw_urls == set(report.replaced)
    assert any(r[2] == "../../../../../static/images/favicon.ico" for r in report.repaired)
    assert "static/images/glossary_scroller.gif" in report.pruned     # 2.5 MB GIF of the how-to modal
    assert (site["run"] / "static/images/logo-long.png").is_file()


def test_make_offline_again_changes_nothing(site, tmp_path):
    copy = tmp_path / "again"
    shutil.copytree(site["run"], copy)
    before = {p: p.read_bytes() for p in _files(copy, ".html", ".css")}
    again = make_offline(copy)
    assert again.replaced == {} and again.dropped == [] and again.repaired == []
    assert {p: p.read_bytes() for p in _files(copy, ".html", ".css")} == before


def test_an_unknown_cdn_script_is_removed_and_reported(site, tmp_path):
    copy = tmp_path / "unknown"
    shutil.copytree(site["raw"], copy)
    index = copy / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "</head>", '<script src="https://cdn.example.invalid/tracker.js"></script></head>'), encoding="utf-8")
    report = make_offline(copy)
    assert report.dropped == [("index.html", "https://cdn.example.invalid/tracker.js")]
    assert "example.invalid" not in index.read_text(encoding="utf-8")


def test_make_offline_refuses_a_folder_without_a_site(tmp_path):
    with pytest.raises(OfflineError, match="no index.html"):
        make_offline(tmp_path)


def test_publish_latest_replaces_the_previous_report_whole(site, tmp_path):
    root = tmp_path / "data_docs"
    first, second = root / "20260101T000000Z", root / "20260102T000000Z"
    shutil.copytree(site["run"], first)
    shutil.copytree(site["run"], second)
    (first / "only_in_first.txt").write_text("old", encoding="utf-8")

    index = publish_latest(first, root)
    assert index == root / "latest" / "index.html" and (root / "latest" / "only_in_first.txt").exists()
    index = publish_latest(second, root)
    assert (root / "latest" / "RUN.txt").read_text(encoding="utf-8").strip() == second.name
    assert not (root / "latest" / "only_in_first.txt").exists()
    assert sorted(p.name for p in root.iterdir()) == sorted([first.name, second.name, "latest"])
    assert _dangling(root / "latest") == []

    with pytest.raises(OfflineError, match="no index.html"):
        publish_latest(tmp_path / "missing", root)
    assert (root / "latest" / "RUN.txt").read_text(encoding="utf-8").strip() == second.name


# --- a real browser, network off ----------------------------------------------------------------

CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _chromium() -> str:
    exe = next((shutil.which(n) for n in CHROMIUMS if shutil.which(n)), None)
    if exe is None:
        if _in_ci():
            pytest.fail("CI is set but no Chromium is installed: run scripts/install_browser.sh")
        pytest.skip("Chromium is not installed (scripts/install_browser.sh installs it)")
    return exe


def _browse(exe: str, page: Path, profile: Path, *extra: str) -> tuple[str, list[str]]:
    """(stdout, the page's uncaught JavaScript errors) of headless Chromium with no network."""
    cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", f"--user-data-dir={profile}",
           # No network: names never resolve, and anything addressed by IP goes to a dead proxy.
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
           "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0", *extra, page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if ":CONSOLE" in line and "Uncaught" in line]
    return done.stdout, errors


def test_pages_render_in_a_browser_without_network(site, tmp_path):
    exe = _chromium()
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Chinese font: install fonts-noto-cjk (scripts/install_browser.sh)"

    latest = site["latest"].parent
    index, errors = _browse(exe, site["latest"], tmp_path / "p1", "--dump-dom")
    assert errors == []
    assert "fixed-table-container" in index                 # bootstrap-table built the run list
    assert "bootstrap-table-filter-control-expectation_suite_name" in index   # and its filters
    assert NESTED_SUITE in index and FLAT_SUITE in index

    page = _pages(latest)["nested_validation"]
    dom, errors = _browse(exe, page, tmp_path / "p2", "--dump-dom")
    assert errors == []
    assert "fixed-table-container" in dom
    assert re.search(r'<canvas[^>]*class="marks"', dom), "vega-embed drew no chart"
    assert "其他" in dom                                     # the failing value, in Chinese

    # The same browser on GX's own pages: no tables, no chart, script errors. So the checks above
    # can fail, and the network is really off.
    raw_dom, raw_errors = _browse(exe, _pages(site["raw"])["nested_validation"], tmp_path / "p3", "--dump-dom")
    assert "fixed-table-container" not in raw_dom and 'class="marks"' not in raw_dom
    assert any("is not defined" in e for e in raw_errors)

    shot = tmp_path / "validation.png"
    _browse(exe, page, tmp_path / "p4", "--window-size=1400,1800", f"--screenshot={shot}")
    assert shot.stat().st_size > 20_000
