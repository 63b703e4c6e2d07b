"""File-level rules on the landed data, one outcome per rule, source and delivery month.

Run with GX in the GX worker process (suites in expectations/file_rules/<kind>.json, on the landed rows):
- row_count_vs_previous_month: expect_table_row_count_to_be_between with bounds
  ceil(previous/2) .. 2*previous from the previous delivered month of the same source
  (`error` for uitkeringen, `warn` for the others; no previous month = no bounds);
- benefit_key_not_unique: expect_compound_columns_to_be_unique(registratienummer_uitkering,
  person_id) per month (a couple's benefit has one row per partner under one id, so the id alone
  is not a key of the delivery);
- trajectory_key_not_unique: expect_compound_columns_to_be_unique(partner, person_id, initiatief,
  aanmelddatum) per delivery.
Computed in DuckDB SQL, because no standard expectation fits:
- partner_client_unknown: every person in a partner delivery is known in some benefits delivery
  (a join against all of landing.uitkeringen; GX would need the whole set as a value_set), `warn`;
- benefits_delivery_unusable: the month's benefits delivery is missing or failed to load
  (landing.deliveries, not a table of rows), `error`.

Every outcome is stored in landing.check_results (blocking reads it); the GX ones also in
landing.expectation_results (suite `file_rules.<kind>`), where dq_issues picks up failures."""
from __future__ import annotations

import math

from orchestration.config import EXPECTATIONS_DIR
from orchestration.quality.blocking import apply_waivers, benefits_delivery_outcomes, record_check_results
from orchestration.quality.outcomes import CheckOutcome, check_record_key, expectation_record_key
from orchestration.quality.tables import ensure_quality_tables, table_exists

FILE_RULES_DIR = EXPECTATIONS_DIR / "file_rules"
PARTNER_RULE = "partner_client_unknown"


def row_count_bounds(con, kind: str, source: str, month: str) -> dict:
    """Bounds for the row count of (source, month) from the previous delivered month."""
    previous = con.execute(
        f"""SELECT strftime(delivery_month, '%Y-%m'), count(*) FROM landing.{kind}
            WHERE source = ? AND delivery_month < ?::DATE
            GROUP BY delivery_month ORDER BY delivery_month DESC LIMIT 1""",
        [source, f"{month}-01"],
    ).fetchall()
    if not previous:
        return {"row_count_min": 0, "row_count_max": None, "previous_month": None, "previous_rows": None}
    ((previous_month, previous_rows),) = previous
    return {
        "row_count_min": math.ceil(previous_rows / 2),
        "row_count_max": 2 * previous_rows,
        "previous_month": previous_month,
        "previous_rows": previous_rows,
    }


def _gx_outcome(expectation_outcome, bounds: dict, rows: int) -> CheckOutcome:
    o = expectation_outcome
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


def gx_file_rules(con, kind: str, months: list[str]) -> list[CheckOutcome]:
    """The GX file-rule suite of `kind` on each landed (source, month)."""
    from orchestration.quality import gx_runner

    suite_path = FILE_RULES_DIR / f"{kind}.json"
    if not suite_path.exists() or not table_exists(con, "landing", kind):
        return []
    suite_dict = gx_runner.load_suite_dict(suite_path)
    batches = gx_runner.batches_of(con, f"landing.{kind}", months)
    gx_runner.forget_results(con, suite_dict["name"], months, batches)
    if not batches:
        return []
    columns = ", ".join(f'"{c}"' for c in gx_runner.batch_columns(con, f"landing.{kind}", suite_dict))
    bounds = {(source, month): row_count_bounds(con, kind, source, month) for source, month in batches}
    jobs = (
        (
            suite_dict,
            gx_runner.arrow_of(
                con, f"SELECT {columns} FROM landing.{kind} WHERE source = ? AND delivery_month = ?::DATE", [source, f"{month}-01"]
            ),
            f"landing_{kind}",
            {"row_count_min": bounds[source, month]["row_count_min"], "row_count_max": bounds[source, month]["row_count_max"]},
            source,
            month,
        )
        for source, month in batches
    )
    outcomes: list[CheckOutcome] = []
    for validation in gx_runner.validate_batches(jobs):  # in the GX worker process
        gx_runner.store_results(con, validation)
        outcomes.extend(_gx_outcome(o, bounds[validation.source, validation.month], validation.rows) for o in validation.outcomes)
    return outcomes


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
    (before waivers) and returned with waivers applied."""
    ensure_quality_tables(con)
    outcomes: list[CheckOutcome] = []
    if kind == "uitkeringen":
        outcomes += benefits_delivery_outcomes(con, months)
    outcomes += gx_file_rules(con, kind, months)
    if kind == "trajecten":
        outcomes += partner_client_outcomes(con, months)
    forget_file_rule_results(con, kind, months, outcomes)
    record_check_results(con, outcomes, origin="file_rule")
    return apply_waivers(con, outcomes)


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
