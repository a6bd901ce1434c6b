"""The chart JavaScript every report page carries inline, from copies vendored in vendor/.

The pages are opened on machines without internet, so nothing is loaded from a CDN: vega,
vega-lite and vega-embed are read from vendor/<package>-<version>/ (re-created from the npm
registry by `python scripts/vendor_report_assets.py`) and written into each page. The vega-lite
version is the one the installed Altair emits specs for (altair.VEGALITE_VERSION), so a spec never
meets a renderer of another major version.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "vendor"


@dataclass(frozen=True)
class VendoredScript:
    package: str
    version: str
    file: str          # path inside the npm package

    @property
    def folder(self) -> str:
        return f"{self.package}-{self.version}"

    @property
    def path(self) -> Path:
        return VENDOR_DIR / self.folder / self.file


# Load order matters: vega-embed's UMD build looks up the globals `vega` and `vegaLite`.
SCRIPTS: tuple[VendoredScript, ...] = (
    VendoredScript("vega", "6.4.0", "build/vega.min.js"),
    VendoredScript("vega-lite", "6.4.1", "build/vega-lite.min.js"),
    VendoredScript("vega-embed", "7.3.0", "build/vega-embed.min.js"),
)


class MissingAsset(RuntimeError):
    """A vendored script is not in the package (a broken checkout or install)."""


def inline_scripts() -> str:
    """The three <script> elements, contents inline."""
    out = []
    for s in SCRIPTS:
        if not s.path.is_file():
            raise MissingAsset(f"vendored chart script missing: {s.path}; re-create it with "
                               "`python scripts/vendor_report_assets.py`")
        text = s.path.read_text(encoding="utf-8")
        # An HTML parser ends a script at the first "</script"; the minified builds have none, but
        # escaping keeps that true whatever a future version contains.
        text = text.replace("</script", "<\\/script")
        out.append(f"<script>/* {s.package}@{s.version} (vendored, {s.file}) */\n{text}\n</script>")
    return "\n".join(out)
