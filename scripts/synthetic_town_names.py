"""Write seeds/reference/ref_towns.csv: SYNTHETIC names for the town codes of the built-in samples.

The samples' town codes (orchestration/synthetic/model.py: county_code * 1000 + 1..n) are invented,
like the samples' company names, so their names are too: 示例 + a word from a fixed pool + 街道/镇,
drawn deterministically from the code, never a real place. Every row says so in `source`. A real
deployment replaces the file with the county's 统计用区划代码 乡级 (town-level) codes and names.

Rows: the county sample's towns (SAMPLE_TOWNS) and, for every other county of ref_counties, every
code the generator can draw for any seed (1 .. TOWNS_PER_COUNTY high - 1), so a province sample of
any seed finds its towns. Re-run after changing those constants:
    python scripts/synthetic_town_names.py
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.synthetic.model import SAMPLE_TOWNS, TOWNS_PER_COUNTY, load_counties  # noqa: E402

OUT = ROOT / "seeds" / "reference" / "ref_towns.csv"
SOURCE = "synthetic sample (replace with the county's 统计用区划代码 乡级 names)"
PREFIX = "示例"          # every synthetic name starts with it: 示例 = "sample"
# Words no town uses as its name (fruits, gems, weather, toys), so no row reads like a real place.
POOL = ["晨曦", "琥珀", "翡翠", "珊瑚", "银杏", "彩虹", "麦穗", "星辰", "薄荷", "橄榄",
        "琉璃", "水晶", "蔚蓝", "云朵", "雪松", "紫藤", "茉莉", "丁香", "葵花", "萤火",
        "流星", "极光", "月光", "晴空", "微风", "细雨", "霜叶", "松果", "橡树", "枫糖",
        "柠檬", "石榴", "樱桃", "蓝莓", "椰林", "海豚", "白鸽", "风铃", "纸鸢", "积木"]
STEP = 7                 # coprime to len(POOL): the names of one county's towns never repeat
STREETS = 6              # the first towns of a county are 街道 (sub-districts), the rest 镇


def town_name(county_code: int, k: int) -> str:
    word = POOL[(county_code * 3 + k * STEP) % len(POOL)]
    return f"{PREFIX}{word}{'街道' if k <= STREETS else '镇'}"


def rows() -> list[dict]:
    assert TOWNS_PER_COUNTY[1] - 1 <= len(POOL) and all(n <= len(POOL) for n in SAMPLE_TOWNS.values())
    out = []
    for county in load_counties():
        code = int(county["county_code"])
        n = SAMPLE_TOWNS.get(code, TOWNS_PER_COUNTY[1] - 1)
        for k in range(1, n + 1):
            out.append({"town_code": str(code * 1000 + k), "county_code": str(code),
                        "town_name": town_name(code, k), "source": SOURCE})
    return out


def main() -> int:
    got = rows()
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["town_code", "county_code", "town_name", "source"], lineterminator="\n")
        w.writeheader()
        w.writerows(got)
    print(f"{OUT.relative_to(ROOT)}: {len(got)} synthetic towns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
