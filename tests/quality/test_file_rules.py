"""File-level rules on landed data: each rule on a fixture that triggers it and one that must not."""
import json

import pytest

from orchestration.quality.file_rules import run_file_rules

from quality_helpers import NEXT_YEAR, YESTERDAY, add_benefits, add_delivery, add_simple, add_trajectories, add_waiver, pid


def by_rule(outcomes, rule, month=None, source=None):
    found = [o for o in outcomes if o.rule == rule and (month is None or o.month == month) and (source is None or o.source == source)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "rows_now, passed",
    [(100, True), (50, True), (49, False), (200, True), (201, False)],
)
def test_benefits_row_count_against_previous_month_is_an_error(con, rows_now, passed):
    add_benefits(con, "2018-03", range(100))
    add_benefits(con, "2018-04", range(rows_now))
    outcome = by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month")
    assert outcome.severity == "error"
    assert outcome.passed is passed
    assert outcome.metadata["previous_rows"] == 100 and outcome.metadata["previous_month"] == "2018-03"
    assert outcome.metadata["rows"] == rows_now
    verdict = "within" if passed else ("below half of" if rows_now < 100 else "above double")
    assert outcome.description == (f"uitkeringen 2018-04: {rows_now} rows landed, {verdict} the 100 of 2018-03 "
                                   "(allowed 50 to 200)")


def test_row_count_compares_with_the_previous_delivered_month_not_the_calendar_month(con):
    add_benefits(con, "2018-01", range(100))
    add_benefits(con, "2018-03", range(45))  # 2018-02 was never delivered
    outcome = by_rule(run_file_rules(con, "uitkeringen", ["2018-03"]), "row_count_vs_previous_month")
    assert not outcome.passed and outcome.metadata["previous_month"] == "2018-01"


def test_first_month_has_nothing_to_compare(con):
    add_benefits(con, "2018-01", range(10))
    outcome = by_rule(run_file_rules(con, "uitkeringen", ["2018-01"]), "row_count_vs_previous_month")
    assert outcome.passed and outcome.metadata["previous_month"] is None


@pytest.mark.parametrize("kind", ["brp", "klantbeeld", "formatie"])
def test_row_count_of_other_sources_is_a_warning(con, kind):
    add_simple(con, kind, "2018-03", 10)
    add_simple(con, kind, "2018-04", 30)
    outcome = by_rule(run_file_rules(con, kind, ["2018-04"]), "row_count_vs_previous_month")
    assert not outcome.passed and outcome.severity == "warn"
    add_simple(con, kind, "2018-05", 40)
    assert by_rule(run_file_rules(con, kind, ["2018-05"]), "row_count_vs_previous_month").passed


def test_benefit_and_person_unique_per_month(con):
    add_benefits(con, "2018-03", range(20), duplicate_ids=3)  # 3 couples: one benefit id, two persons
    add_benefits(con, "2018-04", range(20))
    con.execute("""INSERT INTO landing.uitkeringen SELECT * REPLACE (row_number + 100 AS row_number)
                   FROM landing.uitkeringen WHERE delivery_month = DATE '2018-04-01' AND row_number <= 3""")
    outcomes = run_file_rules(con, "uitkeringen", ["2018-03", "2018-04"])
    assert by_rule(outcomes, "benefit_key_not_unique", "2018-03").passed
    bad = by_rule(outcomes, "benefit_key_not_unique", "2018-04")
    assert not bad.passed and bad.severity == "warn"
    assert bad.metadata["unexpected_count"] == 6  # GX counts every row of a duplicated key: 3 pairs


def test_trajectory_key_unique_per_delivery(con):
    add_trajectories(con, "2018-03", "uaf", [1, 2, 3])
    add_trajectories(con, "2018-03", "uaf", [3])  # person 3 twice with the same key
    add_trajectories(con, "2018-03", "agros", [1, 2, 3])  # same persons at another partner: other trajectories
    add_trajectories(con, "2018-03", "timnit", [1], aanmelddatum="2018-01-15")
    add_trajectories(con, "2018-03", "timnit", [1], aanmelddatum="2018-02-15")  # another registration date
    outcomes = run_file_rules(con, "trajecten", ["2018-03"])
    assert not by_rule(outcomes, "trajectory_key_not_unique", source="trajecten_uaf").passed
    assert by_rule(outcomes, "trajectory_key_not_unique", source="trajecten_agros").passed
    assert by_rule(outcomes, "trajectory_key_not_unique", source="trajecten_timnit").passed


def test_partner_persons_must_be_known_in_some_benefits_delivery(con):
    add_benefits(con, "2018-01", range(1, 5))
    add_benefits(con, "2018-02", range(1, 3))  # persons 3 and 4 only in an earlier month: still known
    add_trajectories(con, "2018-02", "uaf", [1, 3, 4])
    add_trajectories(con, "2018-02", "agros", [2, 8, 9])
    outcomes = run_file_rules(con, "trajecten", ["2018-02"])
    assert by_rule(outcomes, "partner_client_unknown", source="trajecten_uaf").passed
    unknown = by_rule(outcomes, "partner_client_unknown", source="trajecten_agros")
    assert not unknown.passed and unknown.severity == "warn"
    assert unknown.metadata["unknown_persons"] == 2
    assert set(unknown.metadata["examples"]) == {pid(8), pid(9)}


def test_partner_person_waived_by_pseudonym(con):
    add_benefits(con, "2018-02", range(1, 3))
    add_trajectories(con, "2018-02", "agros", [1, 8])
    add_waiver(con, "partner_client_unknown", f"2018-02/trajecten_agros.csv row 2 ({pid(8)})", NEXT_YEAR)
    assert by_rule(run_file_rules(con, "trajecten", ["2018-02"]), "partner_client_unknown").passed
    con.execute("UPDATE landing.dq_waivers SET valid_until = ?", [YESTERDAY])
    assert not by_rule(run_file_rules(con, "trajecten", ["2018-02"]), "partner_client_unknown").passed


def test_benefits_delivery_unusable_only_when_no_version_is_in_force(con):
    add_benefits(con, "2018-01", range(10))
    add_delivery(con, "2018-02", "uitkeringen", status="failed", message="required column bsn missing")
    add_delivery(con, "2018-03", "brp")  # no benefits file at all
    add_benefits(con, "2018-04", range(10))
    add_delivery(con, "2018-04", "uitkeringen", status="failed", message="wrong delimiter")  # a corrupt re-delivery
    outcomes = run_file_rules(con, "uitkeringen", ["2018-01", "2018-02", "2018-03", "2018-04"])
    assert by_rule(outcomes, "benefits_delivery_unusable", "2018-01").passed
    failed = by_rule(outcomes, "benefits_delivery_unusable", "2018-02")
    assert not failed.passed and failed.severity == "error" and "required column bsn missing" in failed.description
    # missing: the month waits, which is no error but a warning for the steward
    assert by_rule(outcomes, "benefits_delivery_unusable", "2018-03").passed
    missing = by_rule(outcomes, "delivery_missing", "2018-03")
    assert not missing.passed and missing.severity == "warn" and "waits for it" in missing.description
    # a failed re-delivery: the version loaded earlier stays in force, a warning
    assert by_rule(outcomes, "benefits_delivery_unusable", "2018-04").passed
    kept = by_rule(outcomes, "delivery_failed", "2018-04")
    assert not kept.passed and kept.severity == "warn" and "wrong delimiter" in kept.description
    assert [o.rule for o in outcomes if not o.passed and o.month == "2018-01"] == []


def test_a_good_redelivery_after_a_failed_one_counts(con):
    import datetime as dt

    add_delivery(con, "2018-02", "uitkeringen", status="failed", message="not a CSV", loaded_at=dt.datetime(2018, 3, 1))
    add_benefits(con, "2018-02", range(10))  # loaded later
    assert by_rule(run_file_rules(con, "uitkeringen", ["2018-02"]), "benefits_delivery_unusable").passed


def test_outcomes_are_stored_and_replaced(con):
    add_benefits(con, "2018-03", range(100))
    add_benefits(con, "2018-04", range(10))
    run_file_rules(con, "uitkeringen", ["2018-04"])
    run_file_rules(con, "uitkeringen", ["2018-04"])
    rows = con.execute(
        "SELECT rule, severity, passed, record_key, metadata FROM landing.check_results "
        "WHERE delivery_month = DATE '2018-04-01' ORDER BY rule"
    ).fetchall()
    assert [(r[0], r[2]) for r in rows] == [
        ("benefit_key_not_unique", True),
        ("benefits_delivery_unusable", True),
        ("row_count_vs_previous_month", False),
    ]
    assert rows[2][3] == "uitkeringen 2018-04" and json.loads(rows[2][4])["previous_rows"] == 100
    gx_rows = con.execute(
        "SELECT suite_name, rule, success FROM landing.expectation_results ORDER BY rule"
    ).fetchall()
    assert gx_rows == [("file_rules.uitkeringen", "benefit_key_not_unique", True),
                       ("file_rules.uitkeringen", "row_count_vs_previous_month", False)]


def test_waived_row_count_passes_until_the_waiver_expires(con):
    add_benefits(con, "2018-03", range(100))
    add_benefits(con, "2018-04", range(10))
    add_waiver(con, "row_count_vs_previous_month", "uitkeringen 2018-04", NEXT_YEAR)
    outcome = by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month")
    assert outcome.passed and outcome.metadata["waived"] and "waived until" in outcome.description
    con.execute("UPDATE landing.dq_waivers SET valid_until = ?", [YESTERDAY])
    assert not by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month").passed


def test_results_of_removed_deliveries_are_forgotten(con):
    add_benefits(con, "2018-03", range(5))
    add_trajectories(con, "2018-03", "uaf", [1, 2])
    add_trajectories(con, "2018-03", "agros", [1, 9])
    run_file_rules(con, "trajecten", ["2018-03"])
    sources = "SELECT DISTINCT source FROM {} ORDER BY 1"
    # (the delivery rules describe what raw/ holds, not landed rows: tests/quality/test_month_state.py)
    of_rows = "landing.check_results WHERE source LIKE 'trajecten%' AND rule NOT LIKE 'delivery_%'"
    assert con.execute(sources.format(of_rows)).fetchall() == [("trajecten_agros",), ("trajecten_uaf",)]
    con.execute("DELETE FROM landing.trajecten WHERE source = 'trajecten_agros'")
    run_file_rules(con, "trajecten", ["2018-03"])
    assert con.execute(sources.format(of_rows)).fetchall() == [("trajecten_uaf",)]
    assert con.execute(sources.format("landing.expectation_results")).fetchall() == [("trajecten_uaf",)]
    # the benefits outcomes of the same month are another kind's: untouched
    run_file_rules(con, "uitkeringen", ["2018-03"])
    run_file_rules(con, "trajecten", ["2018-03"])
    assert con.execute("SELECT count(*) FROM landing.check_results WHERE source = 'uitkeringen'").fetchone()[0] == 3


def test_a_delivery_is_validated_again_only_when_what_it_reads_changed(con):
    add_benefits(con, "2018-03", range(100))
    add_benefits(con, "2018-04", range(45))
    validated_at = "SELECT DISTINCT validated_at FROM landing.expectation_results WHERE delivery_month = DATE '2018-04-01'"
    assert not by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month").passed
    (first,) = con.execute(validated_at).fetchall()
    # nothing changed: the recorded results stand
    assert not by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month").passed
    assert con.execute(validated_at).fetchall() == [first]
    # the previous month was delivered again with 80 rows: April's bounds are now 40..160
    con.execute("DELETE FROM landing.uitkeringen WHERE delivery_month = DATE '2018-03-01'")
    add_benefits(con, "2018-03", range(80))
    assert by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month").passed
    (second,) = con.execute(validated_at).fetchall()
    assert second[0] > first[0]


def test_a_benefits_delivery_whose_every_row_was_quarantined_fails_the_row_count(con):
    """A month folder renamed to another month: every benefits row is in the wrong month, 0 rows
    land. That is below half of the previous month: an error, not an empty month published."""
    add_benefits(con, "2018-03", range(100))
    con.execute("""INSERT INTO landing.deliveries VALUES (DATE '2018-04-01', 'uitkeringen', '2018-04/uitkeringen.csv',
                   'h2', 100, 'loaded', 100, 0, 100, NULL, now())""")
    outcome = by_rule(run_file_rules(con, "uitkeringen", ["2018-04"]), "row_count_vs_previous_month")
    assert not outcome.passed and outcome.severity == "error" and outcome.metadata["rows"] == 0
