"""Incremental refresh: building month by month with var `months` (as the monthly run does)
gives exactly the tables of one full build, also when an earlier month is re-delivered."""
from __future__ import annotations

import duckdb

import dbt_landing_fixture as fixture
from dbt_harness import AS_OF_DATE, new_landing_warehouse, run_dbt

TABLES = [
    "marts.caseload_monthly", "marts.outflow_monthly", "marts.initiative_outcomes",
    "marts.initiative_flows", "marts.cohort_progress", "marts.cohort_progress_settlement",
    "marts.participation_by_gender", "marts.dq_issues",
    "intermediate.int_person_months", "intermediate.int_trajectories_as_of_month",
    "intermediate.int_benefit_spells",
    "staging.stg_uitkeringen__benefits", "staging.stg_brp__persons",
    "staging.stg_klantbeeld__client_states", "staging.stg_trajecten__trajectories",
]


def snapshot(warehouse) -> dict[str, list]:
    con = duckdb.connect(str(warehouse))
    try:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        con.close()


def run_models(warehouse, work, months: list[str] | None, seed: bool = False) -> None:
    """`dbt run` (models only: the tests ran in the acceptance build) with var months."""
    vars_ = f"{{as_of_date: '{AS_OF_DATE}'" + (f", months: {months}" if months else "") + "}"
    for command in ([["seed"]] if seed else []) + [["run"]]:
        run = run_dbt(warehouse, [*command, "--vars", vars_], work)
        assert run.success, {k: v for k, v in run.statuses().items() if v != "success"}


def test_incremental_runs_equal_full_build(built_warehouse, tmp_path):
    full_warehouse, _ = built_warehouse
    expected = snapshot(full_warehouse)

    # first run: the deliveries up to 2018-04
    warehouse = new_landing_warehouse(
        tmp_path / "incremental.duckdb", lambda con: fixture.load(con, set(fixture.BENEFIT_MONTHS[:5]))
    )
    run_models(warehouse, tmp_path, None, seed=True)
    assert snapshot(warehouse)["marts.caseload_monthly"] != expected["marts.caseload_monthly"]

    # the monthly run: 2018-05 and 2018-06 arrive, only their months are rebuilt incrementally
    con = duckdb.connect(str(warehouse))
    fixture.load(con, {"2018-05", "2018-06"})
    con.close()
    run_models(warehouse, tmp_path, ["2018-05", "2018-06"])
    assert snapshot(warehouse) == expected

    # 2018-03 is re-delivered without p01's benefit: the run for 2018-03 must also fix the later
    # months (new/left, trajectories as of) and equal a run over all months of the same data
    con = duckdb.connect(str(warehouse))
    con.execute(
        "delete from landing.uitkeringen "
        "where delivery_month = date '2018-03-01' and registratienummer_uitkering = 'B01'"
    )
    con.close()
    run_models(warehouse, tmp_path, ["2018-03"])
    incremental = snapshot(warehouse)
    run_models(warehouse, tmp_path, None)
    full = snapshot(warehouse)
    assert incremental == full
    caseload = {r[0].isoformat(): r for r in full["marts.caseload_monthly"]}
    assert caseload["2018-03-01"][1] == 9 and caseload["2018-04-01"][5] == 2  # p01 out in 03, new in 04

    # the benefits delivery of 2018-06 is withdrawn (other sources of 2018-06 stay): the run for
    # 2018-06 must leave no stale panel rows of that month behind
    con = duckdb.connect(str(warehouse))
    con.execute("delete from landing.uitkeringen where delivery_month = date '2018-06-01'")
    con.close()
    run_models(warehouse, tmp_path, ["2018-06"])
    incremental = snapshot(warehouse)
    assert not [r for r in incremental["intermediate.int_person_months"] if r[0].isoformat() == "2018-06-01"]
    run_models(warehouse, tmp_path, None)
    assert incremental == snapshot(warehouse)


def test_months_from_the_run_months_table(built_warehouse, tmp_path):
    """Dagster gives the months through landing.run_months (no --vars, so dbt's partial parse
    holds between runs): the models rebuild those months and leave earlier ones alone."""
    full_warehouse, _ = built_warehouse
    expected = snapshot(full_warehouse)
    warehouse = new_landing_warehouse(
        tmp_path / "table.duckdb", lambda con: fixture.load(con, set(fixture.BENEFIT_MONTHS[:5]))
    )
    run_models(warehouse, tmp_path, None, seed=True)

    con = duckdb.connect(str(warehouse))
    fixture.load(con, {"2018-05", "2018-06"})
    # a marker in an earlier month: only a rebuild of that month would remove it
    con.execute("update intermediate.int_person_months set caseworker_id = 'MARKER' where month = date '2018-01-01'")
    con.execute("create or replace table landing.run_months (month varchar not null)")
    con.execute("insert into landing.run_months values ('2018-05'), ('2018-06')")
    con.close()
    run_models(warehouse, tmp_path, None)
    got = snapshot(warehouse)
    assert got["marts.caseload_monthly"] == expected["marts.caseload_monthly"]
    marked = [r for r in got["intermediate.int_person_months"] if "MARKER" in r]
    assert marked and all(r[0].isoformat() == "2018-01-01" for r in marked)
    assert [r for r in got["intermediate.int_person_months"] if r[0].isoformat() >= "2018-05-01" and "MARKER" not in r] == \
        [r for r in expected["intermediate.int_person_months"] if r[0].isoformat() >= "2018-05-01"]

    # an empty table means every month: the marker goes
    con = duckdb.connect(str(warehouse))
    con.execute("delete from landing.run_months")
    con.close()
    run_models(warehouse, tmp_path, None)
    assert snapshot(warehouse) == expected
