"""The effects planted in the initiatives (orchestration/demo/README.md, "Planted effects") are in
the generated files: the effect contract's matched comparison, computed from the files by the
independent checker (effect_checker.py), shows them in the planted direction, shows none where
none is planted, and shows the partners' selection in the naive comparison. Scale 1, seed 42,
2014-01..2020-06 (the default period): the dataset `make run` builds."""
from __future__ import annotations

import json
import math

import pytest

from effect_checker import EffectData
from orchestration.demo import constants as C

WORK_WITH_EFFECT = ("AAN_DE_SLAG", "LEERWERKSTAGE")   # enough participants at 12 months to see it
WORK_SELECTED = ("AGROS", "PASMATCH", "AAN_DE_SLAG", "LEERWERKSTAGE")


@pytest.fixture(scope="module")
def effects(haarlem_frames):
    return EffectData(haarlem_frames)


@pytest.fixture(scope="module")
def planted(haarlem_demo):
    return json.loads((haarlem_demo[0] / ".statmon-demo").read_text(encoding="utf-8"))["planted_effects"]


def _standard_error_pp(share: float, n: int) -> float:
    return 100 * math.sqrt(max(share * (1 - share), 0.01) / n)


def test_the_marker_states_what_was_planted_and_on_whom(effects, planted):
    """Per initiative the hazard ratios of constants.py, and exactly the participants the contract
    counts in the files at 6, 12 and 24 months."""
    assert set(planted) == {"ADVIES_ONDERWIJS", "UAF", "AGROS", "PASMATCH", "AAN_DE_SLAG", "TIMNIT", "VIP", "STARTBAAN",
                            "LEERWERKSTAGE", "ASSESSMENT", "SUR_ATELIER", "VOORSCHAKEL", "VOORSCHAKEL_ZORG"}
    for code, entry in planted.items():
        outcome, lock_in, after = C.PLANTED_EFFECTS.get(code, ("werk", 1.0, 1.0))
        assert (entry["outcome"], entry["hazard_ratios"]) == (outcome, [lock_in, after])
        for h in (6, 12, 24):
            assert entry["participants"][str(h)] == effects.estimate(code, outcome, h).participants, (code, h)
            if (lock_in, after) == (1.0, 1.0):
                assert entry["expected_effect_pp"][str(h)] == 0.0
            else:
                assert entry["expected_effect_pp"][str(h)] > 0, (code, h)
    assert planted["AAN_DE_SLAG"]["participants"]["24"] >= 100  # every 2017-2018 start has its 24 months


@pytest.mark.parametrize("code", WORK_WITH_EFFECT)
def test_work_initiatives_raise_the_share_ending_for_work(effects, code):
    e = effects.estimate(code, "werk", 12)
    assert e.matched >= 100
    assert e.participant_share > e.comparison_share
    assert e.effect_pp >= 3


def test_the_lock_in_holds_back_the_first_months(effects, planted):
    """Hazard x0.5 in the first three months: the 6-month effect is a fraction of the 24-month one,
    as planted and (summed over the work initiatives, against noise) as measured."""
    work = ("AGROS", *WORK_WITH_EFFECT)
    for code in work:
        assert planted[code]["expected_effect_pp"]["6"] < planted[code]["expected_effect_pp"]["24"] / 2
    measured = {h: sum(effects.estimate(code, "werk", h).effect_pp for code in work) for h in (6, 24)}
    assert 0 < measured[6] < measured[24]


def test_education_routes_raise_the_share_ending_for_study(effects):
    uaf, voorschakel = (effects.estimate(code, "studie", 12) for code in ("UAF", "VOORSCHAKEL"))
    assert uaf.matched >= 100 and uaf.effect_pp >= 2
    assert voorschakel.participant_share > voorschakel.comparison_share


def test_no_effect_where_none_is_planted(effects):
    """Pasmatch selects like the other work partners but adds nothing: its matched effect is
    within two standard errors of zero at every horizon."""
    for h in (6, 12, 24):
        e = effects.estimate("PASMATCH", "werk", h)
        assert abs(e.effect_pp) < 2 * _standard_error_pp(e.participant_share, e.matched), h


@pytest.mark.parametrize("code", WORK_SELECTED)
def test_the_naive_comparison_shows_the_partners_selection(effects, code):
    """Partners pick men, the young and short benefit durations, who leave for work more often
    anyway: all statushouders on bijstand in the same months leave less often than the matched
    controls, so the naive figure overstates every work initiative's effect."""
    e = effects.estimate(code, "werk", 12)
    assert e.naive_share < e.comparison_share - 0.03
