"""Data tests scoped to the run's months (macros/test_scope.sql): a monthly build tests the rows
its months can have changed, a full build tests every month, and a run month is never left out."""
from __future__ import annotations

import duckdb

from dbt_harness import AS_OF_DATE, new_landing_warehouse, run_dbt

BENEFIT_KEY_UNIQUE = "unique_combination_stg_uitkeringen__benefits_month__benefit_id__person_id"
PANEL_KEY_UNIQUE = "int_person_months_keys_and_values"  # holds the unique (month, person_id) rule


def built_models(tmp_path):
    warehouse = new_landing_warehouse(tmp_path / "scoped.duckdb")
    vars_ = f"{{as_of_date: '{AS_OF_DATE}'}}"
    for command in (["seed"], ["run"]):
        assert run_dbt(warehouse, [*command, "--vars", vars_], tmp_path).success
    return warehouse


def data_test_statuses(warehouse, work, months: list[str] | None) -> dict[str, str]:
    """Run only the data tests (the models exist) with var months: {test name: status}."""
    vars_ = f"{{as_of_date: '{AS_OF_DATE}'" + (f", months: {months}" if months else "") + "}"
    run = run_dbt(warehouse, ["test", "--exclude", "test_type:unit", "--vars", vars_], work)
    return {r.node.name: str(r.status) for r in run.results}




def test_staging_tests_cover_the_run_months_and_a_full_build_every_month(tmp_path):
    warehouse = built_models(tmp_path)
    assert data_test_statuses(warehouse, tmp_path, None)[BENEFIT_KEY_UNIQUE] == "pass"

    # a benefit listed twice in the 2018-01 delivery (the staging view keeps both rows)
    con = duckdb.connect(str(warehouse))
    con.execute("""
        insert into landing.uitkeringen
        select * replace (row_number + 1000 as row_number)
        from landing.uitkeringen
        where delivery_month = date '2018-01-01' and registratienummer_uitkering = 'B02'
    """)
    con.close()
    # 2018-01 is staged again (its run), then later runs of other months follow
    assert run_dbt(warehouse, ["run", "--vars", f"{{as_of_date: '{AS_OF_DATE}', months: ['2018-01']}}"], tmp_path).success
    # the monthly run of 2018-05 does not test 2018-01 again ...
    assert data_test_statuses(warehouse, tmp_path, ["2018-05"])[BENEFIT_KEY_UNIQUE] == "pass"
    # ... a run that includes 2018-01 does, and so does a full build
    assert data_test_statuses(warehouse, tmp_path, ["2018-01", "2018-05"])[BENEFIT_KEY_UNIQUE] == "warn"
    assert data_test_statuses(warehouse, tmp_path, None)[BENEFIT_KEY_UNIQUE] == "warn"


def test_panel_tests_cover_the_months_the_incremental_run_rebuilt(tmp_path):
    """int_person_months rebuilds every month from the earliest run month on: its key test covers
    those months, so a duplicate in 2018-05 is found by a run of 2018-03, not by one of 2018-06."""
    warehouse = built_models(tmp_path)
    con = duckdb.connect(str(warehouse))
    con.execute("insert into intermediate.int_person_months select * from intermediate.int_person_months "
                "where month = date '2018-05-01' limit 1")
    con.close()
    assert data_test_statuses(warehouse, tmp_path, ["2018-06"])[PANEL_KEY_UNIQUE] == "pass"
    assert data_test_statuses(warehouse, tmp_path, ["2018-03"])[PANEL_KEY_UNIQUE] == "fail"
    assert data_test_statuses(warehouse, tmp_path, None)[PANEL_KEY_UNIQUE] == "fail"
