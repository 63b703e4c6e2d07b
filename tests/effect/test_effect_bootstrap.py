"""The bootstrap's statistics (orchestration/effect/bootstrap.py) on inputs small enough to know the
exact answer: the estimator on given person weights, the exact bootstrap distribution of a tiny
sample by enumeration, the percentiles, and determinism."""
from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction as F

import numpy as np
import pytest

from orchestration.effect.bootstrap import EffectRecords, bootstrap_effects, effects, percentile_interval
from orchestration.effect.records import within_budget

# Two groups, persons P1 P2 P3 C1 C2 C3 C4 = 0..6 (one estimate, both groups count):
#   g0: participants P1 (y 1), P2 (y 0); controls C1 (y 1), C2 (y 0), C3 (y 0)
#   g1: participant P3 (y 1); controls C1 (y 0: its outcome from g1's month), C4 (y 1)
TWO_GROUPS = EffectRecords(
    person=np.array([0, 1, 3, 4, 5, 2, 3, 6]),
    group=np.array([0, 0, 0, 0, 0, 1, 1, 1]),
    is_participant=np.array([1, 1, 0, 0, 0, 1, 0, 0], dtype=bool),
    outcomes=np.array([[1], [0], [1], [0], [0], [1], [0], [1]], dtype=np.int8),
    counts=np.array([[True], [True]]),
)


@pytest.mark.parametrize("weights, expected", [
    # the sample itself: p = 2/3, c = (2 * 1/3 + 1 * 1/2) / 3 = 7/18
    ([1, 1, 1, 1, 1, 1, 1], F(2, 3) - F(7, 18)),
    # P1 twice, P3 once, C1 once, C3 three times: g0 m 2, exits 2, controls 4 with 1 exit;
    # g1 m 1, exit 1, controls C1 only (y 0): p = 3/3, c = (2 * 1/4 + 1 * 0) / 3
    ([2, 0, 1, 1, 0, 3, 0], 1 - F(1, 6)),
    # g1 loses both controls: P3 is unmatched and drops out; g0: p = 1/2, controls C2 C3, c = 0
    ([1, 1, 1, 0, 1, 1, 0], F(1, 2)),
    # no participant drawn: no value
    ([0, 0, 0, 1, 1, 1, 1], None),
])
def test_effect_on_person_weights(weights, expected):
    (value,), = effects(TWO_GROUPS, np.array([weights]))
    if expected is None:
        assert np.isnan(value)
    else:
        assert value == pytest.approx(float(expected), abs=1e-15)


def test_a_group_that_does_not_count_is_left_out():
    only_g0 = EffectRecords(TWO_GROUPS.person, TWO_GROUPS.group, TWO_GROUPS.is_participant,
                            TWO_GROUPS.outcomes, np.array([[True], [False]]))
    (value,), = effects(only_g0, np.ones((1, 7)))
    assert value == pytest.approx(1 / 2 - 1 / 3, abs=1e-15)


# Four persons in one group: participants P1 (y 1), P2 (y 0), controls C1 (y 1), C2 (y 0).
# A resample draws 4 persons with replacement: 4**4 equally likely ordered draws.
TINY = EffectRecords(
    person=np.array([0, 1, 2, 3]), group=np.zeros(4, dtype=int),
    is_participant=np.array([1, 1, 0, 0], dtype=bool), outcomes=np.array([[1], [0], [1], [0]], dtype=np.int8),
    counts=np.array([[True]]),
)


def exact_bootstrap_distribution() -> Counter:
    """P(effect* = v) by enumeration, written independently of the production code: the
    participant mean minus the control mean of the drawn persons; None when a side is empty."""
    outcome = {0: 1, 1: 0, 2: 1, 3: 0}
    dist: Counter = Counter()
    for draw in itertools.product(range(4), repeat=4):
        participants = [outcome[p] for p in draw if p in (0, 1)]
        controls = [outcome[p] for p in draw if p in (2, 3)]
        value = (F(sum(participants), len(participants)) - F(sum(controls), len(controls))
                 if participants and controls else None)
        dist[value] += F(1, 4 ** 4)
    return dist


def test_resampling_reproduces_the_exact_bootstrap_distribution():
    exact = exact_bootstrap_distribution()
    resamples = 20_000
    replicates = bootstrap_effects(TINY, resamples, seed=5, label="TINY")[:, 0]
    observed = Counter(None if np.isnan(v) else F(v).limit_denominator(12) for v in replicates)
    assert set(observed) <= set(exact)
    for value, probability in exact.items():
        # binomial sampling error of a frequency over 20,000 resamples: 4.5 standard deviations
        sd = (float(probability) * (1 - float(probability)) / resamples) ** 0.5
        assert abs(observed[value] / resamples - float(probability)) < 4.5 * sd + 1e-9, value

    # the percentile interval is the exact distribution's 2.5% and 97.5% quantiles (given a value):
    # both have a probability jump well away from 2.5% / 97.5%, so sampling cannot move them
    defined = sorted((v, p / (1 - exact[None])) for v, p in exact.items() if v is not None)
    cumulative = np.cumsum([float(p) for _, p in defined])
    low_exact = defined[int(np.searchsorted(cumulative, 0.025))][0]
    high_exact = defined[int(np.searchsorted(cumulative, 0.975))][0]
    low, high, valid = percentile_interval(replicates[:, None])
    assert (low[0], high[0]) == (float(low_exact), float(high_exact)) == (-1.0, 1.0)
    assert valid[0] == np.isfinite(replicates).sum() < resamples  # resamples without a side are left out


def test_percentiles():
    replicates = np.column_stack([np.arange(101, dtype=float), np.r_[np.arange(100, dtype=float), np.nan]])
    low, high, valid = percentile_interval(replicates)
    # linear interpolation: position 0.025 * (count - 1) -> 2.5 of 0..100 and 2.475 of 0..99
    assert low.tolist() == pytest.approx([2.5, 2.475]) and high.tolist() == pytest.approx([97.5, 96.525])
    assert valid.tolist() == [101, 100]


def test_same_seed_same_bytes_whatever_the_chunking():
    first = bootstrap_effects(TWO_GROUPS, 1000, seed=7, label="AGROS")
    again = bootstrap_effects(TWO_GROUPS, 1000, seed=7, label="AGROS", max_cells=30)  # chunks of 2 resamples
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != bootstrap_effects(TWO_GROUPS, 1000, seed=8, label="AGROS").tobytes()
    assert first.tobytes() != bootstrap_effects(TWO_GROUPS, 1000, seed=7, label="PASMATCH").tobytes()


def test_budget_takes_the_smallest_initiatives_first():
    sizes = {"AGROS": 900, "PASMATCH": 300, "UAF": 300, "TIMNIT": 50}
    assert within_budget(sizes, sizes, 700) == ["PASMATCH", "TIMNIT", "UAF"]
    assert within_budget(sizes, sizes, 400) == ["PASMATCH", "TIMNIT"]
    assert within_budget(sizes, sizes, 0) == []
