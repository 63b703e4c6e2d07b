"""What blocks publication: a month with an unwaived `error` blocks itself and every later month.

Errors (mart contract): the benefits delivery of a month missing, unreadable or without its
required columns (landing.deliveries); its row count below half or above double the previous
month's (file rule, landing.check_results); a broken mart invariant (recorded by the pipeline
with `record_check_results(..., origin="mart_invariant")`); any expectation whose suite gives it
severity `error` (landing.expectation_results). A failure whose (rule, record_key) has a waiver
with valid_until >= today does not block; once the waiver expires it blocks again. The record key
is `<source> <YYYY-MM>` (that month only) or, for a GX outcome, the key marts.dq_issues shows for
the failed expectation (every month). Waivers are
applied when read, so an expiring waiver takes effect without re-running the checks."""
from __future__ import annotations

import datetime as dt
import json

from orchestration.db import ensure_landing_schema, transaction
from orchestration.quality.outcomes import CheckOutcome, check_record_key
from orchestration.quality.waivers import active_waivers

BENEFITS_SOURCE = "uitkeringen"
BENEFITS_DELIVERY_RULE = "benefits_delivery_unusable"


def record_key_of(outcome: CheckOutcome) -> str:
    return outcome.metadata.get("record_key") or check_record_key(outcome.source, outcome.month)


def waiver_keys_of(outcome: CheckOutcome) -> list[str]:
    """Keys a waiver may name for this outcome: its month key and, for a GX outcome, the key
    marts.dq_issues shows for the failed expectation (what a steward copies from the worklist)."""
    return [key for key in (record_key_of(outcome), outcome.metadata.get("issue_key")) if key]


def record_check_results(con, outcomes: list[CheckOutcome], origin: str = "mart_invariant", *,
                         replace_all: bool = False) -> None:
    """Store outcomes in landing.check_results, replacing earlier ones of the same origin, rule,
    source and month; with replace_all, every earlier outcome of `origin` goes first (for checks
    recomputed over all months in every run, such as the mart invariants after a dbt build: a
    failure that is gone must stop blocking). `passed` is stored as it was before waivers
    (waivers apply when read)."""
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
        if replace_all:
            con.execute("DELETE FROM landing.check_results WHERE origin = ?", [origin])
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
    """Per month: is there a usable benefits delivery? The latest file seen for the month (a
    superseded one aside) must have loaded; missing or failed is an `error`."""
    ensure_landing_schema(con)
    if not months:
        return []
    rows = con.execute(
        """
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS month),
        latest AS (
            SELECT strftime(delivery_month, '%Y-%m') AS month, status, message, source_file,
                   row_number() OVER (PARTITION BY delivery_month ORDER BY loaded_at DESC) AS recency
            FROM landing.deliveries
            WHERE source = ? AND status <> 'superseded'
        )
        SELECT wanted.month, latest.status, latest.message, latest.source_file
        FROM wanted LEFT JOIN latest ON latest.month = wanted.month AND latest.recency = 1
        ORDER BY wanted.month
        """,
        [list(months), BENEFITS_SOURCE],
    ).fetchall()
    outcomes = []
    for month, status, message, source_file in rows:
        if status is None:
            passed, description = False, f"no benefits delivery (uitkeringen.csv) for {month}: the month cannot be published"
        elif status == "failed":
            passed = False
            description = f"the benefits delivery {source_file} for {month} could not be loaded: {message or 'no reason recorded'}"
        else:
            passed, description = True, f"benefits delivery {source_file} for {month}: {status}"
        outcomes.append(
            CheckOutcome(
                rule=BENEFITS_DELIVERY_RULE, severity="error", passed=passed, month=month, source=BENEFITS_SOURCE,
                description=description,
                metadata={"record_key": check_record_key(BENEFITS_SOURCE, month), "status": status, "source_file": source_file},
            )
        )
    return outcomes


def known_months(con) -> list[str]:
    """Every month from the first to the last delivery month seen (any source), gaps included:
    a month inside the range without any delivery still lacks its benefits delivery."""
    ensure_landing_schema(con)
    # fetchall, not fetchone: leave no unfinished result on the caller's connection (DuckDB 2.0)
    ((first, last),) = con.execute("SELECT min(delivery_month), max(delivery_month) FROM landing.deliveries").fetchall()
    if first is None:
        return []
    return [
        row[0]
        for row in con.execute(
            "SELECT strftime(m, '%Y-%m') FROM generate_series(?::DATE, ?::DATE, INTERVAL 1 MONTH) AS t(m) ORDER BY 1",
            [first, last],
        ).fetchall()
    ]


def blocking_months(con) -> list[str]:
    """The months (YYYY-MM, ascending) with at least one unwaived `error`."""
    ensure_landing_schema(con)
    blocked = {
        o.month for o in apply_waivers(con, benefits_delivery_outcomes(con, known_months(con))) if not o.passed
    }
    stored = con.execute(
        """
        WITH failures AS (
            SELECT delivery_month, rule, record_key, issue_key FROM landing.check_results
            WHERE severity = 'error' AND NOT passed
            UNION ALL
            SELECT delivery_month, rule, source || ' ' || strftime(delivery_month, '%Y-%m'),
                   source || ': suite=' || suite_name || '; expectation=' || expectation_type
                       || coalesce('; column=' || column_name, '')  -- = outcomes.expectation_record_key
            FROM landing.expectation_results WHERE severity = 'error' AND NOT success
        )
        SELECT DISTINCT strftime(f.delivery_month, '%Y-%m') FROM failures f
        WHERE NOT EXISTS (
            SELECT 1 FROM landing.dq_waivers w
            WHERE w.rule_id = f.rule AND w.record_key IN (f.record_key, f.issue_key) AND w.valid_until >= current_date
        )
        """
    ).fetchall()
    blocked.update(month for (month,) in stored)
    return sorted(blocked)


def publishable_through(con) -> str | None:
    """The last month that may be published: the month before the first blocked month, or the
    last known month when none is blocked; None when nothing is known or the first month is blocked."""
    months = known_months(con)
    if not months:
        return None
    blocked = blocking_months(con)
    if not blocked:
        return months[-1]
    earlier = [m for m in months if m < blocked[0]]
    return earlier[-1] if earlier else None
