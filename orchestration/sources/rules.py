"""Row rules: the Great Expectations suites expectations/<kind>.json, compiled to DuckDB SQL.

The suites (loaded and resolved by orchestration/quality/suites.py, the one loader) are the single
definition of every row rule. Ingestion does not run GX: it compiles each expectation to a SQL
predicate over the prepared rows of a delivery (orchestration/sources/ingest.py,
`prepare_delivery`), splits the delivery into landed and quarantined rows in one pass, and records
each expectation's result (element count, unexpected count, examples) in
landing.expectation_results. GX run on the same prepared rows must flag exactly the same rows: that
is what tests/ingestion/test_ingest_rules_gx.py holds, on a delivery of every dialect.

Each expectation's `meta`:
  rule        stable rule id (landing.quarantine.rule / landing.row_issues.rule)
  on_fail     quarantine (row cannot be placed) | onbekend (load the value as 'onbekend')
              | null (load the value as NULL)
  message     steward message; {value} = the delivered value, {expected} = what was expected,
              {bsn} = the BSN masked to its last 3 digits
  value_messages  message per failing value (used for bsn_check)
  report_column   the column shown in quarantine when it is not `column` (bsn for bsn_check)
  code_list   the dbt seed whose codes fill value_set through the parameter `codes_<name>`

Columns the suites see are the canonical text columns after trimming, value maps and date
normalisation (dates as YYYY-MM-DD where they parse in the source's dialect, else the delivered
text), plus the derived `bsn_check`: ok | missing | not_digits | wrong_length | elfproef, so that
the BSN 11-check is a standard `expect_column_values_to_be_in_set(bsn_check, ['ok'])`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ON_FAIL = ("quarantine", "onbekend", "null")
# A rejected BSN is shown masked to its last 3 digits, never whole.
MASKED_BSN_SQL = "(CASE WHEN bsn IS NULL THEN NULL ELSE '******' || right(bsn, 3) END)"
SUPPORTED_TYPES = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_match_strftime_format",
)
# Not compiled: expect_column_values_to_be_between. The rules see text, and GX (the oracle of the
# tests) refuses to compare text with numbers: a number's shape is a match_regex rule.


# ---------------------------------------------------------------------------------------------
# Compilation to SQL

def sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class CompiledRule:
    index: int           # position in the suite
    type: str
    column: str          # the column the expectation tests
    report_column: str   # the column shown to stewards
    rule: str
    on_fail: str
    severity: str
    passes_sql: str      # TRUE when the row satisfies the expectation (never NULL)
    message_sql: str     # the steward message for a failing row
    expectation: dict    # the resolved expectation: type, kwargs, meta (recorded with its result)


def _message_sql(template: str, value_sql: str, expected: str, bsn_sql: str) -> str:
    """Render a message template as a SQL string expression."""
    parts, rest = [], template
    placeholders = {"{value}": f"coalesce({value_sql}, '')", "{bsn}": bsn_sql,
                    "{expected}": sql_literal(expected)}
    while rest:
        positions = [(rest.find(p), p) for p in placeholders if rest.find(p) >= 0]
        if not positions:
            parts.append(sql_literal(rest))
            break
        pos, placeholder = min(positions)
        if pos:
            parts.append(sql_literal(rest[:pos]))
        parts.append(placeholders[placeholder])
        rest = rest[pos + len(placeholder):]
    return "(" + " || ".join(parts or ["''"]) + ")"


# Python's datetime.strptime, which GX runs for expect_column_values_to_match_strftime_format,
# matches each directive with a regex (CPython's _strptime) and then builds the date. DuckDB's
# try_strptime differs at the edges: it accepts 1-3 digit years, year 0000 and surrounding spaces,
# and refuses a space-padded day ('2018-02- 3'), which Python accepts. The compiled rule is
# Python's regex (ASCII digits, as Python matches them) and then DuckDB's check that the date
# exists, so both flag the same rows (tests/ingestion/test_ingest_rules_gx.py holds it).
STRPTIME_DIRECTIVES = {
    "%Y": "[0-9]{4}",
    "%m": "(1[0-2]|0[1-9]|[1-9])",
    "%d": "(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])",
}


def parse_date_sql(column_sql: str, strftime_format: str) -> str:
    """The timestamp of a value that `strptime_sql` accepts (else NULL): a space can only pad the
    day there, and DuckDB wants a digit."""
    return f"try_strptime(replace({column_sql}, ' ', '0'), {sql_literal(strftime_format)})"


def strptime_sql(column_sql: str, strftime_format: str) -> str:
    """TRUE when Python's datetime.strptime(value, strftime_format) succeeds, for the directives of
    STRPTIME_DIRECTIVES (a format with any other raises: add it here and to the oracle test)."""
    pattern = ""
    for part in re.split(r"(%.)", strftime_format):
        if part.startswith("%"):
            if part not in STRPTIME_DIRECTIVES:
                raise ValueError(f"strftime directive {part} is not supported by the row-rule compiler "
                                 f"(supported: {', '.join(STRPTIME_DIRECTIVES)})")
            pattern += STRPTIME_DIRECTIVES[part]
        elif part.strip() != part or " " in part:
            raise ValueError(f"strftime format {strftime_format!r}: whitespace is not supported by the compiler")
        else:
            pattern += re.escape(part)
    parsed = parse_date_sql(column_sql, strftime_format)
    year_check = f" AND year({parsed}) >= 1" if "%Y" in strftime_format else ""  # Python's MINYEAR
    return f"(regexp_full_match({column_sql}, {sql_literal(pattern)}) AND {parsed} IS NOT NULL{year_check})"


def _passes_sql(exp_type: str, column: str, kwargs: dict) -> str:
    col = quote_ident(column)
    if exp_type == "expect_column_values_to_not_be_null":
        return f"({col} IS NOT NULL)"
    if exp_type == "expect_column_values_to_be_in_set":
        values = ", ".join(sql_literal(v) for v in kwargs["value_set"]) or "NULL"
        return f"({col} IS NULL OR {col} IN ({values}))"
    if exp_type == "expect_column_values_to_match_regex":
        return f"({col} IS NULL OR regexp_matches({col}, {sql_literal(kwargs['regex'])}))"
    if exp_type == "expect_column_values_to_match_strftime_format":
        return f"({col} IS NULL OR {strptime_sql(col, kwargs['strftime_format'])})"
    raise ValueError(f"expectation type {exp_type} is not supported by the row-rule compiler "
                     f"(supported: {', '.join(SUPPORTED_TYPES)})")


def compile_rules(suite: dict[str, Any], date_format_label: str) -> list[CompiledRule]:
    """The resolved row-rule suite (orchestration.quality.suites.resolved_row_rules) as SQL
    predicates over the prepared rows. `date_format_label` is the source's dialect, quoted in date
    messages."""
    rules = []
    for index, exp in enumerate(suite["expectations"]):
        meta, kwargs = exp["meta"], exp["kwargs"]
        exp_type, column = exp["type"], kwargs.get("column")
        if column is None:
            raise ValueError(f"{suite['name']}: expectation {index} ({exp_type}) is not on one column: "
                             "a row rule is (table-level rules belong in expectations/file_rules/)")
        on_fail = meta.get("on_fail")
        if on_fail not in ON_FAIL:
            raise ValueError(f"{suite['name']}: expectation {index} ({exp_type} {column}) has meta.on_fail "
                             f"{on_fail!r}; expected one of {ON_FAIL}")
        report_column = meta.get("report_column", column)
        value_sql = quote_ident(column)
        expected = date_format_label if "strftime" in exp_type else ", ".join(map(str, kwargs.get("value_set", []) or []))
        if "strftime" in exp_type and kwargs["strftime_format"] == "%Y-%m":
            expected = "YYYY-MM"
        bsn_sql = MASKED_BSN_SQL
        value_messages = meta.get("value_messages")
        if value_messages:
            whens = " ".join(
                f"WHEN {sql_literal(v)} THEN {_message_sql(t, value_sql, expected, bsn_sql)}"
                for v, t in value_messages.items()
            )
            message_sql = f"(CASE {value_sql} {whens} ELSE {_message_sql(meta.get('message', ''), value_sql, expected, bsn_sql)} END)"
        else:
            message_sql = _message_sql(meta.get("message") or f"{column} fails {exp_type}", value_sql, expected, bsn_sql)
        rules.append(CompiledRule(
            index=index, type=exp_type, column=column, report_column=report_column, rule=meta["rule"],
            on_fail=on_fail, severity=meta.get("severity", "warn"),
            passes_sql=f"coalesce({_passes_sql(exp_type, column, kwargs)}, FALSE)",
            message_sql=message_sql, expectation=exp,
        ))
    return rules
