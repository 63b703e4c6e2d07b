"""The effect models on PostgreSQL: the hand-computed fixture loaded into a real PostgreSQL server,
`dbt build --target postgres`, compared with the DuckDB build. dbt-postgres runs no Python models,
so there is no bootstrap there: every interval is the analytic one, equal to DuckDB's
int_effect_analytic; everything else equals the DuckDB marts. Runs where STATMON_PG_HOST is set
(CI starts a private server), skipped elsewhere, failing instead in CI."""
from __future__ import annotations

import re

import pytest

import effect_fixture
from effect_harness import EFFECT_SELECTION, run_dbt  # first: puts tests/dbt_models on the path
from dbt_harness import LANDING_DDL  # noqa: E402
from test_dbt_postgres import SCHEMAS, _QmarkCursor, pg_connection  # noqa: E402  (the mart comparison's helpers)

def rows(cursor_or_query, sql):
    return sorted(cursor_or_query(sql), key=repr)


def same(a, b) -> bool:
    """Equal, doubles up to 1e-9: PostgreSQL rounds a double to NUMERIC with 15 significant digits,
    DuckDB with 15 decimals, before the exact sums."""
    return all(abs(x - y) < 1e-9 if isinstance(x, float) and isinstance(y, float) else x == y for x, y in zip(a, b))


def test_effect_models_on_postgres(effect_warehouse, query, tmp_path):
    con = pg_connection()
    cur = con.cursor()
    for schema in SCHEMAS:
        cur.execute(f"drop schema if exists {schema} cascade")
    cur.execute(re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", LANDING_DDL.read_text()))
    effect_fixture.load(_QmarkCursor(cur))

    run = run_dbt(effect_warehouse, ["build", "--target", "postgres", *EFFECT_SELECTION], tmp_path)
    assert run.success, {k: v for k, v in run.statuses().items() if v not in ("success", "pass")}
    assert not any("int_effect_bootstrap" in node for node in run.statuses())  # disabled: no Python models

    def on_postgres(sql):
        cur.execute(sql)
        return cur.fetchall()

    for mart in ("initiative_effect_curve", "initiative_effect_population"):
        pg, duck = rows(on_postgres, f"select * from marts.{mart}"), rows(query, f"select * from marts.{mart}")
        assert len(pg) == len(duck) and all(same(a, b) for a, b in zip(pg, duck)), mart

    columns = ["initiative_code", "outcome", "horizon_months", "participants", "matched_participants", "controls",
               "participant_share", "comparison_share", "naive_share", "effect_pp", "estimate_status"]
    select = f"select {', '.join(columns)} from marts.initiative_effect order by 1, 2, 3"
    assert all(same(a, b) for a, b in zip(on_postgres(select), query(select))) and len(on_postgres(select)) == 10

    intervals = on_postgres("""select initiative_code, outcome, horizon_months, effect_ci_low_pp, effect_ci_high_pp,
                                      interval_method from marts.initiative_effect
                               where estimate_status = 'estimated' order by 1, 2, 3""")
    analytic = query("""select initiative_code, outcome, horizon_months, 100 * ci_low, 100 * ci_high, 'analytic'
                        from intermediate.int_effect_analytic order by 1, 2, 3""")
    assert len(intervals) == 4 and all(same(a, b) for a, b in zip(intervals, analytic))
    con.close()


@pytest.fixture(autouse=True)
def _pg_required():
    """Skip before the DuckDB fixture is built when no server is configured (pg_connection fails in CI)."""
    con = pg_connection()
    con.close()
