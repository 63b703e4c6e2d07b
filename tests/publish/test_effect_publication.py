"""Publication of the rendement (initiative_effect, initiative_effect_curve): as of its month,
estimates only where estimated, the curve every third month from 20 matched participants on,
and suppression that also covers the counts a reader gets by subtraction and the counts a share
gives back as its denominator."""
from __future__ import annotations

import pandas as pd
import pytest

from attacker import Published, denominators, disclosed, identities, recoverable
from marts_fixture import write_warehouse
from orchestration.publish import publish
from orchestration.publish.suppression import RELATIONS, Ratio, apply_suppression
from orchestration.publish.tables import EFFECT_ESTIMATE
from test_suppression import _frames, _read_published

EFFECT_TABLES = ("initiative_effect", "initiative_effect_curve")


@pytest.fixture(scope="module")
def published(panel_marts, tmp_path_factory):
    root = tmp_path_factory.mktemp("effect")
    result = publish(write_warehouse(root / "monitor.duckdb", panel_marts), root / "out", None)
    return result, _read_published(result.published_file)


def test_published_only_when_the_month_it_is_as_of_is(panel_marts, tmp_path):
    """The estimate reads every month up to its as_of_month (2018-12 here): a publication that
    stops earlier (a later month has an error) leaves it out instead of publishing figures
    computed from an unpublished month."""
    warehouse = write_warehouse(tmp_path / "monitor.duckdb", panel_marts)
    earlier = publish(warehouse, tmp_path / "earlier", "2018-11")
    assert earlier.row_counts["initiative_effect"] == earlier.row_counts["initiative_effect_curve"] == 0
    assert earlier.row_counts["caseload_monthly"] == 23
    full = publish(warehouse, tmp_path / "full", "2018-12")
    tables = _read_published(full.published_file)
    for name in EFFECT_TABLES:
        assert len(tables[name]) > 0
        assert set(pd.to_datetime(tables[name].as_of_month).dt.date.astype(str)) == {"2018-12-01"}


def test_estimates_only_where_estimated_and_the_curve_every_third_month(published, panel_marts):
    _, tables = published
    effect = tables["initiative_effect"]
    assert set(effect.estimate_status) == {"estimated", "too_few"}
    too_few = effect[effect.estimate_status == "too_few"]
    assert too_few[list(EFFECT_ESTIMATE) + ["interval_method"]].isna().all().all()
    assert not too_few[[f"{c}_suppressed" for c in EFFECT_ESTIMATE]].any().any()  # not hidden: not estimated

    curve = tables["initiative_effect_curve"]
    mart = panel_marts["initiative_effect_curve"]
    assert set(curve.months_since_start) == set(range(0, 25, 3))
    assert len(curve) == (mart.months_since_start % 3 == 0).sum()
    merged = curve.merge(mart, on=["initiative_code", "outcome", "months_since_start"], suffixes=("", "_mart"))
    below = merged[merged.matched_participants_mart < 20]
    assert len(below) > 0 and below.participant_share.isna().all() and below.comparison_share.isna().all()
    assert (below.estimate_status == "too_few").all()
    shown = merged[(merged.matched_participants_mart >= 20) & ~merged.participant_share_suppressed]
    assert len(shown) > 0
    assert (shown.participant_share == shown.participant_share_mart).all()
    assert (shown.comparison_share == shown.comparison_share_mart).all()


def test_small_counts_and_what_subtraction_gives_back_are_hidden(published, panel_marts):
    result, tables = published
    assert result.suppressed_cells["initiative_effect"] > 0 and result.suppressed_cells["initiative_effect_curve"] > 0
    effect = tables["initiative_effect"]
    mart = panel_marts["initiative_effect"]
    merged = effect.merge(mart, on=["initiative_code", "outcome", "horizon_months"], suffixes=("", "_mart"))
    unmatched = merged.participants_mart - merged.matched_participants_mart
    small = merged[unmatched.between(1, 4)]
    assert len(small) > 0  # the fixture has them: participants - matched would give 1..4 persons
    assert (small.participants_suppressed | small.matched_participants_suppressed).all()
    # werk and studie rows show the same counts (hidden together)
    for column in ("participants", "matched_participants", "controls"):
        flags = effect.groupby(["initiative_code", "horizon_months"])[f"{column}_suppressed"].nunique()
        assert (flags == 1).all(), column
    pub = Published(tables)
    assert disclosed(pub, recoverable(pub, identities(pub, kinds=("effect",)))) == {}
    # what the suppression protected: the unmatched of those rows, and steps of the curve
    protected = apply_suppression(_frames(panel_marts)).protected_parts
    assert {c[2] for c in protected} >= {"unmatched_participants", "matched_participants_step"}


def test_a_hidden_count_hides_the_estimate_computed_over_it(published, panel_marts):
    """An exact share a/n gives n back (its denominator): the shares and effects are hidden with
    matched_participants. Without that rule the attack recovers hidden counts; with it, nothing."""
    frames = _frames(panel_marts)
    without = [r for r in RELATIONS if not (isinstance(r, Ratio) and r.table in EFFECT_TABLES)]
    weak = Published(apply_suppression(frames, relations=without).frames)
    found = denominators(weak)
    assert found, "the denominator attack found nothing in output without the ratio rule"
    curve = panel_marts["initiative_effect_curve"]
    for (table, key, _), value in found.items():
        row = curve[(curve.initiative_code == key[1]) & (curve.outcome == key[2]) & (curve.months_since_start == key[3])]
        assert table == "initiative_effect_curve" and value == row.matched_participants.iloc[0]

    _, tables = published
    for name, shares in (("initiative_effect", EFFECT_ESTIMATE), ("initiative_effect_curve",
                                                                  ("participant_share", "comparison_share"))):
        df = tables[name]
        hidden = df[df.matched_participants_suppressed]
        assert len(hidden) > 0 and hidden[list(shares)].isna().all().all()
        # flagged where there was an estimate to hide; a too_few row has none (NULL, not suppressed)
        for column in shares:
            assert (hidden[f"{column}_suppressed"] == (hidden.estimate_status == "estimated")).all(), (name, column)
        if name == "initiative_effect_curve":
            assert (hidden.estimate_status == "estimated").any()
    assert denominators(Published(tables)) == {}
