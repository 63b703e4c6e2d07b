"""Which months block publication, and how far publication may go."""
from orchestration.quality.blocking import blocking_months, publishable_through, record_check_results, waiting_months
from orchestration.quality.file_rules import run_file_rules
from orchestration.quality.outcomes import CheckOutcome

from quality_helpers import NEXT_YEAR, YESTERDAY, add_benefits, add_delivery, add_trajectories, add_waiver, observe


def land_months(con, months, persons=100):
    for month in months:
        add_benefits(con, month, range(persons))


def test_nothing_delivered_publishes_nothing(con):
    assert blocking_months(con) == []
    assert publishable_through(con) is None


def test_all_good_publishes_through_the_last_month(con):
    land_months(con, ["2018-01", "2018-02", "2018-03"])
    run_file_rules(con, "uitkeringen", ["2018-01", "2018-02", "2018-03"])
    assert blocking_months(con) == []
    assert publishable_through(con) == "2018-03"


def test_failed_benefits_delivery_blocks_that_month_and_later(con):
    land_months(con, ["2018-01", "2018-02", "2018-04"])
    add_delivery(con, "2018-03", "uitkeringen", status="failed", message="wrong encoding")
    assert blocking_months(con) == ["2018-03"]
    assert publishable_through(con) == "2018-02"


def test_month_without_any_delivery_inside_the_range_waits(con):
    """No benefits delivery is not an error (nothing untrustworthy arrived) but the month waits:
    neither it nor any later month is published."""
    land_months(con, ["2018-01", "2018-03"])
    assert blocking_months(con) == []
    assert waiting_months(con) == ["2018-02"]
    assert publishable_through(con) == "2018-01"


def test_partner_file_without_benefits_delivery_waits(con):
    land_months(con, ["2018-01"])
    add_trajectories(con, "2018-02", "uaf", [1])
    assert blocking_months(con) == []
    assert waiting_months(con) == ["2018-02"]
    assert publishable_through(con) == "2018-01"
    # the benefits delivery arrives: the month is published
    add_benefits(con, "2018-02", range(100))
    assert waiting_months(con) == []
    assert publishable_through(con) == "2018-02"


def test_waiver_lets_publication_pass_a_month_that_never_comes(con):
    land_months(con, ["2018-01", "2018-03"])
    add_waiver(con, "delivery_missing", "uitkeringen 2018-02", NEXT_YEAR)
    assert waiting_months(con) == []
    assert publishable_through(con) == "2018-03"


def test_failed_benefits_redelivery_keeps_the_version_in_force_and_does_not_block(con):
    """A corrupt re-delivery of a month whose earlier version loaded: that version stays in force
    and the month stays publishable (a warning for the steward, not an error)."""
    land_months(con, ["2018-01", "2018-02"])
    add_delivery(con, "2018-02", "uitkeringen", status="failed", message="wrong delimiter")
    assert blocking_months(con) == []
    assert publishable_through(con) == "2018-02"


def test_a_failed_file_that_is_gone_from_raw_blocks_nothing(con):
    land_months(con, ["2018-01", "2018-02"])
    add_delivery(con, "2018-03", "uitkeringen", status="failed", message="not a CSV")
    assert blocking_months(con) == ["2018-03"]
    observe(con, "2018-03", "uitkeringen")  # the next run finds no benefits file: the month waits
    assert blocking_months(con) == []
    assert waiting_months(con) == ["2018-03"]
    assert publishable_through(con) == "2018-02"


def test_failed_partner_file_does_not_block(con):
    land_months(con, ["2018-01", "2018-02"])
    add_delivery(con, "2018-02", "trajecten_uaf", status="failed", message="not a CSV")
    assert blocking_months(con) == []


def test_row_count_error_blocks_warning_does_not(con):
    land_months(con, ["2018-01", "2018-02"])
    add_benefits(con, "2018-03", range(300))  # above double
    run_file_rules(con, "uitkeringen", ["2018-01", "2018-02", "2018-03"])
    assert blocking_months(con) == ["2018-03"]
    assert publishable_through(con) == "2018-02"


def test_first_month_blocked_publishes_nothing(con):
    add_delivery(con, "2018-01", "uitkeringen", status="failed", message="empty file")
    land_months(con, ["2018-02"])
    assert publishable_through(con) is None


def test_mart_invariant_recorded_by_the_pipeline_blocks(con):
    land_months(con, ["2018-01", "2018-02", "2018-03"])
    broken = CheckOutcome(rule="caseload_balance", severity="error", passed=False, month="2018-02", source="marts",
                          description="caseload(M) != caseload(M-1) + new - left")
    record_check_results(con, [broken], origin="mart_invariant")
    assert blocking_months(con) == ["2018-02"]
    assert publishable_through(con) == "2018-01"
    # a later run finds it repaired: the recorded outcome is replaced
    record_check_results(con, [CheckOutcome("caseload_balance", "error", True, "2018-02", "marts", "ok")])
    assert blocking_months(con) == []
    assert con.execute("SELECT count(*) FROM landing.check_results").fetchone()[0] == 1


def test_failed_warn_outcome_never_blocks(con):
    land_months(con, ["2018-01"])
    record_check_results(con, [CheckOutcome("some_invariant", "warn", False, "2018-01", "marts", "off")])
    assert blocking_months(con) == []


def test_error_severity_expectation_blocks(con):
    land_months(con, ["2018-01", "2018-02"])
    con.execute(
        """INSERT INTO landing.expectation_results (delivery_month, source, suite_name, expectation_type, column_name,
               rule, severity, success, element_count, unexpected_count, detail, validated_at)
           VALUES (DATE '2018-02-01', 'uitkeringen', 'suite', 'expect_table_columns_to_match_set', NULL,
                   'required_columns', 'error', false, 10, NULL, 'bsn missing', now())"""
    )
    assert blocking_months(con) == ["2018-02"]


def test_active_waiver_unblocks_expired_waiver_blocks_again(con):
    land_months(con, ["2018-01", "2018-02"])
    add_benefits(con, "2018-03", range(10))
    add_delivery(con, "2018-04", "uitkeringen", status="failed", message="unreadable")
    run_file_rules(con, "uitkeringen", ["2018-03", "2018-04"])
    assert blocking_months(con) == ["2018-03", "2018-04"]
    add_waiver(con, "row_count_vs_previous_month", "uitkeringen 2018-03", NEXT_YEAR)
    add_waiver(con, "benefits_delivery_unusable", "uitkeringen 2018-04", NEXT_YEAR)
    assert blocking_months(con) == []
    assert publishable_through(con) == "2018-04"
    con.execute("UPDATE landing.dq_waivers SET valid_until = ? WHERE rule_id = 'row_count_vs_previous_month'", [YESTERDAY])
    assert blocking_months(con) == ["2018-03"]
    assert publishable_through(con) == "2018-02"


def test_waiver_for_another_record_does_not_apply(con):
    land_months(con, ["2018-01"])
    add_delivery(con, "2018-02", "uitkeringen", status="failed", message="unreadable")
    add_waiver(con, "benefits_delivery_unusable", "uitkeringen 2018-01", NEXT_YEAR)
    add_waiver(con, "row_count_vs_previous_month", "uitkeringen 2018-02", NEXT_YEAR)
    assert blocking_months(con) == ["2018-02"]


def test_waiver_with_the_key_the_worklist_shows_applies_in_every_month(con):
    """A steward copies the record_key of the failed expectation from dq_issues / the worklist."""
    land_months(con, ["2018-01"])
    add_benefits(con, "2018-02", range(10))
    add_benefits(con, "2018-03", range(100))
    outcomes = run_file_rules(con, "uitkeringen", ["2018-02", "2018-03"])
    assert blocking_months(con) == ["2018-02", "2018-03"]
    issue_key = next(o for o in outcomes if o.rule == "row_count_vs_previous_month").metadata["issue_key"]
    assert issue_key == "uitkeringen: suite=file_rules.uitkeringen; expectation=expect_table_row_count_to_be_between"
    add_waiver(con, "row_count_vs_previous_month", issue_key, NEXT_YEAR)
    assert blocking_months(con) == []
    rerun = run_file_rules(con, "uitkeringen", ["2018-02"])
    assert next(o for o in rerun if o.rule == "row_count_vs_previous_month").metadata["waived"]
    con.execute("UPDATE landing.dq_waivers SET valid_until = ?", [YESTERDAY])
    assert blocking_months(con) == ["2018-02", "2018-03"]


def test_blocking_reads_through_a_read_only_connection(con):
    import duckdb

    land_months(con, ["2018-01"])
    add_delivery(con, "2018-02", "uitkeringen", status="failed", message="unreadable")
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    con.close()
    reader = duckdb.connect(path, read_only=True)
    try:
        assert blocking_months(reader) == ["2018-02"]
        assert publishable_through(reader) == "2018-01"
    finally:
        reader.close()


def test_invariants_recorded_with_replace_all_forget_failures_that_are_gone(con):
    land_months(con, ["2018-01", "2018-02", "2018-03"])
    record_check_results(con, [CheckOutcome("caseload_balance", "error", False, "2018-03", "marts", "off by 2")],
                         replace_all=True)
    assert blocking_months(con) == ["2018-03"]
    record_check_results(con, [], origin="mart_invariant", replace_all=True)  # this run: every invariant holds
    assert blocking_months(con) == []
    # another origin is untouched
    add_benefits(con, "2018-04", range(10))
    run_file_rules(con, "uitkeringen", ["2018-04"])
    record_check_results(con, [], origin="mart_invariant", replace_all=True)
    assert blocking_months(con) == ["2018-04"]
