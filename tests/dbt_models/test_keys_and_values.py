"""keys_and_values (tests/generic/keys_and_values.sql): a model's not_null, unique and
accepted_values rules in one dbt test. Each rule still fails on its own, and the failing rows name
the broken rule with its count of failing rows."""
from __future__ import annotations

import duckdb

from dbt_harness import AS_OF_DATE, new_landing_warehouse, run_dbt

TEST = "int_statushouder_status_keys_and_values"


def _run_test(warehouse, work) -> tuple[str, dict[str, int]]:
    """Run the model's keys_and_values test, storing its failing rows: (status, {rule: failures})."""
    run = run_dbt(warehouse, ["test", "--select", TEST, "--store-failures",
                              "--vars", f"{{as_of_date: '{AS_OF_DATE}'}}"], work)
    status = {r.node.name: str(r.status) for r in run.results}[TEST]
    con = duckdb.connect(str(warehouse))
    try:
        rows = con.execute(f"select rule, failures from dbt_test__audit.{TEST}").fetchall()
    finally:
        con.close()
    return status, dict(rows)


def test_each_rule_fails_on_its_own_and_names_itself(tmp_path):
    warehouse = new_landing_warehouse(tmp_path / "rules.duckdb")
    vars_ = f"{{as_of_date: '{AS_OF_DATE}'}}"
    for command in (["seed"], ["run", "--select", "+int_statushouder_status"]):
        assert run_dbt(warehouse, [*command, "--vars", vars_], tmp_path).success
    assert _run_test(warehouse, tmp_path) == ("pass", {})

    con = duckdb.connect(str(warehouse))
    table = "intermediate.int_statushouder_status"
    person = con.execute(f"select person_id from {table} limit 1").fetchone()[0]
    # one duplicated person, one row without a person, one unknown gender
    con.execute(f"insert into {table} select * from {table} where person_id = ?", [person])
    con.execute(f"insert into {table} select * replace (null as person_id) from {table} where person_id = ? limit 1",
                [person])
    con.execute(f"update {table} set gender = 'x' where person_id = (select max(person_id) from {table})")
    con.close()
    assert _run_test(warehouse, tmp_path) == ("fail", {
        "unique(person_id)": 1,            # one key held twice
        "not_null(person_id)": 1,
        "accepted_values(gender)": 1,
    })
