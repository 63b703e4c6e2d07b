"""Reruns and re-deliveries. Chain `rerun`: the last month run again (nothing changed), then uaf
re-delivers that month's file (same name, one trajectory changed, newer mtime) and the month is run
again. Chain `kill` ends with a run over all months, on the same deliveries as the good run."""
from __future__ import annotations

from reliability_helpers import MONTHS, query


def _diff(expected: dict, actual: dict) -> list[str]:
    return [name for name in sorted(set(expected) | set(actual)) if expected.get(name) != actual.get(name)]


def test_the_same_month_twice_gives_identical_marts_and_publication(scenarios, good_run):
    chain = scenarios["rerun"].wait()
    result = chain.steps["same_month"]
    assert result.rc == 0, result.describe()
    # initiative_effect counts a participant only 6 months after the start: the 3 months of these
    # deliveries hold none (its curve does), so the comparison of that mart is empty on purpose
    filled = {name: rows for name, rows in good_run.marts.items() if name != "initiative_effect"}
    assert filled and all(filled.values()), "the marts of the good run are empty"
    assert _diff(good_run.marts, chain.steps["marts_after_same_month"]) == []
    assert _diff(good_run.published, chain.steps["published_after_same_month"]) == []
    # the byte-identical files were recognised as such and not loaded again
    per_source = chain.steps["deliveries_after_same_month"]
    assert per_source and all(loaded == 1 and unchanged == 1 for _, loaded, unchanged in per_source), per_source


def test_all_months_twice_gives_identical_marts_and_publication(scenarios, good_run):
    chain = scenarios["kill"].wait()
    result = chain.steps["after_kills"]
    assert result.rc == 0, result.describe()
    assert _diff(good_run.marts, chain.steps["marts_after_kills"]) == []
    assert _diff(good_run.published, chain.steps["published_after_kills"]) == []


def test_a_redelivered_partner_file_replaces_that_partner_month_and_nothing_else(scenarios):
    chain = scenarios["rerun"].wait()
    result = chain.steps["redelivery"]
    assert result.rc == 0, result.describe()
    before, after = chain.steps["landing_before_redelivery"], chain.steps["landing_after_redelivery"]
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    partner_month = ("trajecten", "trajecten_uaf", MONTHS[-1])
    # the partner's month changed (new file hash on every row, one outcome changed) and nothing else
    # in landing, quarantine or row issues did
    assert partner_month in changed
    assert [k for k in changed if k[1:] != partner_month[1:]] == []
    assert len(before[partner_month]) == len(after[partner_month])
    uitkomst = query(chain.ws.warehouse,
                     """SELECT uitkomst, strftime(uitkomstdatum, '%Y-%m-%d') FROM landing.trajecten
                        WHERE source = 'trajecten_uaf' AND strftime(delivery_month, '%Y-%m') = ? AND row_number = 1""",
                     [MONTHS[-1]])
    fields = chain.steps["redelivered_line"].split(",")
    assert uitkomst == [(fields[5], fields[6])]
    deliveries = query(chain.ws.warehouse,
                       """SELECT status, message FROM landing.deliveries WHERE source = 'trajecten_uaf'
                          AND strftime(delivery_month, '%Y-%m') = ? ORDER BY loaded_at""", [MONTHS[-1]])
    assert deliveries[-1][0] == "loaded"
    assert f"replaces the version loaded earlier ({MONTHS[-1]}/trajecten_uaf.csv)" in deliveries[-1][1]
    # only one version of the partner's month is in landing
    hashes = query(chain.ws.warehouse,
                   """SELECT count(DISTINCT file_hash) FROM landing.trajecten WHERE source = 'trajecten_uaf'
                      AND strftime(delivery_month, '%Y-%m') = ?""", [MONTHS[-1]])
    assert hashes == [(1,)]
