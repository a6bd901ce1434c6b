"""The SQL check-code macros agree with the Python reference on random and known values."""
from __future__ import annotations

import random

import duckdb

from orchestration.feeds import contract as K
from orchestration.feeds import idchecks as ic


def test_macros_match_python_reference():
    rnd = random.Random(7)
    vals = ["91330106MA27XLNW6B".lower(), "", "abc", "11010519491231002X", "110105194912310021", None]
    for _ in range(2000):
        b = "".join(rnd.choice(ic.USCC_CHARSET) for _ in range(17))
        vals += [b + ic.uscc_check_char(b), b + rnd.choice(ic.USCC_CHARSET)]
        p = "".join(rnd.choice("0123456789") for _ in range(17))
        vals += [p + ic.person_check_char(p), p + rnd.choice("0123456789X")]
    con = duckdb.connect()
    ic.install_macros(con)
    con.execute("create table t (v varchar)")
    con.executemany("insert into t values (?)", [[v] for v in vals])
    for v, u_ok, p_ok, masked in con.execute(
            "select v, mujun_uscc_valid(v), mujun_person_valid(v), mujun_mask_person(v) from t").fetchall():
        if v is None:
            continue
        assert u_ok == ic.uscc_valid(v), v
        assert p_ok == ic.person_id_valid(v), v
        assert masked == K.mask_person_id(v), v
    assert ic.person_id_valid("11010519491231002X")
    assert not ic.uscc_valid("91330106MA27XLNW6B".lower())
