"""The intervals on the hand-computed fixture, through the real dbt: a rerun gives byte-identical
bootstrap intervals; over the record budget the mart takes the analytic interval (equal to the
hand computation in test_effect_marts.py); and the bootstrap's estimator on the sample itself
(all person weights 1) equals the SQL estimate."""
from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pytest
from effect_harness import run_dbt

from orchestration.effect.bootstrap import effects
from orchestration.effect.records import estimated, initiative_records, needed_records

INTERVALS = """select initiative_code, outcome, horizon_months, interval_method, effect_ci_low_pp, effect_ci_high_pp
               from marts.initiative_effect order by 1, 2, 3"""


@pytest.fixture()
def warehouse_copy(effect_warehouse, query, tmp_path):
    query("checkpoint")
    copy = tmp_path / "monitor.duckdb"
    shutil.copy(effect_warehouse, copy)
    return copy


def read(warehouse, sql):
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_rerun_gives_the_same_bytes(warehouse_copy, query, tmp_path):
    before = query("select * from intermediate.int_effect_bootstrap order by all")
    assert len(before) == 4 and {r[3] for r in before} == {1000}  # AGROS: 2 outcomes x 2 horizons, all resamples
    run = run_dbt(warehouse_copy, ["run", "--select", "int_effect_bootstrap", "initiative_effect"], tmp_path)
    assert run.success
    after = read(warehouse_copy, "select * from intermediate.int_effect_bootstrap order by all")
    # doubles compared as their exact bits, not approximately
    assert [np.array(r[4:]).tobytes() for r in after] == [np.array(r[4:]).tobytes() for r in before]
    assert after == before
    assert read(warehouse_copy, INTERVALS) == query(INTERVALS)


def test_over_the_budget_the_interval_is_analytic(warehouse_copy, query, tmp_path):
    run = run_dbt(warehouse_copy, ["run", "--select", "int_effect_bootstrap", "initiative_effect",
                                   "--vars", "{effect_bootstrap_max_records: 0}"], tmp_path)
    assert run.success
    assert read(warehouse_copy, "select count(*) from intermediate.int_effect_bootstrap") == [(0,)]
    analytic = {r[:3]: r[3:] for r in query(
        "select initiative_code, outcome, horizon_months, ci_low, ci_high from intermediate.int_effect_analytic")}
    estimated_rows = [r for r in read(warehouse_copy, INTERVALS) if r[3] is not None]
    assert len(estimated_rows) == 4
    for code, outcome, horizon, method, low, high in estimated_rows:
        assert method == "analytic"
        assert (low, high) == pytest.approx(tuple(100 * v for v in analytic[(code, outcome, horizon)]), abs=1e-12)


def test_bootstrap_estimator_on_the_sample_equals_the_sql_estimate(effect_warehouse, query):
    query("checkpoint")
    con = duckdb.connect(str(effect_warehouse))
    try:
        records = con.query("select * from intermediate.int_effect_records")
        estimates = estimated(con.query("select * from intermediate.int_effect_shares"))
        assert estimates == {"AGROS": [("studie", 6), ("studie", 12), ("werk", 6), ("werk", 12)]}
        groups = con.query("select * from intermediate.int_effect_groups")
        arrays = initiative_records(needed_records(records, groups, estimates), "AGROS", estimates["AGROS"])
        on_sample = effects(arrays, np.ones((1, arrays.persons)))[0]
    finally:
        con.close()
    sql = query("""select effect_pp from marts.initiative_effect
                   where estimate_status = 'estimated' order by outcome, horizon_months""")
    assert [100 * v for v in on_sample] == pytest.approx([r[0] for r in sql], abs=1e-12)
