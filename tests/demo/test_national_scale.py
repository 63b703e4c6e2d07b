"""National scales generate, and calibrate: the benchmark builds its data at scale 100 on a fresh
machine. Regression: from be53cd6 on, every scale from 10 up (and some small ones, e.g. scale 3
seed 11) stopped in calibrate_caseload, because a single of the caseload top-up (settled from
mid-2017) could be joined by a partner before 2018-05 and leave the single class.

One month is written (`--from 2018-05 --to 2018-05`): the world is always simulated from 2014-01,
only the writing is cut, so 2018-05's files are those of a full run."""
from __future__ import annotations

import json

import pytest

from checker import households, on_benefit, read_deliveries, statushouders
from orchestration.demo import generate


@pytest.mark.parametrize("scale, seed", [(10, 42), (10, 7), (100, 42)])
def test_national_scale_holds_the_calibrated_caseload(workdir, scale, seed):
    out = workdir / "raw"
    generate(out, scale=scale, seed=seed, start="2018-05", end="2018-05")
    frames = read_deliveries(out, sources=("uitkeringen", "brp"))
    caseload = on_benefit(frames, "2018-05") & statushouders(frames)
    split = households(frames, "2018-05", caseload).value_counts()
    got = (len(caseload), int(split.get("alleenstaand", 0)), int(split.get("gezin", 0)))
    assert got == (round(778 * scale), round(389 * scale), round(778 * scale) - round(389 * scale))
    marker = json.loads((out / ".statmon-demo").read_text(encoding="utf-8"))
    assert marker["figures"]["statushouders_in_bijstand"] == got[0]
