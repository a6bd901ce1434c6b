"""Re-create orchestration/audit/vendor/ (the Data Docs' offline assets) from the npm registry.

Run it only to change a version (edit CDN_ASSETS in orchestration/audit/data_docs.py first):
    python scripts/vendor_data_docs_assets.py
It needs `npm` (for `npm pack`). For each package of CDN_ASSETS it keeps only the files the pages
load, plus the package's LICENSE, and makes two documented trims (vendor/README.md):
source-map comments are removed (the .map files are not shipped), and Font Awesome's CSS keeps
only its woff2 fonts (every browser that runs bootstrap 4 reads woff2; the .ttf files are 660 KB).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.audit.data_docs import CDN_ASSETS, VENDOR_DIR  # noqa: E402

SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=[^\n]*?(?:\*/)?(?=\n|$)")
FA_TTF = re.compile(r',url\(\.\./webfonts/[a-z0-9-]+\.ttf\) format\("truetype"\)')

# vega's npm tarball has no LICENSE file; its package.json says BSD-3-Clause.
VEGA_LICENSE = """Vega is distributed under the BSD-3-Clause license (package.json "license" of
vega 5.33.1; the npm tarball ships no LICENSE file). Copyright (c) the Vega authors,
University of Washington Interactive Data Lab. Full terms: https://github.com/vega/vega/blob/main/LICENSE

Redistribution and use in source and binary forms, with or without modification, are permitted
provided that the following conditions are met:
1. Redistributions of source code must retain the above copyright notice, this list of conditions
   and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice, this list of
   conditions and the following disclaimer in the documentation and/or other materials provided
   with the distribution.
3. Neither the name of the copyright holder nor the names of its contributors may be used to
   endorse or promote products derived from this software without specific prior written
   permission.
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR
IMPLIED WARRANTIES ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DAMAGES ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE.
"""
# popper.js 1.12.9 ships no LICENSE file either; its header and package.json say MIT.
POPPER_LICENSE = """Popper.js 1.12.9, Copyright (C) Federico Zivolo 2017, distributed under the MIT License
(header of dist/umd/popper.min.js and package.json "license"; the npm tarball ships no LICENSE file).

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
"""
WRITTEN_LICENSES = {"vega": VEGA_LICENSE, "popper.js": POPPER_LICENSE}


def _trim(rel: str, data: bytes) -> bytes:
    if not rel.endswith((".js", ".css")):
        return data
    text = SOURCE_MAP.sub("", data.decode("utf-8"))
    if "fontawesome" in rel and rel.endswith(".css"):
        text = FA_TTF.sub("", text)
    return text.encode("utf-8")


def main() -> int:
    if shutil.which("npm") is None:
        print("error: npm not found; install Node.js/npm to re-vendor the Data Docs assets", file=sys.stderr)
        return 1
    groups: dict[tuple[str, str], set[str]] = {}
    for a in CDN_ASSETS:
        groups.setdefault((a.package, a.version), set()).update((a.file, *a.extras))
    for old in VENDOR_DIR.glob("*/"):        # the package folders; README.md stays
        shutil.rmtree(old)
    with tempfile.TemporaryDirectory() as tmp:
        for (package, version), files in sorted(groups.items()):
            out = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp,
                                 check=True, capture_output=True, text=True).stdout.split()[-1]
            folder = next(a.folder for a in CDN_ASSETS if (a.package, a.version) == (package, version))
            dest = VENDOR_DIR / folder
            with tarfile.open(Path(tmp) / out) as tar:
                names = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
                licenses = [n for n in names if "/" not in n and n.upper().startswith("LICENSE")]
                for rel in sorted(files) + licenses:
                    data = tar.extractfile(names[rel]).read()
                    target = dest / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(_trim(f"{folder}/{rel}", data))
            if not licenses:
                (dest / "LICENSE").write_text(WRITTEN_LICENSES[package], encoding="utf-8")
            print(f"{package}@{version}: {len(files)} file(s) -> {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
