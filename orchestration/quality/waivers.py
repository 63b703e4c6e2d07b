"""The stewards' waivers file: an accepted, known issue (rule, record key) is waived until a date.

File format (CSV, UTF-8, a BOM allowed, `,` or `;` as delimiter as Excel saves it), one waiver a row:

    rule_id,record_key,reason,waived_by,valid_until
    benefit_end_reason_missing,UK-2016-00123,Einde zonder reden in oud systeem; niet te herstellen,j.jansen,2026-12-31

- rule_id: a rule of marts.dq_issues, an expectation's meta.rule or a file-level rule id;
- record_key: exactly as shown in the worklist (`statmon dq`), e.g. a registratienummer_uitkering,
  or `<source> <YYYY-MM>` for a rule on a whole delivery;
- reason, waived_by: free text, required;
- valid_until: YYYY-MM-DD, the last day the waiver counts. After it, the issue fails again.

The file lives at config/dq_waivers.csv unless STATMON_WAIVERS names another path; every run
loads it into landing.dq_waivers (replacing what was there)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
from pathlib import Path

from orchestration.config import PROJECT_DIR
from orchestration.db import ensure_landing_schema, table_exists, transaction

log = logging.getLogger(__name__)

WAIVERS_ENV = "STATMON_WAIVERS"
WAIVER_COLUMNS = ("rule_id", "record_key", "reason", "waived_by", "valid_until")


class WaiverFileError(ValueError):
    """The waivers file cannot be used; the message lists every bad row."""


def waivers_path() -> Path:
    return Path(os.environ.get(WAIVERS_ENV, PROJECT_DIR / "config" / "dq_waivers.csv"))


def parse_waivers(path: Path) -> list[tuple[str, str, str, str, dt.date]]:
    """Read and validate the waivers file; raise WaiverFileError naming each bad line."""
    text = path.read_bytes().decode("utf-8-sig")
    if not text.strip():
        raise WaiverFileError(f"{path}: the file is empty; it needs at least the header line {','.join(WAIVER_COLUMNS)}")
    header_line = text.splitlines()[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [c for c in WAIVER_COLUMNS if c not in header]
    if missing:
        raise WaiverFileError(
            f"{path}: the header lacks column(s) {', '.join(missing)}; "
            f"the first line must be: {','.join(WAIVER_COLUMNS)}"
        )
    reader.fieldnames = header
    problems: list[str] = []
    waivers: list[tuple[str, str, str, str, dt.date]] = []
    seen: dict[tuple[str, str], int] = {}
    for line_number, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in WAIVER_COLUMNS}
        if not any(values.values()):
            continue  # blank line
        if None in row:  # more fields than the header has
            problems.append(f"line {line_number}: more fields than the header has (a {delimiter!r} inside a value? quote it)")
            continue
        empty = [c for c in WAIVER_COLUMNS if not values[c]]
        if empty:
            problems.append(f"line {line_number}: empty {', '.join(empty)} (every column is required)")
            continue
        try:
            valid_until = dt.date.fromisoformat(values["valid_until"])
            if len(values["valid_until"]) != 10:
                raise ValueError
        except ValueError:
            problems.append(
                f"line {line_number}: valid_until {values['valid_until']!r} is not a date YYYY-MM-DD (e.g. 2026-12-31)"
            )
            continue
        key = (values["rule_id"], values["record_key"])
        if key in seen:
            problems.append(
                f"line {line_number}: rule_id {key[0]!r} with record_key {key[1]!r} is already waived on line {seen[key]}"
            )
            continue
        seen[key] = line_number
        waivers.append((values["rule_id"], values["record_key"], values["reason"], values["waived_by"], valid_until))
    if problems:
        raise WaiverFileError(f"{path}: {len(problems)} bad row(s), no waiver loaded:\n  " + "\n  ".join(problems))
    return waivers


def load_waivers(con, path: Path) -> int:
    """Validate the waivers file and replace landing.dq_waivers with it; return the number of
    waivers loaded. A missing file means no waivers (logged). A bad file raises WaiverFileError
    and leaves the table as it was."""
    ensure_landing_schema(con)
    path = Path(path)
    if not path.exists():
        log.warning("waivers file %s does not exist: no waivers apply", path)
        waivers = []
    else:
        waivers = parse_waivers(path)
    today = dt.date.today()
    known = known_rules(con)
    for rule_id, record_key, _, _, valid_until in waivers:
        if valid_until < today:
            log.info("waiver for %s / %s expired on %s: the issue counts again", rule_id, record_key, valid_until)
        if rule_id not in known:
            log.warning("waiver for %s / %s: no rule %r is known (a typing error?); it waives nothing until "
                        "such a rule reports this record", rule_id, record_key, rule_id)
    with transaction(con):
        con.execute("DELETE FROM landing.dq_waivers")
        if waivers:
            con.executemany("INSERT INTO landing.dq_waivers VALUES (?, ?, ?, ?, ?)", waivers)
    return len(waivers)


# The rules of the mart contract (marts.dq_issues) and of the file-level checks.
CONTRACT_RULES = (
    "statushouder_registration_missing", "statushouder_registration_conflict", "bsn_invalid",
    "partner_client_unknown", "trajectory_dates_inconsistent", "benefit_end_reason_missing",
    "benefit_vanished", "unknown_code", "intake_incomplete", "client_not_in_view",
)


def known_rules(con) -> set[str]:
    """Every rule id a waiver may name: the mart contract's, every meta.rule of the suites in
    expectations/ (row and file rules), the SQL file rules, and any rule already reported."""
    from orchestration.quality.month_state import DELIVERY_RULES
    from orchestration.quality.suites import suite_rule_ids

    rules = set(CONTRACT_RULES) | set(DELIVERY_RULES) | {"malformed_row"} | suite_rule_ids()
    for table, column in (("landing.check_results", "rule"), ("landing.expectation_results", "rule"),
                          ("landing.quarantine", "rule"), ("landing.row_issues", "rule"), ("marts.dq_issues", "rule_id")):
        schema, name = table.split(".")
        if table_exists(con, schema, name):
            rules |= {row[0] for row in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
    return rules


# A waiver counts while valid_until >= today. Used by every check that applies waivers.
ACTIVE_WAIVERS_SQL = "SELECT rule_id, record_key, reason, waived_by, valid_until FROM landing.dq_waivers WHERE valid_until >= current_date"


def active_waivers(con) -> dict[tuple[str, str], dict]:
    ensure_landing_schema(con)
    return {
        (rule_id, record_key): {"reason": reason, "waived_by": who, "valid_until": str(until)}
        for rule_id, record_key, reason, who, until in con.execute(ACTIVE_WAIVERS_SQL).fetchall()
    }
