"""The one masking definition (orchestration/masking.py) and its SQL forms, on real DuckDB.

The SQL of ingestion's macros and of the dbt macro file is generated from the Python module; these
tests check that the committed dbt file is the generated one and that DuckDB computes exactly what
Python computes, on adversarial strings (separators, full-width digits, runs longer than 18, USCCs).
"""
from __future__ import annotations

import random

import duckdb
import pytest

from orchestration import masking
from orchestration.feeds import contract as K
from orchestration.feeds import idchecks

PID = "330903196804133434"          # valid GB 11643 id
PID_X = "33010619850607002X"
USCC_DIGITS = "913301090000471166"  # valid all-digit USCC (no birth date in chars 7-14)
USCC_X = "91330109745645380X"


def _con():
    con = duckdb.connect()
    idchecks.install_macros(con)
    return con


@pytest.mark.parametrize("text, expected", [
    ("身份证" + PID, "身份证330903********3434"),
    ("5" + PID, "533090*********3434"),                          # 19 digits: masked as a whole
    (PID + "7", "330903*********4347"),
    ("331126 19860930311X", "331126********311X"),
    ("331126-1986-0930-311X", "331126********311X"),
    ("331126 - 1986 0930 311x", "331126********311x"),
    ("３３０９０３１９６８０４１３３４３４", "330903********3434"),
    ("…9号 经办人" + PID, "…9号 经办人330903********3434"),
    (f"a {PID} b {PID_X}", "a 330903********3434 b 330106********002X"),
    (USCC_DIGITS, USCC_DIGITS),                                  # enterprise codes stay readable
    (USCC_X, USCC_X),
    ("91330109MA2B1234X5", "91330109MA2B1234X5"),
    ("20200800000000010", "20200800000000010"),                  # 17-digit record id
    ("", ""),
    (None, None),
])
def test_mask_text_python_and_sql(text, expected):
    con = _con()
    assert masking.mask_text(text) == expected
    assert con.execute("select mujun_mask_text(?)", [text]).fetchone()[0] == expected


def test_structured_person_values_are_always_masked():
    con = _con()
    for v in (USCC_DIGITS, PID, " " + PID + " "):
        expected = masking.mask_text(v, force=True)
        assert "********" in expected
        assert con.execute("select mujun_mask_person(?)", [v]).fetchone()[0] == expected == K.mask_person_id(v)


def test_cheap_form_for_validated_ids_equals_the_definition():
    """eval_mask_person_id (subject ids, validated upstream) uses the regex-free form: same result."""
    con = _con()
    rng = random.Random(3)
    ids = [b + idchecks.person_check_char(b) for b in
           (f"3301{rng.randint(0, 99):02d}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 999):03d}" for _ in range(500))]
    got = [r[0] for r in con.execute(f"select {masking.sql_mask_valid_id('s')} from (select unnest(?) as s)",
                                     [ids]).fetchall()]
    assert got == [masking.mask_text(i, force=True) for i in ids]


def test_sql_equals_python_on_random_adversarial_texts():
    rng = random.Random(7)
    pieces = [PID, PID_X, USCC_DIGITS, USCC_X, "331126 19860930311X", "３３０", "-", " ", "  ", "x", "X",
              "号", "经办人", "1", "0", "99", "2021-01-01", "\t", "\u3000", "－", "19860930"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    con = _con()
    con.execute("create table t (i integer, s varchar)")
    con.executemany("insert into t values (?, ?)", list(enumerate(texts)))
    got = dict(con.execute("select i, mujun_mask_text(s) from t").fetchall())
    forced = dict(con.execute("select i, mujun_mask_person(s) from t").fetchall())
    diff = [(t, got[i], masking.mask_text(t)) for i, t in enumerate(texts) if got[i] != masking.mask_text(t)]
    diff += [(t, forced[i], masking.mask_text(t, True)) for i, t in enumerate(texts)
             if forced[i] != masking.mask_text(t, True)]
    assert not diff, diff[:5]
    # masking is idempotent: what is left unmasked are enterprise codes only
    for t in texts:
        assert masking.mask_text(masking.mask_text(t)) == masking.mask_text(t), t


def test_dbt_macro_file_is_generated_from_the_python_definition():
    assert masking.DBT_MACRO_PATH.read_text(encoding="utf-8") == masking.dbt_macro_text(), \
        "dbt_project/macros/masking/mask_person.sql is stale: run `python -m orchestration.masking`"


def _dbt_macro_body(name: str) -> str:
    """The SQL of one macro of the generated dbt file, rendered for a column `s`."""
    text = masking.dbt_macro_text()
    return text.split(f"{{% macro {name}(expr) -%}}")[1].split("{%- endmacro %}")[0].replace("{{ expr }}", "s")


def test_dbt_macros_compute_in_duckdb_what_python_computes():
    """Each SQL form of the generated dbt file (DuckDB's dispatched forms and the portable one for
    validated ids) gives the masked id Python gives, on the adversarial texts."""
    texts = ["身份证" + PID, USCC_DIGITS, USCC_X, "331126-1986-0930-311X", "5" + PID, "plain", PID_X, None,
             f"a {PID} b {PID_X}", "３３０９０３１９６８０４１３３４３４"]
    ids = [PID, PID_X, "330106198506070011"]
    con = duckdb.connect()

    def run(name, values):
        return [r[0] for r in con.execute(f"select {_dbt_macro_body(name)} from (select unnest(?) as s)",
                                          [values]).fetchall()]
    assert run("duckdb__mask_person_text", texts) == [masking.mask_text(t) for t in texts]
    assert run("duckdb__mask_person_value", texts) == [masking.mask_text(t, force=True) for t in texts]
    assert run("mask_valid_person_id", ids) == [masking.mask_text(i, force=True) for i in ids]
    # the public names dispatch per engine; an engine without SQL fails to compile, never passes ids through
    text = masking.dbt_macro_text()
    for name in ("mask_person_text", "mask_person_value"):
        assert f"adapter.dispatch('{name}', 'mujun')" in _dbt_macro_body(name)
        assert f"{{% macro spark__{name}(expr) -%}}" in text
        assert "raise_compiler_error" in text.split(f"{{% macro default__{name}(expr) -%}}")[1].split("endmacro")[0]


def test_mask_tree_masks_every_text_file(tmp_path):
    (tmp_path / "run1" / "static").mkdir(parents=True)
    (tmp_path / "run1" / "index.html").write_text(f"<td>{PID}</td><td>{USCC_DIGITS}</td>", encoding="utf-8")
    (tmp_path / "run1" / "static" / "v.json").write_text('{"v": "331126 19860930311X"}', encoding="utf-8")
    (tmp_path / "run1" / "logo.png").write_bytes(b"\x89PNG" + PID.encode())
    assert masking.mask_tree(tmp_path) == 2
    assert (tmp_path / "run1" / "index.html").read_text(encoding="utf-8") == \
        f"<td>330903********3434</td><td>{USCC_DIGITS}</td>"
    assert "311X" in (tmp_path / "run1" / "static" / "v.json").read_text(encoding="utf-8")
    assert "19860930" not in (tmp_path / "run1" / "static" / "v.json").read_text(encoding="utf-8")
    assert masking.mask_tree(tmp_path) == 0          # idempotent
