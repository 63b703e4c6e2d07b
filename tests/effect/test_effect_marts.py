"""Acceptance: the three effect marts equal the figures worked out by hand from effect_fixture.py
(its docstring says who is who), every row and every column. The interval on this small fixture
is the bootstrap's (checked for consistency here, for determinism in test_effect_intervals.py);
the analytic interval is worked out by hand below.

Hand computation. Last loaded month L = 2018-02; months_observed = months from s to L.
Matched groups (initiative, s, cell): m participants, n controls, and their exit lags (months from
s to the exit month, only exits of the outcome in question):

  AGROS A1  2016-01 alpha  m=12 n=5  observed 25
            participants werk 2,2,2 (a01-a03), 8,8,8 (a04-a06); studie 4 (a07), 20 (a08)
            controls c01-c04, x1: werk 5 (c01), 14 (c02); studie 1 (c03)
  AGROS A2  2017-01 beta   m=7  n=5  observed 13
            participants b01-b07: werk 3,3 (b01, b02), 10 (b03); studie 6 (b04)
            controls d01-d04 and b08 (starts 2017-02: a later starter): werk 0 (d01), 4 (b08); studie 12 (d02)
  AGROS A3  2017-02 beta   m=1  n=3  observed 12
            participant b08: werk 3; controls d02, d03, d04 (b01-b07 started earlier; d01 left): studie 11 (d02)
  AGROS Ad  2017-12 delta  m=1  n=2  observed 2: participant x1, controls c04, y2; no exits
  AGROS     u1 (2016-01, gamma, observed 25): no control, unmatched
  PASMATCH  2016-06 alpha  m=2  n=12 observed 20
            participants y1 (werk 2), y2; controls a04-a06 (werk 3), a08 (studie 15), a09-a12,
            c01 (werk 0), c02 (werk 9), c04, x1 (z4 started before s: no control; z1 no statushouder)
  PASMATCH  y3 (2016-06, age onbekend, observed 20): unmatched

A group counts at k when k <= observed. Matched participants M(k), AGROS: 21 for k 0..2
(12+7+1+1), 20 for 3..12, 19 at 13 (A1+A2), 12 for 14..24. PASMATCH: 2 for k 0..20.
Comparison numerator C(k) = sum over counting groups of m * (controls with lag <= k) / n.
"""
from __future__ import annotations

from fractions import Fraction as F

import pytest

TOL = 1e-12  # the marts hold doubles; the hand values are exact fractions


def close(actual, expected) -> bool:
    if expected is None:
        return actual is None
    if isinstance(expected, (F, float)):
        return actual is not None and abs(actual - float(expected)) < TOL
    return actual == expected


def assert_rows(actual: list[tuple], expected: list[tuple]) -> None:
    assert len(actual) == len(expected), (len(actual), len(expected))
    for got, want in zip(actual, expected):
        assert all(close(g, w) for g, w in zip(got, want)) and len(got) == len(want), (got, want)


def step(k: int, steps: dict[int, object]):
    """The value of a step function at k: steps maps the first k of each step to its value."""
    return steps[max(s for s in steps if s <= k)]


# --- AGROS, by hand (see the module docstring) ---------------------------------------------------
def agros_matched(k):
    return step(k, {0: 21, 3: 20, 13: 19, 14: 12})


def agros_participant_exits(outcome, k):
    if outcome == "werk":
        # A1: 3 from k=2, 6 from k=8; A2 (k<=13): 2 from 3, 3 from 10; A3 (k<=12): 1 from 3
        return step(k, {0: 0, 2: 3, 3: 6, 8: 9, 10: 10, 13: 9, 14: 6})
    # A1: 1 from 4 (a07), 2 from 20 (a08); A2 (k<=13): 1 from 6 (b04)
    return step(k, {0: 0, 4: 1, 6: 2, 14: 1, 20: 2})


def agros_comparison_numerator(outcome, k):
    if outcome == "werk":
        # A1: 12/5 * (c01 from 5, c02 from 14); A2 (k<=13): 7/5 * (d01 from 0, b08 from 4); A3: none
        return step(k, {0: F(7, 5), 4: F(14, 5), 5: F(12, 5) + F(14, 5), 14: F(24, 5)})
    # A1: 12/5 * c03 from 1; A2 (k<=13): 7/5 * d02 from 12; A3 (k<=12): 1/3 * d02 from 11
    return step(k, {0: F(0), 1: F(12, 5), 11: F(12, 5) + F(1, 3), 12: F(12, 5) + F(7, 5) + F(1, 3),
                    13: F(12, 5) + F(7, 5), 14: F(12, 5)})


# --- PASMATCH ---------------------------------------------------------------------------------
def pasmatch_participant_exits(outcome, k):
    return step(k, {0: 0, 2: 1}) if outcome == "werk" else 0  # y1 werk at 2


def pasmatch_comparison_numerator(outcome, k):
    # 2/12 * controls with the exit: werk c01 (0), a04-a06 (3), c02 (9); studie a08 (15)
    if outcome == "werk":
        return F(2, 12) * step(k, {0: 1, 3: 4, 9: 5})
    return F(2, 12) * step(k, {0: 0, 15: 1})


def expected_curve():
    rows = []
    for code, last_k, matched, exits, numerator in (
        ("AGROS", 24, agros_matched, agros_participant_exits, agros_comparison_numerator),
        ("PASMATCH", 20, lambda k: 2, pasmatch_participant_exits, pasmatch_comparison_numerator),
    ):
        for outcome in ("studie", "werk"):
            for k in range(last_k + 1):
                m = matched(k)
                rows.append((code, outcome, k, m, F(exits(outcome, k), m), numerator(outcome, k) / m))
    return rows


def test_initiative_effect_curve_by_hand(query):
    rows = query("""select initiative_code, outcome, months_since_start, matched_participants,
                           participant_share, comparison_share
                    from marts.initiative_effect_curve order by 1, 2, 3""")
    assert_rows(rows, expected_curve())


def test_as_of_month_and_the_curve_status(query):
    """Both marts say the month they are as of (the last loaded benefits month L), and the curve
    says per k whether it has the 20 matched participants of an estimate."""
    import datetime

    for mart in ("initiative_effect", "initiative_effect_curve"):
        assert query(f"select distinct as_of_month from marts.{mart}") == [(datetime.date(2018, 2, 1),)]
    statuses = dict(((code, outcome, k), status) for code, outcome, k, status in query(
        "select initiative_code, outcome, months_since_start, estimate_status from marts.initiative_effect_curve"))
    assert len(statuses) == len(expected_curve())
    for code, outcome, k, m, *_ in expected_curve():
        assert statuses[(code, outcome, k)] == ("estimated" if m >= 20 else "too_few"), (code, outcome, k)


# naive share: per start month the share among statushouders on benefit without an AGROS start in
# or before it (fixture docstring), weighted by the month's matched participants (12, 7, 1).
#   2016-01: 17 eligible (c01-c04, x1, b01-b08, d01-d04); werk within 6: c01, within 12: c01 d01;
#            studie within 6 and 12: c03
#   2017-01: 11 eligible (c02, c04, x1, b08, d01-d04, y2, y3, z3); werk within 6 and 12: c02 d01 b08 z3;
#            studie within 12: d02
#   2017-02: 9 eligible (c02, c04, x1, d02-d04, y2, y3, z3); werk within 6 and 12: c02 z3; studie within 12: d02
NAIVE = {
    ("werk", 6): (12 * F(1, 17) + 7 * F(4, 11) + 1 * F(2, 9)) / 20,
    ("studie", 6): (12 * F(1, 17) + 7 * F(0) + 1 * F(0)) / 20,
    ("werk", 12): (12 * F(2, 17) + 7 * F(4, 11) + 1 * F(2, 9)) / 20,
    ("studie", 12): (12 * F(1, 17) + 7 * F(1, 11) + 1 * F(1, 9)) / 20,
}


def test_initiative_effect_by_hand(query):
    rows = query("""select initiative_code, outcome, horizon_months, participants, matched_participants, controls,
                           participant_share, comparison_share, naive_share, effect_pp, estimate_status
                    from marts.initiative_effect order by 1, 2, 3""")
    expected = []
    for outcome in ("studie", "werk"):
        for h in (6, 12):
            # participants: the matched (k = 6, 12: 20) and u1; controls: c01-c04, x1, d01-d04, b08
            p = F(agros_participant_exits(outcome, h), 20)
            c = agros_comparison_numerator(outcome, h) / 20
            expected.append(("AGROS", outcome, h, 21, 20, 10, p, c, NAIVE[(outcome, h)], 100 * (p - c), "estimated"))
        # h = 24: only A1 (12 matched, too few) and u1; controls c01-c04, x1
        expected.append(("AGROS", outcome, 24, 13, 12, 5, None, None, None, None, "too_few"))
    for outcome in ("studie", "werk"):
        for h in (6, 12):  # y1, y2 matched, y3 not; 12 controls; observed 20 < 24: no row at 24
            expected.append(("PASMATCH", outcome, h, 3, 2, 12, None, None, None, None, "too_few"))
    assert_rows(rows, expected)
    # the values, spelled out: werk at 6: p = 6/20, c = 5.2/20, effect 4 pp; at 12: 10/20 vs 5.2/20
    assert [round(r[9], 9) for r in rows[:6] if r[9] is not None] == [-2.0, -10.666666667, 4.0, 24.0]


def test_initiative_effect_interval_columns(query):
    rows = query("""select initiative_code, horizon_months, estimate_status, interval_method,
                           effect_pp, effect_ci_low_pp, effect_ci_high_pp
                    from marts.initiative_effect order by initiative_code, outcome, horizon_months""")
    for code, h, status, method, effect, low, high in rows:
        if status == "too_few":
            assert (method, low, high) == (None, None, None)
        else:
            # AGROS has 1,000 records at most: within the budget, so the bootstrap ran
            assert method == "bootstrap", (code, h)
            assert low <= effect <= high, (code, h, low, effect, high)
            assert -100 <= low < high <= 100


def test_initiative_effect_population_by_hand(query):
    rows = query("select * from marts.initiative_effect_population order by initiative_code")
    by_code = {r[0]: r[1:] for r in rows}
    # persons_started, not_statushouder, started_after_last_month, no_benefits_delivery_in_start_month,
    # not_on_benefit_in_start_month, participants, matched_participants, participants_age_unknown
    assert by_code.pop("AGROS") == (22, 0, 0, 0, 0, 22, 21, 0)      # u1 unmatched
    assert by_code.pop("PASMATCH") == (7, 1, 1, 1, 1, 3, 2, 1)      # z1, z2, z4, z3; y3 unmatched, no age
    assert by_code.pop("TIMNIT") == (1, 1, 0, 0, 0, 0, 0, 0)        # only z1: no participant, no effect row
    assert len(by_code) == 10 and set(by_code.values()) == {(0,) * 8}  # every other coded initiative


# Analytic interval of AGROS at h = 6, by hand (int_effect_analytic). Each person's influence,
# times M = 20: participant y - cbar_g - effect, control -(m_g/n_g)(y - cbar_g), summed per person.
#   werk, effect 0.04; cbar: A1 1/5, A2 2/5, A3 0
#     a01-a03  1 - 0.2 - 0.04 = 0.76        a04-a12 (9)  -0.24
#     c01      -2.4 * 0.8 = -1.92           c02-c04, x1  -2.4 * -0.2 = 0.48
#     b01, b02 1 - 0.4 - 0.04 = 0.56        b03-b07 (5)  -0.44
#     d01      -1.4 * 0.6 = -0.84           d02-d04      -1.4 * -0.4 + 0 (A3: y = cbar = 0) = 0.56
#     b08      control in A2 -0.84, participant in A3 1 - 0 - 0.04 = 0.96: 0.12
#   sum of squares 10.1152 -> variance 10.1152 / 400
#   studie, effect -0.02; cbar: A1 1/5, A2 0, A3 0
#     a07 0.82, a01-a06 a08-a12 (11) -0.18; c03 -1.92, c01 c02 c04 x1 0.48;
#     b04 1.02, b01-b03 b05-b07 (6) 0.02; A2 and A3 controls 0; b08 0.02
#   sum of squares 6.68 -> variance 6.68 / 400
HAND_VARIANCE = {("werk", 6): (F(4, 100), F(101152, 10000) / 400), ("studie", 6): (F(-2, 100), F(668, 100) / 400)}


def test_analytic_interval_by_hand(query):
    rows = query("""select outcome, horizon_months, effect, variance, ci_low, ci_high from intermediate.int_effect_analytic
                    where initiative_code = 'AGROS' and horizon_months = 6 order by outcome""")
    assert len(rows) == 2
    for outcome, h, effect, variance, low, high in rows:
        hand_effect, hand_variance = HAND_VARIANCE[(outcome, h)]
        assert close(effect, hand_effect) and abs(variance - float(hand_variance)) < 1e-12
        half = 1.959963984540054 * float(hand_variance) ** 0.5
        assert low == pytest.approx(float(hand_effect) - half, abs=1e-12)
        assert high == pytest.approx(float(hand_effect) + half, abs=1e-12)
