"""The benchmark's lower bound (bench/lower_bound.py, bench/effect_lower_bound.py) computes the same
marts as the pipeline: the real `statmon run` (Dagster, ingestion, dbt) and the lower bound's plain
DuckDB SQL and numpy over the same demo deliveries give equal rows in every mart the lower bound
covers, the effect marts with their bootstrap intervals included. If this fails, one side is
wrong: bench/compare.py prints the differing rows."""
from __future__ import annotations

import duckdb
from bench_smoke import run_lower_bound

from bench.compare import EFFECT_MARTS, MARTS, compare_marts


def test_lower_bound_marts_equal_the_pipelines(pipeline_warehouse, lower_bound_db):
    db, summary = lower_bound_db
    assert summary["months"] == 14 and summary["files_loaded"] > 14 * 4

    result = compare_marts(pipeline_warehouse, db, MARTS + EFFECT_MARTS)
    assert set(result) == set(MARTS + EFFECT_MARTS)
    for table, r in result.items():
        assert r["rows_pipeline"] > 0, f"{table}: the pipeline's mart is empty, the comparison proves nothing"
        assert (r["only_pipeline"], r["only_lower_bound"]) == (0, 0), (
            f"{table}: rows differ; pipeline only {r['examples_pipeline']}, lower bound only {r['examples_lower_bound']}")


def test_effect_comparison_covers_estimates_and_bootstrap_intervals(pipeline_warehouse):
    """The equal effect marts are about something: estimated rows with bootstrap intervals, and
    rows with too few matched participants."""
    with duckdb.connect(str(pipeline_warehouse), read_only=True) as con:
        kinds = dict(con.execute("""select coalesce(interval_method, estimate_status), count(*)
                                    from marts.initiative_effect group by all""").fetchall())
    assert kinds.get("bootstrap", 0) >= 2 and kinds.get("too_few", 0) >= 1, kinds


def test_lower_bounds_analytic_interval_equals_the_pipelines(scratch, small_raw, bench_env, pipeline_warehouse):
    """With no bootstrap budget the lower bound gives every estimate the analytic interval: the
    same as the pipeline's int_effect_analytic (what initiative_effect uses beyond its budget)."""
    db = scratch / "lower_bound_analytic.duckdb"
    run_lower_bound(small_raw, db, bench_env, "--effect-max-records", "0")
    con = duckdb.connect()
    con.execute(f"ATTACH '{pipeline_warehouse}' AS p (READ_ONLY)")
    con.execute(f"ATTACH '{db}' AS lb (READ_ONLY)")
    methods = con.execute("select distinct interval_method from lb.marts.initiative_effect "
                          "where estimate_status = 'estimated'").fetchall()
    assert methods == [("analytic",)]
    rows = con.execute("""
        select lb.initiative_code, lb.outcome, lb.horizon_months,
               lb.effect_ci_low_pp, 100 * a.ci_low, lb.effect_ci_high_pp, 100 * a.ci_high
        from lb.marts.initiative_effect as lb
        left join p.intermediate.int_effect_analytic as a using (initiative_code, outcome, horizon_months)
        where lb.estimate_status = 'estimated'""").fetchall()
    assert len(rows) >= 2
    for code, outcome, h, low, p_low, high, p_high in rows:
        assert p_low is not None, f"{code} {outcome} {h}: no analytic interval in the pipeline"
        assert abs(low - p_low) < 1e-9 and abs(high - p_high) < 1e-9, (code, outcome, h, low, p_low, high, p_high)
        assert low < high


def test_unchanged_month_is_skipped(scratch, small_raw, bench_env):
    """A second run of an already loaded month finds every file unchanged (sha256) and builds nothing:
    the lower bound of the fixed overhead of a run without new data."""
    db = scratch / "lower_bound_rerun.duckdb"
    first = run_lower_bound(small_raw, db, bench_env, "--month", "2018-01")
    again = run_lower_bound(small_raw, db, bench_env, "--month", "2018-01")
    assert first["files_loaded"] > 0 and first["files_unchanged"] == 0
    assert again["files_loaded"] == 0 and again["files_unchanged"] == first["files_loaded"]
