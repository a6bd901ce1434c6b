"""Make a built GX Data Docs site stand alone (no network) and publish it as data_docs/latest/.

GX 1.24.1's page templates load Bootstrap, bootstrap-table, jQuery, Popper, Font Awesome, Vega and
its logo from CDNs. Auditors open the reports on machines without internet, where those pages
render as unstyled text with dead tables. `make_offline` rewrites every page (and CSS file) of a
built site to load copies vendored in this package (vendor/, see vendor/README.md), copied into
<site>/static/vendor/ with paths relative to each page, whatever folder depth it lives at.

`publish_latest` copies one run's site to <docs_root>/latest/, so the newest report is always at
the same address and stays whole when the folder is zipped or copied to a share.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "vendor"
SITE_VENDOR = "static/vendor"        # where the copies go inside a site
GX_IMAGES = "static/images"          # GX copies its own images here when it builds a site
LATEST = "latest"


@dataclass(frozen=True)
class CdnAsset:
    """One CDN file GX's templates load, and the npm file we serve instead."""

    url: str                 # exactly as the templates emit it
    package: str             # npm package
    version: str             # the version the url pins (vega's urls pin a major: see vendor/README.md)
    file: str                # path inside the npm package
    extras: tuple[str, ...] = ()       # files the asset itself loads (Font Awesome's webfonts)
    only_if: str | None = None         # keep the tag only on pages containing this text

    @property
    def folder(self) -> str:
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}"

    @property
    def vendored(self) -> str:
        return f"{self.folder}/{self.file}"


_VEGA = "vegaEmbed("   # only graph blocks call it; other pages need none of vega's 830 KB
_FA = ("webfonts/fa-solid-900.woff2", "webfonts/fa-regular-400.woff2",
       "webfonts/fa-brands-400.woff2", "webfonts/fa-v4compatibility.woff2")

CDN_ASSETS: tuple[CdnAsset, ...] = (
    CdnAsset("https://cdn.jsdelivr.net/npm/vega@5", "vega", "5.33.1", "build/vega.min.js", only_if=_VEGA),
    CdnAsset("https://cdn.jsdelivr.net/npm/vega-lite@5", "vega-lite", "5.23.0", "build/vega-lite.min.js",
             only_if=_VEGA),
    CdnAsset("https://cdn.jsdelivr.net/npm/vega-embed@6", "vega-embed", "6.29.0", "build/vega-embed.min.js",
             only_if=_VEGA),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
             "@fortawesome/fontawesome-free", "6.6.0", "css/all.min.css", extras=_FA),
    CdnAsset("https://code.jquery.com/jquery-3.7.1.min.js", "jquery", "3.7.1", "dist/jquery.min.js"),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
             "popper.js", "1.12.9", "dist/umd/popper.min.js"),
    CdnAsset("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",
             "bootstrap", "4.3.1", "dist/js/bootstrap.min.js"),
    CdnAsset("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
             "bootstrap", "4.3.1", "dist/css/bootstrap.min.css"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
             "bootstrap-table", "1.19.1", "dist/bootstrap-table.min.js"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
             "bootstrap-table", "1.19.1", "dist/bootstrap-table.min.css"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
             "bootstrap-table-filter-control.min.js",
             "bootstrap-table", "1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    # The templates take the filter-control CSS from 1.19.0 (pages: .css, index: .min.css).
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
             "bootstrap-table-filter-control.css",
             "bootstrap-table", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    CdnAsset("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
             "bootstrap-table-filter-control.min.css",
             "bootstrap-table", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
             "bootstrap-datepicker", "1.9.0", "dist/js/bootstrap-datepicker.min.js"),
    CdnAsset("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
             "bootstrap-datepicker", "1.9.0", "dist/css/bootstrap-datepicker.min.css"),
    # Same version, minified build of the file the template names (883 KB -> 153 KB).
    CdnAsset("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
             "@forevolve/bootstrap-dark", "1.1.0", "dist/css/bootstrap-prefers-dark.min.css"),
)
_BY_URL = {a.url: a for a in CDN_ASSETS}

# GX's logo comes from its S3 bucket; the same image ships in the site's static/images/. The dark
# logo is not shipped, so dark mode shows the normal one.
GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
GX_IMAGE_SUBSTITUTES = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}

_EXT = r"https?://"
_SCRIPT_TAG = re.compile(r"<script\b[^>]*>\s*</script>", re.I)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = r"\b{name}\s*=\s*([\"'])(.*?)\1"
_SRC = re.compile(_ATTR.format(name="src"), re.I | re.S)
_HREF = re.compile(_ATTR.format(name="href"), re.I | re.S)
# SRI hashes and CORS mode are for the CDN copies; a file:// page cannot load a crossorigin script.
_SRI = re.compile(r"\s+(?:integrity|crossorigin)\s*=\s*([\"']).*?\1", re.I | re.S)
_CSS_URL = re.compile(r"url\(\s*([\"']?)(https?://[^\"')]*)\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']?https?://[^;]*;", re.I)
_EXT_ANCHOR = re.compile(r"<a\b[^>]*\bhref\s*=\s*([\"'])https?://.*?\1[^>]*>(.*?)</a>", re.I | re.S)
# cloud-footer.j2: a newsletter sign-up, nothing an auditor needs.
_NEWSLETTER = re.compile(r"<footer>\s*<p>\s*Stay current on everything GX.*?</footer>", re.I | re.S)
_LOCAL_REF = re.compile(r"\b(?:src|href)\s*=\s*([\"'])(?!#|[a-z][a-z0-9+.-]*:|/)([^\"']+)\1", re.I)
# What counts as loading something from the network, in HTML and CSS.
_LOADS_EXTERNAL = re.compile(
    r"\b(?:src|href)\s*=\s*[\"']?\s*https?://|url\(\s*[\"']?\s*https?://|@import\s+(?:url\()?\s*[\"']?\s*https?://",
    re.I)


def site_config(docs_dir: Path) -> dict:
    """GX config of the auditors' Data Docs site: static pages in docs_dir, no GX how-to buttons."""
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


class OfflineError(RuntimeError):
    """The site still loads something from the network, or a vendored file is missing."""


@dataclass
class OfflineReport:
    docs_dir: Path
    pages: int = 0                                   # HTML files rewritten
    stylesheets: int = 0                             # CSS files rewritten
    vendored: list[str] = field(default_factory=list)          # files copied to static/vendor/
    replaced: dict[str, int] = field(default_factory=dict)     # CDN url -> number of references
    dropped: list[tuple[str, str]] = field(default_factory=list)   # (page, url) removed, unknown CDN
    unlinked: int = 0                                # external <a> links turned into plain text
    repaired: list[tuple[str, str, str]] = field(default_factory=list)  # (page, broken, fixed)
    pruned: list[str] = field(default_factory=list)  # GX static files no page uses, removed


def _rel(target: str, page: Path, site: Path) -> str:
    """URL of site/<target> as seen from page (pages sit at several folder depths)."""
    return Path(os.path.relpath(site / target, page.parent)).as_posix()


def _rewrite_tag(tag: str, attr: re.Pattern, page: Path, site: Path, text: str,
                 report: OfflineReport, needed: set[CdnAsset]) -> str:
    m = attr.search(tag)
    if not m or not re.match(_EXT, m.group(2), re.I):
        return tag
    url = m.group(2)
    asset = _BY_URL.get(url)
    if asset is None:
        if url.startswith(GX_WEB_ASSETS):
            name = url[len(GX_WEB_ASSETS):].split("?")[0]
            local = GX_IMAGE_SUBSTITUTES.get(name)
            if local and (site / GX_IMAGES / local).is_file():
                report.replaced[url.split("?")[0]] = report.replaced.get(url.split("?")[0], 0) + 1
                new = _rel(f"{GX_IMAGES}/{local}", page, site)
                return tag[:m.start(2)] + new + tag[m.end(2):]
        report.dropped.append((page.relative_to(site).as_posix(), url))
        return ""
    if asset.only_if and asset.only_if not in text:
        return ""
    needed.add(asset)
    report.replaced[url] = report.replaced.get(url, 0) + 1
    new = _rel(f"{SITE_VENDOR}/{asset.vendored}", page, site)
    return _SRI.sub("", tag[:m.start(2)] + new + tag[m.end(2):])


def _rewrite_css(text: str, file: Path, site: Path, report: OfflineReport) -> str:
    def url(m: re.Match) -> str:
        ext = m.group(2)
        if ext.startswith(GX_WEB_ASSETS):
            local = GX_IMAGE_SUBSTITUTES.get(ext[len(GX_WEB_ASSETS):].split("?")[0])
            if local and (site / GX_IMAGES / local).is_file():
                report.replaced[ext] = report.replaced.get(ext, 0) + 1
                return f"url('{_rel(f'{GX_IMAGES}/{local}', file, site)}')"
        report.dropped.append((file.relative_to(site).as_posix(), ext))
        return "none"

    def imp(m: re.Match) -> str:
        report.dropped.append((file.relative_to(site).as_posix(), m.group(0)))
        return ""

    return _CSS_IMPORT.sub(imp, _CSS_URL.sub(url, text))


def _repair_static_refs(text: str, page: Path, site: Path, report: OfflineReport) -> str:
    """GX 1.24.1's favicon link on validation pages is one folder short; point static/ refs right."""
    def fix(m: re.Match) -> str:
        ref = m.group(2)
        path = ref.split("#")[0].split("?")[0]
        if (page.parent / path).exists() or "static/" not in path:
            return m.group(0)
        target = "static/" + path.split("static/", 1)[1]
        if not (site / target).exists():
            return m.group(0)
        new = _rel(target, page, site)
        report.repaired.append((page.relative_to(site).as_posix(), ref, new))
        return m.group(0).replace(ref, new)

    return _LOCAL_REF.sub(fix, text)


def _rewrite_page(text: str, page: Path, site: Path, report: OfflineReport, needed: set[CdnAsset]) -> str:
    original = text
    text = _SCRIPT_TAG.sub(lambda m: _rewrite_tag(m.group(0), _SRC, page, site, original, report, needed), text)
    text = _LINK_TAG.sub(lambda m: _rewrite_tag(m.group(0), _HREF, page, site, original, report, needed), text)
    text = _IMG_TAG.sub(lambda m: _rewrite_tag(m.group(0), _SRC, page, site, original, report, needed), text)
    text = _rewrite_css(text, page, site, report)        # the inline <style> blocks
    text = _NEWSLETTER.sub("", text)

    def unlink(m: re.Match) -> str:
        report.unlinked += 1
        return m.group(2)

    text = _EXT_ANCHOR.sub(unlink, text)
    return _repair_static_refs(text, page, site, report)


def _copy_vendored(needed: set[CdnAsset], site: Path, report: OfflineReport) -> None:
    files: set[tuple[str, Path]] = set()
    for a in needed:
        for rel in (a.file, *a.extras):
            files.add((f"{a.folder}/{rel}", VENDOR_DIR / a.folder / rel))
        lic = sorted((VENDOR_DIR / a.folder).glob("LICENSE*"))
        files.update((f"{a.folder}/{p.name}", p) for p in lic)
    for rel, src in sorted(files):
        if not src.is_file():
            raise OfflineError(f"vendored file missing: {src}; re-create it with "
                               "`python scripts/vendor_data_docs_assets.py`")
        dest = site / SITE_VENDOR / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        report.vendored.append(rel)


def _prune_unused_gx_static(site: Path, texts: list[str], report: OfflineReport) -> None:
    """Remove what GX copies but no page uses (its how-to GIFs and HK Grotesk fonts: ~4 MB a site).

    Every run keeps its site and latest/ is a copy, so the waste would add up. A file stays if its
    name occurs in any page or stylesheet.
    """
    used = "\n".join(texts)
    for folder in ("static/images", "static/fonts"):
        for f in sorted((site / folder).rglob("*")):
            if f.is_file() and f.name not in used:
                f.unlink()
                report.pruned.append(f.relative_to(site).as_posix())
        for d in sorted((site / folder).rglob("*"), reverse=True):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()


def external_references(text: str) -> list[str]:
    """The places in an HTML or CSS text that would load something from the network."""
    return [text[m.start():m.start() + 120] for m in _LOADS_EXTERNAL.finditer(text)]


def make_offline(docs_dir: Path) -> OfflineReport:
    """Rewrite a built Data Docs site in place so that no page loads anything from the network.

    Known CDN files are replaced by the vendored copies (copied to <docs_dir>/static/vendor/),
    GX's S3 logo by the copy GX already puts in static/images/, external <a> links become plain
    text, an unknown CDN reference is removed (listed in report.dropped), and the static files
    GX copies but no page uses are deleted (report.pruned). Running it twice is harmless. Raises OfflineError if anything external is left.
    """
    site = Path(docs_dir)
    if not (site / "index.html").is_file():
        raise OfflineError(f"{site}: no index.html; build the Data Docs before making them offline")
    report = OfflineReport(docs_dir=site)
    needed: set[CdnAsset] = set()
    pages = sorted(site.rglob("*.html"))
    styles = [p for p in sorted(site.rglob("*.css")) if SITE_VENDOR not in p.relative_to(site).as_posix()]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        new = _rewrite_page(text, page, site, report, needed)
        if new != text:
            page.write_text(new, encoding="utf-8")
        report.pages += 1
    for css in styles:
        text = css.read_text(encoding="utf-8")
        new = _rewrite_css(text, css, site, report)
        if new != text:
            css.write_text(new, encoding="utf-8")
        report.stylesheets += 1
    _copy_vendored(needed, site, report)
    texts = {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in (*pages, *styles)}
    _prune_unused_gx_static(site, list(texts.values()), report)
    left = {name: external_references(text) for name, text in texts.items()}
    left = {k: v for k, v in left.items() if v}
    if left:
        first = next(iter(left))
        raise OfflineError(f"{site}: {len(left)} file(s) still load from the network, e.g. {first}: "
                           f"{left[first][0]!r}")
    return report


def publish_latest(run_dir: Path, docs_root: Path) -> Path:
    """Copy run_dir (one run's offline site) to <docs_root>/latest/; return latest/index.html.

    A copy, not a symlink: a zip or a copy to a Windows share keeps a real folder, and every link
    in the site is relative, so the copy works as it is. The new copy is written beside the old
    one (latest.tmp-*) and swapped in by two renames, so a reader never sees a half-written folder.
    """
    run_dir, docs_root = Path(run_dir), Path(docs_root)
    if not (run_dir / "index.html").is_file():
        raise OfflineError(f"{run_dir}: no index.html; build the Data Docs of this run first")
    latest = docs_root / LATEST
    if run_dir.resolve() == latest.resolve():
        raise OfflineError(f"{run_dir} is already the latest folder; publish a run folder instead")
    tag = uuid.uuid4().hex[:8]
    tmp, old = docs_root / f"{LATEST}.tmp-{tag}", docs_root / f"{LATEST}.old-{tag}"
    docs_root.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(run_dir, tmp, symlinks=False)
        (tmp / "RUN.txt").write_text(f"{run_dir.name}\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.exists():
        latest.rename(old)
    try:
        tmp.rename(latest)
    except BaseException:
        if old.exists():
            old.rename(latest)       # keep the previous report rather than none
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return latest / "index.html"
