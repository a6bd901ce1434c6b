"""A hostile copy of the generated county sample: dirty person ids and formula-like names.

Dirt put into the feeds of 2021 (each kind where the adversarial tester found a leak):

* person-id columns with ids that are not exactly 18 characters (quarantined): a prefix
  (``身份证…``), a 19-digit run, spaces, hyphens, full-width digits, lower-case ``x``;
* free text: ``approval_ref`` of legal and of rejected grade adjustments, a malformed (unframeable)
  line, company and park names carrying an id (``…（联系人 331126 19860930311X）``);
* formula injection: company and park names starting with ``=``, ``+``, ``-``, ``@``, tab or CR.

`PERSON_IDS` lists every injected id (valid GB 11643 ids, so that a leak is a real leak).
"""
from __future__ import annotations

import csv
from pathlib import Path

from orchestration.feeds.idchecks import person_check_char


def _pid(body17: str) -> str:
    return body17 + person_check_char(body17)


# valid ids (region, birth date, sequence) — the check character is computed, one ends in X
PERSON_IDS = [_pid(b) for b in (
    "33090319680413343", "33020519810121398", "33112619860930311", "33010219750505123",
    "33038119920228456", "33100219880808765", "33072719700101234", "33052219991231009",
    "33108219650616222", "33060219830303030",
)]
_X = next(p for p in (_pid(f"33010619850607{seq:03d}") for seq in range(1000)) if p.endswith("X"))
PERSON_IDS.append(_X)


def spaced(pid: str) -> str:
    return f"{pid[:6]} {pid[6:14]} {pid[14:]}"


def hyphened(pid: str) -> str:
    return f"{pid[:6]}-{pid[6:10]}-{pid[10:14]}-{pid[14:]}"


def fullwidth(pid: str) -> str:
    return pid.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "=1+1", "=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1)",
                 "\t=2+2", "\r=3+3"]


def _rewrite(path: Path, edit) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    body = edit(header, body)
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header] + body)


def make_hostile(feeds_root: Path, year: int = 2021) -> None:
    d = Path(feeds_root) / str(year)
    ids = PERSON_IDS

    def talents(header, body):
        p = header.index("person_id")
        dirty = ["身份证" + ids[0], "5" + ids[1], spaced(ids[2]), hyphened(ids[3]), fullwidth(ids[4]),
                 ids[10].lower(), f"ID:{ids[5]}."]
        for i, v in enumerate(dirty):
            body[i][p] = v
        return body

    def grades(header, body):
        a = header.index("approval_ref")
        g = header.index("grade")
        body[0][a] = body[0][a] + " 经办人" + ids[6]                   # legal row: published text
        bad = list(body[1])
        bad[g], bad[a] = "Z", "萧山亩均办〔2022〕9号 经办人 " + spaced(ids[7])   # rejected row
        return body + [bad]

    def registry(header, body):
        n = header.index("name")
        # a quoted CR makes DuckDB's CSV parser reject the row (malformed_row): only two such names,
        # so that the evaluation keeps its enterprises (the CR case of XLSX is test_spreadsheet's)
        plain = [f for f in FORMULA_NAMES if not f.startswith("\r")]
        for i, row in enumerate(body):
            k = i % 10
            if i in (5, 15):
                row[n] = "\r=3+3" + row[n]
            elif k < len(plain):
                row[n] = plain[k] + row[n]
            elif k == 8:
                row[n] = row[n] + "（联系人 " + spaced(ids[8]) + "）"
            else:
                row[n] = row[n] + "法人" + ids[9]
        return body

    def parks(header, body):
        n = header.index("name")
        for i, row in enumerate(body):
            row[n] = (FORMULA_NAMES[(i // 2) % 7] + row[n]) if i % 2 == 0 \
                else row[n] + "联系人" + hyphened(ids[8])
        return body

    def findings(header, body):
        s = header.index("subject_id")
        body[0][s] = "身份证" + ids[5]
        return body

    _rewrite(d / "talents.csv", talents)
    _rewrite(d / "grade_adjustments.csv", grades)
    _rewrite(d / "registry_enterprises.csv", registry)
    _rewrite(d / "parks.csv", parks)
    _rewrite(d / "audit_findings.csv", findings)
    # an unframeable line (too many fields) carrying an id with separators
    with open(d / "talents.csv", "a", encoding="utf-8", newline="") as f:
        f.write(f"{spaced(ids[9])},x,y,z,w,v\n")
