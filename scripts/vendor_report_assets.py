"""Re-create orchestration/report/vendor/ (the report pages' chart scripts) from the npm registry.

Run it only to change a version (edit SCRIPTS in orchestration/report/assets.py first):
    python scripts/vendor_report_assets.py
It needs `npm` (for `npm pack`). For each package it keeps the one UMD build the pages inline, plus
the package's LICENSE; source-map comments are removed (the .map files are not shipped).
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

from orchestration.report.assets import SCRIPTS, VENDOR_DIR  # noqa: E402

SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=[^\n]*?(?:\*/)?(?=\n|$)")


def main() -> int:
    if shutil.which("npm") is None:
        print("error: npm not found; install Node.js/npm to re-vendor the report's chart scripts", file=sys.stderr)
        return 1
    for old in VENDOR_DIR.glob("*/"):        # the package folders; README.md stays
        shutil.rmtree(old)
    with tempfile.TemporaryDirectory() as tmp:
        for s in SCRIPTS:
            out = subprocess.run(["npm", "pack", f"{s.package}@{s.version}", "--silent"], cwd=tmp,
                                 check=True, capture_output=True, text=True).stdout.split()[-1]
            dest = VENDOR_DIR / s.folder
            with tarfile.open(Path(tmp) / out) as tar:
                names = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
                licenses = [n for n in names if "/" not in n and n.upper().startswith("LICENSE")]
                for rel in [s.file, *licenses]:
                    data = tar.extractfile(names[rel]).read()
                    if rel.endswith(".js"):
                        data = SOURCE_MAP.sub("", data.decode("utf-8")).encode("utf-8")
                    target = dest / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            print(f"{s.package}@{s.version}: {s.file} -> {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
