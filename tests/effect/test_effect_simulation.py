"""Simulation (effect_simulation.py): a panel with a planted effect and selection on observables,
through the real dbt. The matched interval covers the true effect on the participants (known from
the simulation's potential outcomes), PASMATCH (no effect) has an interval around zero, the naive
share is visibly biased, and the bootstrap and analytic intervals have about the same width.
One seed, fixed before the first run; docs/rendement.md gives the coverage over 20 seeds."""
from __future__ import annotations

import duckdb
import pytest

import effect_simulation as simulation
from effect_harness import build_effect_marts, new_landing_warehouse

SEED = 2024


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    work = tmp_path_factory.mktemp("effect_simulation")
    sim = simulation.simulate(n_persons=4000, months=48, seed=SEED)
    warehouse = new_landing_warehouse(work / "monitor.duckdb", lambda con: simulation.load(con, sim))
    # models and seeds only: the data tests run on the hand-computed fixture
    build_effect_marts(warehouse, work, ["--resource-type", "seed", "--resource-type", "model"])
    con = duckdb.connect(str(warehouse))
    yield sim, con
    con.close()


def estimate(con, code, outcome, h):
    (row,) = con.execute("""select participant_share, comparison_share, naive_share, effect_pp, effect_ci_low_pp,
                             effect_ci_high_pp, interval_method, estimate_status, matched_participants
                      from marts.initiative_effect where initiative_code = ? and outcome = ? and horizon_months = ?""",
                         [code, outcome, h]).fetchall()
    return dict(zip(["p", "c", "naive", "effect", "low", "high", "method", "status", "matched"], row))


@pytest.mark.parametrize("h", [6, 12, 24])
def test_matched_interval_covers_the_true_agros_effect(simulated, h):
    sim, con = simulated
    est = estimate(con, "AGROS", "werk", h)
    participants = simulation.matched_participants(con, "AGROS", h)
    assert est["status"] == "estimated" and est["method"] == "bootstrap" and est["matched"] == len(participants)
    truth = 100 * simulation.true_effect(sim, "AGROS", participants, h, "werk")
    assert est["low"] <= truth <= est["high"], (h, truth, est)


def test_lock_in_shows_in_the_curve(simulated):
    """Half the hazard in the first three months: behind at k = 2, ahead from the fourth month on."""
    sim, con = simulated
    curve = dict(con.execute("""select months_since_start, participant_share - comparison_share
                                from marts.initiative_effect_curve
                                where initiative_code = 'AGROS' and outcome = 'werk'""").fetchall())
    assert simulation.true_effect(sim, "AGROS", simulation.matched_participants(con, "AGROS", 2), 2, "werk") < 0
    assert curve[2] < -0.03 and curve[12] > 0.03, curve


@pytest.mark.parametrize("h", [6, 12, 24])
def test_no_effect_interval_covers_zero_and_naive_is_biased(simulated, h):
    sim, con = simulated
    est = estimate(con, "PASMATCH", "werk", h)
    assert simulation.true_effect(sim, "PASMATCH", simulation.matched_participants(con, "PASMATCH", h), h, "werk") == 0
    assert est["status"] == "estimated" and est["low"] <= 0 <= est["high"], est
    # partners pick young men with short durations: against everyone on benefit the participants
    # look far better, a "naive effect" well outside the matched interval
    naive_effect = 100 * (est["p"] - est["naive"])
    assert naive_effect > est["high"] + 5, (naive_effect, est)
    assert est["naive"] < est["c"]  # the comparison group is younger, male, shorter on benefit


@pytest.mark.parametrize("code", ["AGROS", "PASMATCH"])
def test_bootstrap_and_analytic_intervals_about_as_wide(simulated, code):
    _, con = simulated
    rows = con.execute("""select e.horizon_months, e.effect_ci_high_pp - e.effect_ci_low_pp, 100 * (a.ci_high - a.ci_low)
                    from marts.initiative_effect as e
                    inner join intermediate.int_effect_analytic as a using (initiative_code, outcome, horizon_months)
                    where e.initiative_code = ? and e.outcome = 'werk' and e.interval_method = 'bootstrap'
                    order by 1""", [code]).fetchall()
    assert [r[0] for r in rows] == [6, 12, 24]
    for h, bootstrap_width, analytic_width in rows:
        assert abs(bootstrap_width / analytic_width - 1) < 0.25, (h, bootstrap_width, analytic_width)
