"""What blocks publication: a month with an unwaived `error` blocks itself and every later month.

Errors (mart contract): the benefits delivery of a month unreadable or without its required
columns while no version of the month is in force (orchestration/quality/month_state.py: the files
in raw/ now, not earlier attempts); its row count below half or above double the previous
month's (file rule, landing.check_results); a broken mart invariant (recorded by the pipeline
with `record_check_results(..., origin="mart_invariant")`); any expectation whose suite gives it
severity `error` (landing.expectation_results). A failure whose (rule, record_key) has a waiver
with valid_until >= today does not block; once the waiver expires it blocks again. The record key
is `<source> <YYYY-MM>` (that month only) or, for a GX outcome, the key marts.dq_issues shows for
the failed expectation (every month). A month without a benefits delivery is not an error but *waiting*
(`waiting_months`): it is not published, and neither is any later month. Waivers are
applied when read, so an expiring waiver takes effect without re-running the checks."""
from __future__ import annotations

import datetime as dt
import json

from orchestration.db import ensure_landing_schema, transaction
from orchestration.quality.month_state import (BENEFITS_DELIVERY_RULE, BENEFITS_SOURCE, DELIVERY_RULES, MISSING_RULE,
                                               delivery_outcomes, known_months)
from orchestration.quality.outcomes import CheckOutcome, check_record_key
from orchestration.quality.waivers import active_waivers



def record_key_of(outcome: CheckOutcome) -> str:
    return outcome.metadata.get("record_key") or check_record_key(outcome.source, outcome.month)


def waiver_keys_of(outcome: CheckOutcome) -> list[str]:
    """Keys a waiver may name for this outcome: its month key and, for a GX outcome, the key
    marts.dq_issues shows for the failed expectation (what a steward copies from the worklist)."""
    return [key for key in (record_key_of(outcome), outcome.metadata.get("issue_key")) if key]


def record_check_results(con, outcomes: list[CheckOutcome], origin: str = "mart_invariant", *,
                         replace_all: bool = False, replace_where: str | None = None) -> None:
    """Store outcomes in landing.check_results, replacing earlier ones of the same origin, rule,
    source and month; with replace_all, every earlier outcome of `origin` goes first (for checks
    recomputed over all months in every run, such as the mart invariants after a dbt build: a
    failure that is gone must stop blocking), with replace_where (a SQL predicate) those of
    `origin` it selects. `passed` is stored as it was before waivers (waivers apply when read)."""
    ensure_landing_schema(con)
    now = dt.datetime.now()
    rows = [
        (
            dt.date.fromisoformat(f"{o.month}-01"), o.source, o.rule, o.severity,
            bool(o.passed and not o.metadata.get("waived")), record_key_of(o), o.metadata.get("issue_key"), origin,
            o.description,
            json.dumps(o.metadata, default=str), now,
        )
        for o in outcomes
    ]
    with transaction(con):
        if replace_all or replace_where:
            con.execute(f"DELETE FROM landing.check_results WHERE origin = ? AND ({replace_where or 'TRUE'})", [origin])
        for row in rows:
            con.execute(
                "DELETE FROM landing.check_results WHERE origin = ? AND rule = ? AND source = ? AND delivery_month = ?",
                [origin, row[2], row[1], row[0]],
            )
        if rows:
            con.executemany("INSERT INTO landing.check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def apply_waivers(con, outcomes: list[CheckOutcome]) -> list[CheckOutcome]:
    """Failed outcomes with an active waiver for (rule, record_key) pass, marked as waived."""
    waivers = active_waivers(con)
    applied = []
    for outcome in outcomes:
        waiver = next((waivers[(outcome.rule, key)] for key in waiver_keys_of(outcome) if (outcome.rule, key) in waivers), None)
        if outcome.passed or waiver is None:
            applied.append(outcome)
            continue
        applied.append(
            CheckOutcome(
                rule=outcome.rule, severity=outcome.severity, passed=True, month=outcome.month, source=outcome.source,
                description=f"waived until {waiver['valid_until']} by {waiver['waived_by']} ({waiver['reason']}): {outcome.description}",
                metadata={**outcome.metadata, "waived": True, "waiver": waiver},
            )
        )
    return applied


def benefits_delivery_outcomes(con, months: list[str]) -> list[CheckOutcome]:
    """Per month: can the benefits delivery be used? `error` when the file in raw/ cannot be read
    and no version of the month is in force (orchestration/quality/month_state.py). A missing
    benefits delivery is not an error: the month waits (`waiting_months`)."""
    ensure_landing_schema(con)
    return [o for o in delivery_outcomes(con, months) if o.rule == BENEFITS_DELIVERY_RULE]


def waiting_months(con) -> list[str]:
    """The months (YYYY-MM, ascending) waiting for their benefits delivery: none in raw/ and none in
    force. Not an error, but not published either (nor is any later month); a waiver of
    `delivery_missing` for `uitkeringen <YYYY-MM>` lets publication pass a month that will never come."""
    ensure_landing_schema(con)
    missing = [o for o in delivery_outcomes(con, known_months(con))
               if o.rule == MISSING_RULE and o.source == BENEFITS_SOURCE]
    return sorted(o.month for o in apply_waivers(con, missing) if not o.passed)


def blocking_reasons(con) -> dict[str, list[str]]:
    """Per month (YYYY-MM) with at least one unwaived `error`: what it is, in a steward's words."""
    ensure_landing_schema(con)
    reasons: dict[str, list[str]] = {}
    for o in apply_waivers(con, benefits_delivery_outcomes(con, known_months(con))):
        if not o.passed:
            reasons.setdefault(o.month, []).append(f"{o.source} {o.rule}: {o.description}")
    # the delivery rules are computed above from the present state, never read back from an
    # earlier run's results
    stored = con.execute(
        """
        WITH failures AS (
            SELECT delivery_month, rule, source, record_key, issue_key, description, 1 AS preference
            FROM landing.check_results
            WHERE severity = 'error' AND NOT passed AND rule NOT IN (SELECT unnest(?::VARCHAR[]))
            UNION ALL
            SELECT delivery_month, rule, source, source || ' ' || strftime(delivery_month, '%Y-%m'),
                   source || ': suite=' || suite_name || '; expectation=' || expectation_type
                       || coalesce('; column=' || column_name, ''),  -- = outcomes.expectation_record_key
                   'expectation ' || expectation_type || coalesce(' on ' || column_name, '') || ' failed'
                       || coalesce(': ' || detail, ''), 2
            FROM landing.expectation_results WHERE severity = 'error' AND NOT success
        )
        SELECT strftime(f.delivery_month, '%Y-%m') AS month, f.source, f.rule, f.description FROM failures f
        WHERE NOT EXISTS (
            SELECT 1 FROM landing.dq_waivers w
            WHERE w.rule_id = f.rule AND w.record_key IN (f.record_key, f.issue_key) AND w.valid_until >= current_date
        )
        -- a GX file rule is in both tables: its check result says it in a steward's words
        QUALIFY row_number() OVER (PARTITION BY f.delivery_month, f.source, f.rule ORDER BY f.preference, f.description) = 1
        ORDER BY 1, 2, 3
        """,
        [list(DELIVERY_RULES)],
    ).fetchall()
    for month, source, rule, description in stored:
        reasons.setdefault(month, []).append(f"{source} {rule}: {description}")
    return dict(sorted(reasons.items()))


def blocking_months(con) -> list[str]:
    """The months (YYYY-MM, ascending) with at least one unwaived `error`."""
    return list(blocking_reasons(con))


def publishable_through(con) -> str | None:
    """The last month that may be published: the month before the first month that is blocked (an
    error) or waiting (no benefits delivery yet), or the last known month when there is none; None
    when nothing is known or the first month is blocked or waiting."""
    months = known_months(con)
    if not months:
        return None
    held = sorted(set(blocking_months(con)) | set(waiting_months(con)))
    if not held:
        return months[-1]
    earlier = [m for m in months if m < held[0]]
    return earlier[-1] if earlier else None
