"""marts.initiative_effect equals the effect contract computed independently from the delivered
demo files (tests/demo/effect_checker.py: pandas on the files, no pipeline or generator code), row
for row: participants, matched participants, controls and the three shares."""
import sys
from pathlib import Path

import duckdb
import pytest

# the checker modules live beside the demo tests (uniquely named, see DEVELOPERS.md)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))
from checker import read_deliveries  # noqa: E402
from effect_checker import EffectData  # noqa: E402


def test_initiative_effect_equals_the_independent_computation(memo_con, memo_warehouse):
    raw = memo_warehouse.parent.parent / "raw"
    data = EffectData(read_deliveries(raw))
    rows = memo_con.execute(
        """select initiative_code, outcome, horizon_months, participants, matched_participants, controls,
                  participant_share, comparison_share, naive_share, estimate_status
           from marts.initiative_effect order by 1, 2, 3""").fetchall()
    estimated = [r for r in rows if r[9] == "estimated"]
    # the demo's planted initiatives give dozens of rows, most of them estimated
    assert len(rows) >= 50 and len(estimated) >= 30, (len(rows), len(estimated))
    for code, outcome, horizon, participants, matched, controls, p, c, naive, status in rows:
        expected = data.estimate(code, outcome, horizon)
        where = f"{code} {outcome} {horizon}"
        assert (participants, matched, controls) == (expected.participants, expected.matched, expected.controls), where
        if status == "estimated":
            assert p == pytest.approx(expected.participant_share, abs=1e-9), where
            assert c == pytest.approx(expected.comparison_share, abs=1e-9), where
            assert naive == pytest.approx(expected.naive_share, abs=1e-9), where
        else:
            assert (status, p, c, naive) == ("too_few", None, None, None), where


def test_stewards_see_every_start_left_out_of_the_estimate(memo_con, memo_warehouse):
    """Bad input of the rendement (a start in the future, without a benefits delivery, not on
    bijstand at the start, not a statushouder, no valid geboortedatum) is never dropped silently:
    the stewards' file beside the warehouse holds marts.initiative_effect_population, whose parts
    add up to every person with a start, for every coded initiative."""
    expected = memo_con.execute("select * from marts.initiative_effect_population order by all").fetchall()
    stewards = duckdb.connect(str(memo_warehouse.parent / "stewards.duckdb"), read_only=True)
    try:
        got = stewards.execute("select * from initiative_effect_population order by all").fetchall()
        parts = stewards.execute(
            """select count(*) filter (where persons_started <> not_statushouder + started_after_last_month
                                       + no_benefits_delivery_in_start_month + not_on_benefit_in_start_month
                                       + participants),
                      count(*) filter (where not_statushouder + started_after_last_month
                                       + no_benefits_delivery_in_start_month + not_on_benefit_in_start_month > 0)
               from initiative_effect_population""").fetchone()
    finally:
        stewards.close()
    assert got == expected and len(got) >= 5
    assert parts[0] == 0  # every start is a participant or has its reason
    assert parts[1] > 0   # the demo's starts include some left out (its faults), so the check can fail
