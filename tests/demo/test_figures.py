"""The memo's figures, recomputed from the generated files by the independent checker."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker import compare, load_memo, memo_figures, oldest_partner_files, read_deliveries

MEMO_COPY = Path(__file__).parent / "memo_figures.csv"
MEMO_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "memo_figures.csv"


def test_memo_copy_is_the_spec():
    if not MEMO_SPEC.exists():
        pytest.skip("the shared specs are not beside this checkout")
    assert MEMO_COPY.read_bytes() == MEMO_SPEC.read_bytes()


def test_haarlem_reproduces_every_memo_figure(haarlem_frames):
    figures = memo_figures(haarlem_frames)
    memo = load_memo(MEMO_COPY)
    assert compare(figures, memo) == []
    assert {row["id"] for row in memo} <= figures.keys()
    # the memo's split of HBO/WO starts by year, which its start_hbo_wo row states in words
    assert (figures["start_hbo_wo_2016"], figures["start_hbo_wo_2017"], figures["start_hbo_wo_2018"]) == (2, 14, 13)


def test_haarlem_marker_states_what_the_files_give(haarlem_demo, haarlem_frames):
    marker = json.loads((haarlem_demo[0] / ".statmon-demo").read_text(encoding="utf-8"))
    assert memo_figures(haarlem_frames) == marker["figures"]


def test_small_scale_gives_the_figures_its_marker_states(small_demo, small_frames):
    """At scale 0.1 every count is the memo's, scaled and rounded: the same construction."""
    frames = small_frames
    marker = json.loads((small_demo[0] / ".statmon-demo").read_text(encoding="utf-8"))
    assert memo_figures(frames) == marker["figures"]


def test_reading_the_superseded_partner_file_would_break_a_figure(small_demo):
    """The re-delivered Timnit month matters: a pipeline that kept the first version would count a
    stage that never was (werk_stageplaatsen one too high)."""
    marker = json.loads((small_demo[0] / ".statmon-demo").read_text(encoding="utf-8"))
    frames = read_deliveries(small_demo[0], choose=oldest_partner_files)
    assert memo_figures(frames)["werk_stageplaatsen"] == marker["figures"]["werk_stageplaatsen"] + 1


def test_figures_hold_by_construction_for_another_seed_and_scale(workdir):
    """Not a lucky seed: another seed at another scale gives exactly the figures its marker states."""
    from orchestration.demo import generate

    out = workdir / "seed7"
    generate(out, scale=0.2, seed=7)
    marker = json.loads((out / ".statmon-demo").read_text(encoding="utf-8"))
    assert memo_figures(read_deliveries(out)) == marker["figures"]
    assert marker["figures"]["statushouders_in_bijstand"] == round(778 * 0.2)
