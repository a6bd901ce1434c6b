"""The HTML shell shared by the year report and the profile page: one self-contained file.

Everything a page needs is inside it: the CSS, the vendored chart scripts (assets.py) and every
chart's Vega-Lite spec with its data. Each chart sits in a <div class="chart" data-chart=NAME>
with its spec in the <script type="application/json" data-spec=NAME> beside it, so a test (or an
analyst) can read back exactly the numbers a chart draws.
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field

from orchestration.report.assets import inline_scripts

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif;margin:0;
     color:#1f2933;background:#f7f8fa}
header{background:#1f4e79;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;opacity:.85}
main{padding:8px 32px 32px;max-width:1400px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:12px 20px;margin:16px 0}
h2{font-size:18px;margin:6px 0 10px;color:#1f4e79} h3{font-size:15px;margin:12px 0 6px}
p.note{color:#52606d;font-size:13px;margin:4px 0 10px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #dde2e8;padding:3px 8px;text-align:left} th{background:#eef2f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.status-failed{color:#b42318;font-weight:bold} .status-accepted{color:#b54708} .status-passed{color:#027a48}
.chart{min-height:40px} .grid{display:flex;flex-wrap:wrap;gap:16px}
.empty{color:#7b8794;font-style:italic}
.scroll{max-height:460px;overflow-y:auto;display:inline-block;border-bottom:1px solid #dde2e8}
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def fmt(value, digits: int = 2) -> str:
    """Numbers as a reader wants them in a table: thousands separators, trailing zeros dropped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if digits < 4 and 0 < abs(value) < 1:
            digits = 4         # ratios such as R&D intensity would all read 0.02
        text = f"{value:,.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def table(columns: list[tuple[str, str]], rows: list[dict], *, empty: str = "无 none",
          css_class: dict[str, str] | None = None) -> str:
    """columns: (key, header). Numbers are right-aligned; css_class maps a key to a class prefix
    whose value is appended (status → status-failed)."""
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for _, h in columns)
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            v = r.get(key)
            cls = []
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cls.append("num")
            if css_class and key in css_class and v is not None:
                cls.append(f"{css_class[key]}-{v}")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            shown = v if key.endswith("year") else fmt(v)     # 2021, not 2,021
            cells.append(f"<td{attr}>{esc(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _json_for_script(obj) -> str:
    # Inside <script> a "</" could end the element early; JSON allows "<\/".
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, default=str).replace("</", "<\\/")


@dataclass
class Page:
    title: str
    subtitle: str = ""
    sections: list[str] = field(default_factory=list)
    specs: dict[str, dict] = field(default_factory=dict)

    def chart(self, name: str, chart) -> str:
        """A container for an Altair chart (or a Vega-Lite dict); returns its HTML."""
        if name in self.specs:
            raise ValueError(f"two charts named {name!r} on one page")
        spec = chart if isinstance(chart, dict) else chart.to_dict()
        self.specs[name] = spec
        return (f'<div class="chart" id="chart-{esc(name)}" data-chart="{esc(name)}"></div>\n'
                f'<script type="application/json" data-spec="{esc(name)}">{_json_for_script(spec)}</script>')

    def add(self, heading: str, *parts: str, anchor: str | None = None) -> None:
        ident = f' id="{esc(anchor)}"' if anchor else ""
        self.sections.append(f"<section{ident}><h2>{esc(heading)}</h2>\n" + "\n".join(parts) + "\n</section>")

    def render(self) -> str:
        # vegaEmbed returns a promise; a failed chart writes its error into the container and the
        # console (where the browser test looks), instead of leaving a silent blank.
        embed = """
<script>
document.querySelectorAll('script[data-spec]').forEach(function (el) {
  var name = el.getAttribute('data-spec');
  var target = document.getElementById('chart-' + name);
  vegaEmbed(target, JSON.parse(el.textContent), {renderer: 'svg', actions: false})
    .then(function () { target.setAttribute('data-rendered', 'true'); })
    .catch(function (err) { target.textContent = 'chart failed: ' + err; console.error('chart ' + name + ': ' + err); });
});
</script>"""
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(self.title)}</title>
<style>{CSS}</style>
{inline_scripts()}
</head>
<body>
<header><h1>{esc(self.title)}</h1><p>{esc(self.subtitle)}</p></header>
<main>
{chr(10).join(self.sections)}
</main>
{embed}
</body>
</html>
"""
