"""Row rules: the Great Expectations suites in expectations/<kind>.json, compiled to DuckDB SQL.

The suites are plain GX Core 1.x suite JSON (GX loads them with `gx.ExpectationSuite(**json)`)
and are the single definition of every row rule. Ingestion does not run GX per row: it compiles
each expectation to a SQL predicate and splits a whole delivery in one pass (fast), and the
data-quality checks run GX itself on the parsed batch (schema `parsed`) with the same suites and
`suite_parameters()`, which must agree.

Each expectation's `meta`:
  rule        stable rule id (landing.quarantine.rule / landing.row_issues.rule)
  on_fail     quarantine (row cannot be placed) | onbekend (load the value as 'onbekend')
              | null (load the value as NULL)
  message     steward message; {value} = the delivered value, {expected} = what was expected,
              {bsn} = the BSN masked to its last 3 digits
  value_messages  message per failing value (used for bsn_check)
  report_column   the column shown in quarantine when it is not `column` (bsn for bsn_check)
  code_list   the dbt seed (dbt_project/seeds/<name>.csv) that fills value_set through the
              suite parameter `codes_<name>` — lists are never copied into the JSON.

Columns the suites see are the canonical text columns after trimming, value maps and date
normalisation (dates as YYYY-MM-DD where they parse in the source's dialect, else the delivered
text), plus the derived `bsn_check`: ok | missing | not_digits | wrong_length | elfproef, so that
the BSN 11-check is a standard `expect_column_values_to_be_in_set(bsn_check, ['ok'])`.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from orchestration.config import EXPECTATIONS_DIR, SEEDS_DIR

ON_FAIL = ("quarantine", "onbekend", "null")
# A rejected BSN is shown masked to its last 3 digits, never whole.
MASKED_BSN_SQL = "(CASE WHEN bsn IS NULL THEN NULL ELSE '******' || right(bsn, 3) END)"
SUPPORTED_TYPES = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_match_strftime_format",
    "expect_column_values_to_be_between",
)


def suite_path(kind: str, expectations_dir: Path | None = None) -> Path:
    return Path(expectations_dir or EXPECTATIONS_DIR) / f"{kind}.json"


def load_suite_json(kind: str, expectations_dir: Path | None = None) -> dict:
    with open(suite_path(kind, expectations_dir), encoding="utf-8") as fh:
        return json.load(fh)


def code_list(name: str, seeds_dir: Path | None = None) -> list[str]:
    with open(Path(seeds_dir or SEEDS_DIR) / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return [row["code"].strip() for row in csv.DictReader(fh)]


def suite_parameters(kind: str, month: str, expectations_dir: Path | None = None,
                     seeds_dir: Path | None = None) -> dict:
    """The values of every `{"$PARAMETER": ...}` in the suite of `kind` for delivery `month`
    (YYYY-MM): code lists from the seeds and the folder's year and month. Pass them to GX as
    `batch.validate(suite, expectation_parameters=...)`."""
    year, month_number = month.split("-")
    params: dict = {"delivery_year": [str(int(year))], "delivery_month_number": [str(int(month_number))]}
    for exp in load_suite_json(kind, expectations_dir)["expectations"]:
        name = exp.get("meta", {}).get("code_list")
        if name:
            params[f"codes_{name}"] = code_list(name, seeds_dir)
    return params


def resolved_suite_json(kind: str, month: str, expectations_dir: Path | None = None,
                        seeds_dir: Path | None = None) -> dict:
    """The suite JSON with every parameter filled in (code lists, the folder's month)."""
    params = suite_parameters(kind, month, expectations_dir, seeds_dir)
    suite = load_suite_json(kind, expectations_dir)

    def resolve(value):
        if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
            return params[value["$PARAMETER"]]
        return value

    for exp in suite["expectations"]:
        exp["kwargs"] = {k: resolve(v) for k, v in exp["kwargs"].items()}
    return suite


def gx_suite(kind: str, month: str | None = None, expectations_dir: Path | None = None):
    """The suite as a GX ExpectationSuite (parameters resolved when `month` is given)."""
    import great_expectations as gx  # lazy: ~5 s import

    data = resolved_suite_json(kind, month, expectations_dir) if month else load_suite_json(kind, expectations_dir)
    return gx.ExpectationSuite(**data)


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
    index: int
    type: str
    column: str          # the column the expectation tests
    report_column: str   # the column shown to stewards
    rule: str
    on_fail: str
    passes_sql: str      # TRUE when the row satisfies the expectation (never NULL)
    message_sql: str     # the steward message for a failing row


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
        return f"({col} IS NULL OR try_strptime({col}, {sql_literal(kwargs['strftime_format'])}) IS NOT NULL)"
    if exp_type == "expect_column_values_to_be_between":
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        conds = []
        if lo is not None:
            conds.append(f"TRY_CAST({col} AS DOUBLE) >= {sql_literal(lo)}")
        if hi is not None:
            conds.append(f"TRY_CAST({col} AS DOUBLE) <= {sql_literal(hi)}")
        return f"({col} IS NULL OR coalesce({' AND '.join(conds) or 'TRUE'}, FALSE))"
    raise ValueError(f"expectation type {exp_type} is not supported by the row-rule compiler "
                     f"(supported: {', '.join(SUPPORTED_TYPES)})")


def compile_rules(kind: str, month: str, date_format_label: str, expectations_dir: Path | None = None,
                  seeds_dir: Path | None = None) -> list[CompiledRule]:
    """The suite of `kind` for delivery `month` as SQL predicates over the prepared batch.
    `date_format_label` is the source's dialect, quoted in date messages."""
    suite = resolved_suite_json(kind, month, expectations_dir, seeds_dir)
    rules = []
    for index, exp in enumerate(suite["expectations"]):
        meta, kwargs = exp.get("meta", {}), exp["kwargs"]
        exp_type, column = exp["type"], kwargs["column"]
        on_fail = meta.get("on_fail")
        if on_fail not in ON_FAIL:
            raise ValueError(f"{suite['name']}: expectation {index} ({exp_type} {column}) has meta.on_fail "
                             f"{on_fail!r}; expected one of {ON_FAIL}")
        if not meta.get("rule"):
            raise ValueError(f"{suite['name']}: expectation {index} ({exp_type} {column}) lacks meta.rule")
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
            on_fail=on_fail, passes_sql=f"coalesce({_passes_sql(exp_type, column, kwargs)}, FALSE)",
            message_sql=message_sql,
        ))
    return rules


def expectation_parameters(kind: str, month: str) -> dict:
    """Alias of suite_parameters(kind, month) (the name the GX runner looks up)."""
    return suite_parameters(kind, month)
