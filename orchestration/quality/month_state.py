"""The state of every delivery and month: a function of what raw/ holds now, the versions in force
and the registry, never of earlier failed attempts.

Per source and month (every source of the registry, every month from the first to the last one
known: a version in force, or a folder a run looked at):
- the version in force: the last `loaded` row of landing.deliveries (ingestion replaces a
  month's rows only when it loads a new version);
- what raw/ holds now: landing.raw_state, which ingestion rewrites every time it looks at the
  month (the file that counts and what became of it, or no file);
- expected: the registry's active_from/active_until of the source.

| raw/ now                    | a version in force          | none in force                          |
|-----------------------------|-----------------------------|----------------------------------------|
| that version (loaded, same) | `in_force`                  | -                                      |
| a file that cannot be read  | `failed_kept` (warn)        | `failed`: benefits error, others warn  |
| no file                     | `gone` (warn)               | `missing` (warn) / `not_expected`      |

A failed attempt stays in landing.deliveries for the steward, but once its file is gone from raw/
or replaced by a good one nothing refers to it. A file removed from raw/ after it was loaded keeps
its version in force (`gone`): raw/ is the archive of deliveries, which only retention deletes;
withdrawing figures because a file was moved or a folder renamed would be worse than telling the
steward to put it back (a rebuild from raw/ would lose it).

The rules (file-level, reported by the `delivery` check of each landing asset, listed in
marts.dq_issues, waivable with the record key `<source> <YYYY-MM>`):
- benefits_delivery_unusable (error): the benefits file of the month cannot be read and no
  version of the month is in force: the month cannot be published;
- delivery_failed (warn): a file cannot be read while an earlier version stays in force (any
  source), or a file other than the benefits delivery cannot be read;
- delivery_missing (warn): an expected delivery has not arrived. Without the benefits delivery the
  month is *waiting*: not published, not an error (blocking.publishable_through);
- delivery_file_gone (warn): the file of the version in force is no longer in raw/.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from orchestration.db import table_exists, transaction
from orchestration.quality.outcomes import CheckOutcome, check_record_key
from orchestration.sources.registry import load_registry

BENEFITS_SOURCE = "uitkeringen"
BENEFITS_DELIVERY_RULE = "benefits_delivery_unusable"
FAILED_RULE = "delivery_failed"
MISSING_RULE = "delivery_missing"
GONE_RULE = "delivery_file_gone"
DELIVERY_RULES = (BENEFITS_DELIVERY_RULE, FAILED_RULE, MISSING_RULE, GONE_RULE)


@dataclass(frozen=True)
class DeliveryState:
    month: str                   # YYYY-MM
    source: str
    kind: str
    expected: bool
    state: str                   # in_force | failed_kept | failed | gone | missing | not_expected
    raw_file: str | None         # the file in raw/ that counts now (None: none, or never looked)
    raw_message: str | None      # what ingestion said about it
    in_force_file: str | None    # the file of the version in force


def _in_force_sql() -> str:
    return """SELECT source, delivery_month, arg_max(source_file, loaded_at) AS file
              FROM landing.deliveries WHERE status = 'loaded' GROUP BY ALL"""


def known_months(con) -> list[str]:
    """Every month from the first to the last one known (a version in force, or a month folder a run
    looked at), gaps included: a month inside the range without anything still lacks its deliveries."""
    if not table_exists(con, "landing", "deliveries"):
        return []
    observed = "UNION ALL SELECT delivery_month FROM landing.raw_state" if table_exists(con, "landing", "raw_state") else ""
    ((first, last),) = con.execute(
        f"""SELECT min(delivery_month), max(delivery_month) FROM (
                SELECT delivery_month FROM landing.deliveries WHERE status = 'loaded' {observed})""").fetchall()
    if first is None:
        return []
    return [row[0] for row in con.execute(
        "SELECT strftime(m, '%Y-%m') FROM generate_series(?::DATE, ?::DATE, INTERVAL 1 MONTH) AS t(m) ORDER BY 1",
        [first, last]).fetchall()]


def delivery_states(con, months: list[str] | None = None) -> list[DeliveryState]:
    """The state of every registry source in `months` (default: every known month)."""
    months = known_months(con) if months is None else list(months)
    if not months:
        return []
    registry = load_registry()
    has_raw_state = table_exists(con, "landing", "raw_state")
    observed = ("SELECT source, delivery_month, source_file, status, message FROM landing.raw_state" if has_raw_state
                else "SELECT NULL::VARCHAR AS source, NULL::DATE AS delivery_month, NULL::VARCHAR AS source_file, "
                     "NULL::VARCHAR AS status, NULL::VARCHAR AS message WHERE false")
    rows = con.execute(
        f"""WITH grid AS (
                SELECT strptime(m || '-01', '%Y-%m-%d')::DATE AS delivery_month, m AS month, s AS source
                FROM unnest(?::VARCHAR[]) AS t(m), unnest(?::VARCHAR[]) AS u(s)),
            in_force AS ({_in_force_sql()}),
            observed AS ({observed})
            SELECT g.month, g.source, o.source_file, o.status, o.message, f.file
            FROM grid g
            LEFT JOIN in_force f ON f.source = g.source AND f.delivery_month = g.delivery_month
            LEFT JOIN observed o ON o.source = g.source AND o.delivery_month = g.delivery_month""",
        [months, [s.source for s in registry.sources]],
    ).fetchall()
    sources = {s.source: s for s in registry.sources}
    order = {s.source: i for i, s in enumerate(registry.sources)}  # the registry's order: benefits first
    rows.sort(key=lambda r: (r[0], order[r[1]]))
    states = []
    for month, source, raw_file, raw_status, raw_message, in_force_file in rows:
        expected = sources[source].expected_in(month)
        if raw_status == "failed":
            state = "failed_kept" if in_force_file else "failed"
        elif in_force_file:
            # never looked at (a warehouse from before raw_state), or the version in raw/ is the one in force
            state = "gone" if raw_status == "absent" else "in_force"
        else:
            state = "missing" if expected else "not_expected"
        states.append(DeliveryState(month, source, sources[source].kind, expected, state,
                                    raw_file if raw_status != "absent" else None, raw_message, in_force_file))
    return states


def _description(s: DeliveryState) -> str:
    if s.state == "failed_kept":
        return f"{s.raw_message or s.raw_file + ' could not be read'}"
    if s.state == "failed":
        return (f"the benefits delivery {s.raw_file} for {s.month} could not be loaded: {s.raw_message}"
                if s.source == BENEFITS_SOURCE else f"{s.raw_message}")
    if s.state == "gone":
        return s.raw_message or f"{s.in_force_file} is no longer in raw/: the version loaded earlier stays in force"
    if s.state == "missing":
        if s.source == BENEFITS_SOURCE:
            return (f"no benefits delivery (uitkeringen*.csv) in raw/{s.month}/ yet: the month waits for it and is "
                    "not published until it arrives")
        if s.kind == "trajecten":
            return f"no {s.source} delivery in raw/{s.month}/: the partner's previous snapshot stays in force"
        return f"no {s.source} delivery in raw/{s.month}/"
    return f"{s.source} {s.month}: {s.state}"


def delivery_outcomes(con, months: list[str] | None = None) -> list[CheckOutcome]:
    """The delivery rules for `months` (default every known month), before waivers: one
    benefits_delivery_unusable outcome per month (passed or failed), and a failed outcome of the
    other rules wherever one applies."""
    outcomes = []
    for s in delivery_states(con, months):
        metadata = {"record_key": check_record_key(s.source, s.month), "state": s.state,
                    "source_file": s.raw_file, "in_force_file": s.in_force_file}
        if s.source == BENEFITS_SOURCE:
            unusable = s.state == "failed"
            outcomes.append(CheckOutcome(
                BENEFITS_DELIVERY_RULE, "error", not unusable, s.month, s.source,
                _description(s) if unusable else f"benefits delivery {s.month}: {s.state}", metadata))
        if s.state in ("failed_kept", "failed") and not (s.state == "failed" and s.source == BENEFITS_SOURCE):
            rule = FAILED_RULE
        elif s.state == "missing":
            rule = MISSING_RULE
        elif s.state == "gone":
            rule = GONE_RULE
        else:
            continue
        outcomes.append(CheckOutcome(rule, "warn", False, s.month, s.source, _description(s), metadata))
    return outcomes


def record_vanished_folders(con, raw_dir: Path, run_months: list[str]) -> list[str]:
    """Known months outside this run whose folder raw/<month>/ no longer exists (renamed, moved):
    with a version in force, every source is recorded as having no file (its versions stay in
    force, `delivery_file_gone`); with none, the month is forgotten (its failed attempts stay in
    landing.deliveries). A file removed from a folder that still exists is seen when a run
    ingests that month. Returns the months found gone."""
    if not table_exists(con, "landing", "raw_state"):
        return []
    registry = load_registry()
    in_force = {m for (m,) in con.execute(
        "SELECT DISTINCT strftime(delivery_month, '%Y-%m') FROM landing.deliveries WHERE status = 'loaded'").fetchall()}
    vanished = [m for m in known_months(con) if m not in set(run_months) and not (Path(raw_dir) / m).is_dir()]
    with transaction(con):
        for month in vanished:
            month_date = dt.date.fromisoformat(f"{month}-01")
            if month not in in_force:
                con.execute("DELETE FROM landing.raw_state WHERE delivery_month = ?", [month_date])
                continue
            files = dict(con.execute(f"""SELECT source, file FROM ({_in_force_sql()}) WHERE delivery_month = ?""",
                                     [month_date]).fetchall())
            for source in registry.sources:
                message = (f"raw/{month}/ no longer exists (renamed or moved?): the version loaded earlier "
                           f"({files[source.source]}) stays in force; put the folder back (a rebuild from raw/ "
                           "would lose it)" if source.source in files else f"raw/{month}/ no longer exists")
                con.execute("DELETE FROM landing.raw_state WHERE delivery_month = ? AND source = ?",
                            [month_date, source.source])
                con.execute("INSERT INTO landing.raw_state VALUES (?, ?, NULL, NULL, 0, 'absent', ?, now()::TIMESTAMP)",
                            [month_date, source.source, message])
    return vanished


@dataclass
class MonthReport:
    """What `statmon run` says about a month: rows in force, whether it is published and why not,
    and what a steward must know."""
    month: str
    rows_loaded: int             # rows of the versions in force (every source)
    rows_quarantined: int
    published: bool
    blocked: list[str]           # unwaived errors (blocking.blocking_reasons)
    waiting_for: list[str]       # the month has no benefits delivery: every expected source missing
    missing: list[str]           # expected sources missing from a month that does not wait
    failed: list[str]            # files that cannot be read, each with its message
    gone: dict[str, str]         # source -> message: its version in force is no longer in raw/


def month_reports(con, months: list[str], published_through: str | None) -> list[MonthReport]:
    """A MonthReport for each of `months`."""
    from orchestration.quality.blocking import apply_waivers, blocking_reasons, waiting_months

    if not months:
        return []
    rows = dict.fromkeys(months, (0, 0))
    rows.update({m: (loaded, quarantined) for m, loaded, quarantined in con.execute(
        """SELECT strftime(delivery_month, '%Y-%m'), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
           FROM (SELECT delivery_month, arg_max(rows_loaded, loaded_at) AS rows_loaded,
                        arg_max(rows_quarantined, loaded_at) AS rows_quarantined
                 FROM landing.deliveries WHERE status = 'loaded' GROUP BY source, delivery_month)
           WHERE strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1""",
        [months]).fetchall() if m in rows})
    blocked, waiting = blocking_reasons(con), set(waiting_months(con))
    findings = {}
    for o in apply_waivers(con, [o for o in delivery_outcomes(con, months) if o.rule != BENEFITS_DELIVERY_RULE]):
        if not o.passed:
            findings.setdefault(o.month, []).append(o)
    reports = []
    for month in months:
        found = findings.get(month, [])
        missing = [o.source for o in found if o.rule == MISSING_RULE]
        reports.append(MonthReport(
            month, *rows[month], published=published_through is not None and month <= published_through,
            blocked=list(blocked.get(month, [])), waiting_for=missing if month in waiting else [],
            missing=[] if month in waiting else missing,
            failed=[o.description for o in found if o.rule == FAILED_RULE],
            gone={o.source: o.description for o in found if o.rule == GONE_RULE}))
    return reports
