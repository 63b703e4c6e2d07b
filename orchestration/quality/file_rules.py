"""File-level rules on the landed data, one outcome per rule, source and delivery month.

Run by GX (suites expectations/file_rules/<kind>.json) on the landed rows of each delivery:
- row_count_vs_previous_month: expect_table_row_count_to_be_between with bounds
  ceil(previous/2) .. 2*previous from the previous delivered month of the same source
  (`error` for uitkeringen, `warn` for the others; no previous month = no bounds);
- benefit_key_not_unique: expect_compound_columns_to_be_unique(registratienummer_uitkering,
  person_id) per month (a couple's benefit has one row per partner under one id, so the id alone
  is not a key of the delivery);
- trajectory_key_not_unique: expect_compound_columns_to_be_unique(partner, person_id, initiatief,
  aanmelddatum) per delivery.
A delivery is validated once per version: its results in landing.expectation_results carry the
hash of what the validation read (the suite with its bounds, the file version, the row count), and
while that is unchanged a run reuses them without importing GX.
Computed in DuckDB SQL, because no standard expectation fits, on every run (one query each):
- partner_client_unknown: every person in a partner delivery is known in some benefits delivery
  (a join against all of landing.uitkeringen; GX would need the whole set as a value_set), `warn`;
- the delivery rules (orchestration/quality/month_state.py: what raw/ holds now against the
  versions in force): benefits_delivery_unusable (`error`), delivery_failed, delivery_missing and
  delivery_file_gone (`warn`).

Every outcome is stored in landing.check_results (the publication gate reads it; the `delivery`
asset checks report it); the GX ones also in landing.expectation_results (suite
`file_rules.<kind>`), where dq_issues picks up failures."""
from __future__ import annotations

import json
import math

from orchestration.db import ensure_landing_schema, table_exists, transaction
from orchestration.quality import suites
from orchestration.quality.blocking import apply_waivers, record_check_results
from orchestration.quality.month_state import DELIVERY_RULES, delivery_outcomes
from orchestration.quality.expectation_results import recorded_outcomes, store_results
from orchestration.quality.outcomes import CheckOutcome, ExpectationOutcome, check_record_key, expectation_record_key
from orchestration.sources.registry import load_registry

PARTNER_RULE = "partner_client_unknown"


def landed_batches(con, kind: str, months: list[str]) -> list[tuple]:
    """Per landed (source, month) of `months`: (source, month, file_hash, rows, previous month,
    previous rows), the previous being the source's previous delivered month. A version in force
    with 0 rows loaded counts, with 0 rows."""
    if not months or not table_exists(con, "landing", kind):
        return []
    # a version in force whose every row was quarantined (all in the wrong month, say) landed 0 rows:
    # a batch too, or the row count rule would never see it
    return con.execute(
        f"""WITH landed AS (
                SELECT source, delivery_month, min(file_hash) AS file_hash, count(*) AS rows
                FROM landing.{kind} GROUP BY source, delivery_month
                UNION ALL
                SELECT source, delivery_month, arg_max(file_hash, loaded_at), 0 FROM landing.deliveries
                WHERE status = 'loaded' AND {sources_of_kind_sql(kind)}
                GROUP BY source, delivery_month HAVING arg_max(rows_loaded, loaded_at) = 0),
            with_previous AS (
                SELECT source, strftime(delivery_month, '%Y-%m') AS month, file_hash, rows,
                       lag(strftime(delivery_month, '%Y-%m')) OVER w AS previous_month, lag(rows) OVER w AS previous_rows
                FROM landed WINDOW w AS (PARTITION BY source ORDER BY delivery_month))
            SELECT * FROM with_previous WHERE month IN (SELECT unnest(?::VARCHAR[])) ORDER BY month, source""",
        [list(months)],
    ).fetchall()


def row_count_bounds(previous_month: str | None, previous_rows: int | None) -> dict:
    """Bounds for the row count of a delivery from the previous delivered month of its source."""
    if previous_month is None:
        return {"row_count_min": 0, "row_count_max": None, "previous_month": None, "previous_rows": None}
    return {
        "row_count_min": math.ceil(previous_rows / 2),
        "row_count_max": 2 * previous_rows,
        "previous_month": previous_month,
        "previous_rows": previous_rows,
    }


def _gx_outcome(o: ExpectationOutcome, bounds: dict, rows: int) -> CheckOutcome:
    metadata = {
        "record_key": check_record_key(o.source, o.month),
        "issue_key": expectation_record_key(o.source, o.suite_name, o.expectation_type, o.column),
        "expectation_type": o.expectation_type,
        "suite": o.suite_name,
        "rows": rows,
        "unexpected_count": o.unexpected_count,
    }
    description = o.detail
    if o.rule == "row_count_vs_previous_month":
        metadata.update({k: bounds[k] for k in ("previous_month", "previous_rows")})
        if bounds["previous_month"] is None:
            description = f"{o.source} {o.month}: {rows} rows landed; no previous delivery to compare with"
        else:
            verdict = "within" if o.success else ("below half of" if rows < bounds["row_count_min"] else "above double")
            description = (
                f"{o.source} {o.month}: {rows} rows landed, {verdict} the {bounds['previous_rows']} of "
                f"{bounds['previous_month']} (allowed {bounds['row_count_min']} to {bounds['row_count_max']})"
            )
    return CheckOutcome(
        rule=o.rule, severity=o.severity, passed=o.success, month=o.month, source=o.source,
        description=description, metadata=metadata,
    )


def _forget_removed(con, suite_name: str, months: list[str], batches: list[tuple]) -> None:
    """Drop results of `suite_name` in `months` for deliveries whose rows are gone: results
    describe only data that is there."""
    keep = [f"{b[0]} {b[1]}" for b in batches]
    con.execute(
        """DELETE FROM landing.expectation_results WHERE suite_name = ?
           AND strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
           AND source || ' ' || strftime(delivery_month, '%Y-%m') NOT IN (SELECT unnest(?::VARCHAR[]))""",
        [suite_name, list(months), keep],
    )


def _batch_columns(con, kind: str, suite: dict) -> list[str]:
    """The columns of landing.<kind> the suite reads (all of them for a table-level expectation
    other than the row count)."""
    present = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'landing' AND table_name = ? "
        "ORDER BY ordinal_position", [kind]).fetchall()]
    if any(e["type"].startswith("expect_table_") and "row_count" not in e["type"] for e in suite["expectations"]):
        return present
    wanted = {"row_number"}
    for e in suite["expectations"]:
        kwargs = e["kwargs"]
        wanted |= {kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *(kwargs.get("column_list") or [])}
    return [c for c in present if c in wanted]


def gx_file_rules(con, kind: str, months: list[str]) -> list[CheckOutcome]:
    """The GX file-rule suite of `kind` on each landed (source, month) of `months`: validated by
    GX where what it reads changed since its results were recorded, else the recorded results."""
    path = suites.file_rules_path(kind)
    if not path.exists() or not months:
        return []
    suite = suites.load_suite(path)
    batches = landed_batches(con, kind, months)
    _forget_removed(con, suite["name"], months, batches)
    recorded = {(source, month): hashes for source, month, hashes in con.execute(
        """SELECT source, strftime(delivery_month, '%Y-%m'), list(DISTINCT inputs_hash) FROM landing.expectation_results
           WHERE suite_name = ? AND strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
           GROUP BY ALL""", [suite["name"], list(months)]).fetchall()}
    plans, stale = {}, []
    for source, month, file_hash, rows, previous_month, previous_rows in batches:
        bounds = row_count_bounds(previous_month, previous_rows)
        resolved = suites.resolve(suite, suites.suite_parameters(
            suite, month, row_count_min=bounds["row_count_min"], row_count_max=bounds["row_count_max"]))
        key = suites.inputs_hash(resolved, file_hash, rows)
        plans[source, month] = (bounds, rows)
        if recorded.get((source, month)) != [key]:
            stale.append((source, month, file_hash, key, resolved))
    if stale:
        from orchestration.quality import gx  # imports GX (~5 s) on first use

        columns = ", ".join(f'"{c}"' for c in _batch_columns(con, kind, suite))
        results = []
        for source, month, file_hash, key, resolved in stale:
            frame = con.execute(f"SELECT {columns} FROM landing.{kind} WHERE source = ? AND delivery_month = ?::DATE",
                                [source, f"{month}-01"]).df()
            results += gx.results_of(gx.validate(resolved, frame), resolved, source, month, file_hash, key)
        with transaction(con):
            store_results(con, results)
    outcomes = recorded_outcomes(con, suite["name"], months)
    return [_gx_outcome(o, *plans[o.source, o.month]) for o in outcomes if (o.source, o.month) in plans]


def partner_client_outcomes(con, months: list[str]) -> list[CheckOutcome]:
    """Per partner delivery: persons never seen in any benefits delivery. A person whose
    pseudonym is in the record key of an active partner_client_unknown waiver does not count."""
    if not months or not table_exists(con, "landing", "trajecten"):
        return []
    has_benefits = table_exists(con, "landing", "uitkeringen")
    known = "SELECT DISTINCT person_id FROM landing.uitkeringen" if has_benefits else "SELECT NULL::VARCHAR AS person_id WHERE false"
    rows = con.execute(
        f"""
        WITH known AS ({known}),
        delivery AS (
            SELECT source, strftime(delivery_month, '%Y-%m') AS month, person_id
            FROM landing.trajecten
            WHERE strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
        ),
        unknown AS (
            SELECT DISTINCT d.source, d.month, d.person_id FROM delivery d
            WHERE d.person_id NOT IN (SELECT person_id FROM known)
              AND NOT EXISTS (
                  SELECT 1 FROM landing.dq_waivers w
                  WHERE w.rule_id = ? AND w.valid_until >= current_date AND contains(w.record_key, d.person_id)
              )
        )
        SELECT d.source, d.month, count(DISTINCT d.person_id) AS persons,
               (SELECT count(*) FROM unknown u WHERE u.source = d.source AND u.month = d.month) AS unknown_persons,
               (SELECT list(u.person_id ORDER BY u.person_id)[1:5] FROM unknown u WHERE u.source = d.source AND u.month = d.month) AS examples
        FROM delivery d GROUP BY d.source, d.month ORDER BY d.month, d.source
        """,
        [list(months), PARTNER_RULE],
    ).fetchall()
    outcomes = []
    for source, month, persons, unknown_persons, examples in rows:
        description = (
            f"{source} {month}: all {persons} persons are known in a benefits delivery"
            if unknown_persons == 0
            else f"{source} {month}: {unknown_persons} of {persons} persons were never in a benefits delivery "
            f"(pseudonyms e.g. {', '.join(examples or [])}); check the BSN with the partner"
        )
        outcomes.append(
            CheckOutcome(
                rule=PARTNER_RULE, severity="warn", passed=unknown_persons == 0, month=month, source=source,
                description=description,
                metadata={"record_key": check_record_key(source, month), "persons": persons,
                          "unknown_persons": unknown_persons, "examples": list(examples or [])},
            )
        )
    return outcomes


def run_file_rules(con, kind: str, months: list[str]) -> list[CheckOutcome]:
    """All file-level rules of `kind` for `months` (YYYY-MM); stored in landing.check_results
    (before waivers) and returned with waivers applied. The delivery rules (month_state.py) are
    recorded for every known month: a month's state can change without a run of that month (a
    folder renamed, a partner marked inactive in the registry)."""
    ensure_landing_schema(con)
    outcomes: list[CheckOutcome] = gx_file_rules(con, kind, months)
    if kind == "trajecten":
        outcomes += partner_client_outcomes(con, months)
    forget_file_rule_results(con, kind, months, outcomes)
    record_check_results(con, outcomes, origin="file_rule")
    deliveries = [o for o in delivery_outcomes(con) if o.source in {s.source for s in load_registry().sources_of(kind)}]
    record_check_results(con, deliveries, origin="file_rule", replace_where=(
        f"{sources_of_kind_sql(kind)} AND rule IN ({', '.join(repr(r) for r in DELIVERY_RULES)})"))
    return apply_waivers(con, [o for o in deliveries if o.month in set(months)] + outcomes)


def sources_of_kind_sql(kind: str) -> str:
    """A predicate on `source` for the sources of a kind (trajecten: one source per partner)."""
    return "source LIKE 'trajecten\\_%' ESCAPE '\\'" if kind == "trajecten" else f"source = '{kind}'"


def forget_file_rule_results(con, kind: str, months: list[str], outcomes: list[CheckOutcome]) -> None:
    """Drop stored file-rule outcomes of this kind and these months that this run no longer
    produced (a source whose rows were removed)."""
    if not months or kind not in {"uitkeringen", "brp", "klantbeeld", "formatie", "trajecten"}:
        return
    produced = sorted(f"{o.rule}|{o.source}|{o.month}" for o in outcomes)
    con.execute(
        f"""DELETE FROM landing.check_results WHERE origin = 'file_rule' AND {sources_of_kind_sql(kind)}
            AND strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
            AND rule || '|' || source || '|' || strftime(delivery_month, '%Y-%m') NOT IN (SELECT unnest(?::VARCHAR[]))""",
        [list(months), produced],
    )


def recorded_file_rule_outcomes(con, kind: str, months: list[str]) -> list[CheckOutcome]:
    """The file-rule outcomes of `kind` in `months` as the last `run_file_rules` recorded them,
    waivers applied now (what the `delivery` asset check reports)."""
    if not months or not table_exists(con, "landing", "check_results"):
        return []
    rows = con.execute(
        f"""SELECT rule, severity, passed, strftime(delivery_month, '%Y-%m'), source, description, metadata
            FROM landing.check_results WHERE origin = 'file_rule' AND {sources_of_kind_sql(kind)}
              AND strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY delivery_month, source, rule""",
        [list(months)],
    ).fetchall()
    return apply_waivers(con, [CheckOutcome(rule, severity, passed, month, source, description, json.loads(metadata or "{}"))
                               for rule, severity, passed, month, source, description, metadata in rows])
