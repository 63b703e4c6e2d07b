"""The monthly refresh: int_effect_cells is incremental on month (like int_person_months), the
rest of the effect models are rebuilt in full. Month-by-month runs with var months give exactly
the tables of one full build, also when an earlier month is re-delivered."""
from __future__ import annotations

import duckdb

import effect_fixture
from effect_harness import build_effect_marts, new_landing_warehouse

TABLES = [
    "intermediate.int_effect_cells", "intermediate.int_effect_panel", "intermediate.int_effect_starts",
    "intermediate.int_effect_records", "intermediate.int_effect_groups", "intermediate.int_effect_shares",
    "intermediate.int_effect_naive",
    "intermediate.int_effect_analytic", "intermediate.int_effect_bootstrap",
    "marts.initiative_effect", "marts.initiative_effect_curve", "marts.initiative_effect_population",
]
MODELS_ONLY = ["--resource-type", "seed", "--resource-type", "model"]
ALL_MONTHS = [m.strftime("%Y-%m") for m in effect_fixture.MONTHS]


def snapshot(warehouse) -> dict[str, list]:
    con = duckdb.connect(str(warehouse))
    try:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}
    finally:
        con.close()


def run_months(warehouse, work, months):
    build_effect_marts(warehouse, work, [*MODELS_ONLY, "--vars", f"{{months: {months}}}"])


def test_monthly_runs_equal_a_full_build(tmp_path):
    full = new_landing_warehouse(tmp_path / "full.duckdb", effect_fixture.load)
    build_effect_marts(full, tmp_path, MODELS_ONLY)
    expected = snapshot(full)
    assert len(expected["marts.initiative_effect"]) == 10

    # everything up to 2017-12, then the monthly run of 2018-01 and 2018-02
    warehouse = new_landing_warehouse(tmp_path / "monthly.duckdb",
                                      lambda con: effect_fixture.load(con, set(ALL_MONTHS[:-2])))
    build_effect_marts(warehouse, tmp_path, MODELS_ONLY)
    assert snapshot(warehouse)["marts.initiative_effect"] != expected["marts.initiative_effect"]
    con = duckdb.connect(str(warehouse))
    effect_fixture.load(con, set(ALL_MONTHS[-2:]))
    con.close()
    run_months(warehouse, tmp_path, ALL_MONTHS[-2:])
    assert snapshot(warehouse) == expected

    # 2016-06 re-delivered without c02 (and y1 now without a birth date): the run for 2016-06
    # rebuilds the cells from 2016-06 on and must equal a full build of the same data
    change = ("delete from landing.uitkeringen where delivery_month = date '2016-06-01' and person_id = 'c02'; "
              "update landing.uitkeringen set geboortedatum = null "
              "where delivery_month = date '2016-06-01' and person_id = 'y1'")
    for target in (warehouse, full):
        con = duckdb.connect(str(target))
        con.execute(change)
        con.close()
    run_months(warehouse, tmp_path, ["2016-06"])
    build_effect_marts(full, tmp_path, MODELS_ONLY)
    changed = snapshot(full)
    assert changed["marts.initiative_effect_population"] != expected["marts.initiative_effect_population"]  # y1 unmatched now
    assert snapshot(warehouse) == changed
