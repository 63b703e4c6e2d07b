"""Ingestion: a month's delivery files -> schema `landing` (typed, pseudonymised), the quarantine,
the row issues, and the result of every row rule (landing.expectation_results).

Per file, all in DuckDB SQL over all rows (no Python loop over rows except decoding
Windows-1252 and reading xlsx):
  read (readers.py) -> prepare (`prepare_delivery`: trim, value maps, constants, normalise dates
  and numbers, derive bsn_check) -> pseudonymise the distinct valid BSNs (HMAC in DuckDB) ->
  evaluate the row rules compiled from expectations/<kind>.json (rules.py) -> write the landed
  rows, the quarantine, the row issues, each expectation's result and the delivery, in one
  transaction per source and month. Every row is written once.

Guarantees (tests/ingestion):
- rows_in == rows_loaded + rows_quarantined for every loaded file (asserted here too);
- a (source, month) holds one file version: a changed re-delivery replaces its rows in landing,
  quarantine, row_issues and its row-rule results; a byte-identical one (same sha256 as the version
  loaded) changes nothing (status `unchanged`): its recorded results stand;
- a file that cannot be read fails that source for that month (status `failed`) and the rows of
  the version loaded before, if any, stay in force (a benefits file with no version in force: the
  month cannot be published, severity `error`);
- what raw/<month>/ holds for each source now (the file that counts and what became of it, or no
  file) is recorded in landing.raw_state, replacing what an earlier run saw: the state of a month
  follows the files in raw/, not the history of attempts (orchestration/quality/month_state.py);
- the same content under two names is read once: the other copy is recorded as `superseded`,
  identical;
- no BSN is written anywhere: landing carries person_id; quarantine shows `******123`; example
  values of the results are masked;
- raw/ is only read.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterator
from pathlib import Path

import duckdb

from orchestration.db import ensure_landing_schema, transaction
from orchestration.pseudonym import hmac_sql, hmac_sql_params
from orchestration.quality import suites
from orchestration.quality.expectation_results import (EXAMPLE_COUNT, ExpectationResult, column_map_result,
                                                       delete_results, store_results)
from orchestration.sources.readers import DeliveryUnreadable, RawBatch, drop_batch, read_delivery
from orchestration.sources.registry import SOURCE_KINDS, Kind, Layout, Source, load_registry
from orchestration.sources.rules import CompiledRule, compile_rules, parse_date_sql, quote_ident, sql_literal

MONTH_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# Leading/trailing whitespace of any kind: ASCII, non-breaking (U+00A0), the other unicode
# space separators (category Zs, Zl, Zp), zero-width space and BOM. Spelled out rather than \pZ:
# RE2 compiles the short class much faster, and small files pay that per statement.
_SPACE_CLASS = r"[\t\n\x0B\f\r \x{A0}\x{1680}\x{2000}-\x{200B}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]"
TRIM_REGEX = f"^{_SPACE_CLASS}+|{_SPACE_CLASS}+$"

__all__ = ["SOURCE_KINDS", "DeliveryResult", "PreparedDelivery", "find_months", "ingest_month",
           "prepare_delivery", "prepare_file", "unmatched_files"]


@dataclass
class DeliveryResult:
    source: str
    source_file: str | None         # path relative to raw/, None when missing
    status: str                     # loaded | unchanged | failed | superseded | missing
    rows_in: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    rows_with_issues: int | None = None
    message: str = ""
    severity: str = "info"          # error | warn | info
    file_hash: str | None = None


def find_months(raw_dir: Path, today: dt.date | None = None) -> tuple[list[str], list[str]]:
    """Month folders `YYYY-MM` in raw_dir, sorted, and a message for each folder that is skipped
    (not a month, or a month that has not begun)."""
    today = today or dt.date.today()
    months, messages = [], []
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return [], [f"{raw_dir}: the raw directory does not exist"]
    for entry in sorted(raw_dir.iterdir()):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        match = MONTH_FOLDER.match(entry.name)
        if not match:
            messages.append(f"{entry.name}/: not a delivery month folder (expected YYYY-MM, e.g. 2018-03); skipped")
            continue
        if dt.date(int(match.group(1)), int(match.group(2)), 1) > today:
            messages.append(f"{entry.name}/: month lies in the future (today is {today.isoformat()}); skipped")
            continue
        months.append(entry.name)
    return months, messages


# ---------------------------------------------------------------------------------------------
# SQL building blocks

# Above this many rows the trim regex only runs on values whose first or last character could be
# a space (3x faster on a national-scale file); below it that pre-test costs more to plan than the
# regex costs to run.
PRETEST_TRIM_ROWS = 20_000


def _trimmed(col: str, large: bool = False) -> str:
    """Trimmed text, empty -> NULL."""
    c = quote_ident(col)
    trimmed = f"nullif(regexp_replace({c}, {sql_literal(TRIM_REGEX)}, '', 'g'), '')"
    if not large:
        return trimmed
    first, last = f"unicode({c})", f"unicode({c}[-1])"
    edge = " OR ".join(f"{u} <= 32 OR {u} = 160 OR {u} >= 5760" for u in (first, last))
    return f"CASE WHEN {edge} THEN {trimmed} ELSE {c} END"


def _iso(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%d')"


ISO = "'%Y-%m-%d'"
DUTCH = "'%d-%m-%Y'"
EXCEL_EPOCH = "DATE '1899-12-30'"
# The shape a date must have to be read in a dialect: DuckDB's strptime alone also reads 1-3 digit
# years ('03-02-18' as the year 18), which no delivery means.
ISO_SHAPE = "'[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}'"
DUTCH_SHAPE = "'[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}'"
COMPACT, COMPACT_SHAPE = "'%Y%m%d'", "'[0-9]{8}'"


def _shaped(t: str, shape: str, fmt: str) -> str:
    """ISO text of `t` read with `fmt` when it has `shape`, else NULL."""
    return f"CASE WHEN regexp_full_match({t}, {shape}) THEN {_iso(f'try_strptime({t}, {fmt})')} END"


def _date_sql(t: str, date_format: str) -> str:
    """Normalised date text: YYYY-MM-DD when `t` parses in the dialect, else `t` itself (the
    rules then see it fail)."""
    if date_format == "excel":
        # an Excel date cell (read as ISO text), an Excel serial number (days since 1899-12-30,
        # as in a cell without date format), or Dutch date text typed into a text cell
        serial = (f"CASE WHEN regexp_full_match({t}, '[0-9]{{1,7}}([.][0-9]+)?') "
                  f"AND CAST({t} AS DOUBLE) BETWEEN 1 AND 2958465 "
                  f"THEN {_iso(f'{EXCEL_EPOCH} + CAST(floor(CAST({t} AS DOUBLE)) AS INTEGER)')} END")
        return f"coalesce({serial}, {_shaped(t, ISO_SHAPE, ISO)}, {_shaped(t, DUTCH_SHAPE, DUTCH)}, {t})"
    if date_format == "YYYY-MM-DD":
        return t  # already the canonical form; the rules test that it parses
    if date_format == "DD-MM-YYYY":
        return f"coalesce({_shaped(t, DUTCH_SHAPE, DUTCH)}, {t})"
    if date_format == "YYYYMMDD":
        return f"coalesce({_shaped(t, COMPACT_SHAPE, COMPACT)}, {t})"
    raise ValueError(f"date format {date_format!r} has no reader")  # pragma: no cover - the registry validates it


def _brp_date_sql(t: str) -> str:
    """BRP YYYYMMDD with unknown parts: year 0000 -> NULL, month 00 -> July, day 00 -> 1st."""
    imputed = (f"substr({t}, 1, 4) || '-' || (CASE substr({t}, 5, 2) WHEN '00' THEN '07' ELSE substr({t}, 5, 2) END)"
               f" || '-' || (CASE substr({t}, 7, 2) WHEN '00' THEN '01' ELSE substr({t}, 7, 2) END)")
    return (f"CASE WHEN NOT regexp_full_match({t}, '[0-9]{{8}}') THEN {t} "
            f"WHEN substr({t}, 1, 4) = '0000' THEN NULL "
            f"ELSE coalesce({_iso(f'try_strptime({imputed}, {ISO})')}, {t}) END")


def _value_map_sql(t: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in mapping.items())
    return f"CASE lower({t}) {whens} ELSE {t} END"


def _prepare_select(kind: Kind, source: Source, layout: Layout, large: bool) -> str:
    """SELECT list over the raw batch: normalised canonical text columns (+ BRP raw dates,
    bsn9 and bsn_check)."""
    parts = ["row_number"]
    for col in kind.columns:
        t = _trimmed(col.name, large)
        name = quote_ident(col.name)
        if col.name in layout.value_maps:
            t = f"({_value_map_sql(t, layout.value_maps[col.name])})"
        if col.type in ("text", "code", "bsn"):
            expr = t
        elif col.type == "integer":
            expr = f"CASE WHEN regexp_full_match({t}, '[0-9]{{1,9}}') THEN CAST(CAST({t} AS BIGINT) AS VARCHAR) ELSE {t} END"
        elif col.type == "number":
            expr = (f"CASE WHEN {t} LIKE '%,%' THEN replace(replace({t}, '.', ''), ',', '.') ELSE {t} END"
                    if source.decimal_comma else t)
        elif col.type == "date":
            expr = _date_sql(t, source.date_format)
        elif col.type == "brp_date":
            expr = _brp_date_sql(t)
            parts.append(f"{t} AS {quote_ident(col.name + '_raw')}")
        elif col.type == "month":
            expr = (f"CASE WHEN regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{1,2}}') "
                    f"THEN coalesce(strftime(try_strptime({t} || '-01', '%Y-%m-%d'), '%Y-%m'), {t}) ELSE {t} END")
        else:  # pragma: no cover - the registry validates types
            raise ValueError(col.type)
        parts.append(f"{expr} AS {name}")
    return ", ".join(parts)


def _bsn_check_sql(inner: str) -> str:
    """`inner` plus bsn9 (an 8-digit BSN padded with a leading zero) and bsn_check = ok | missing |
    not_digits | wrong_length | elfproef (9*d1 + 8*d2 + ... + 2*d8 - d9 must be divisible by 11
    and not 0)."""
    digits = [f"CAST(substr(bsn9, {i}, 1) AS INTEGER)" for i in range(1, 10)]
    weighted = " + ".join(f"{w} * {d}" for w, d in zip(range(9, 1, -1), digits[:8])) + f" - {digits[8]}"
    return f"""
        SELECT * EXCLUDE (_bsn_sum),
               CASE WHEN bsn IS NULL THEN 'missing'
                    WHEN NOT regexp_full_match(bsn, '[0-9]+') THEN 'not_digits'
                    WHEN length(bsn) NOT IN (8, 9) THEN 'wrong_length'
                    WHEN _bsn_sum % 11 <> 0 OR _bsn_sum = 0 THEN 'elfproef'
                    ELSE 'ok' END AS bsn_check
        FROM (SELECT *, CASE WHEN regexp_full_match(bsn9, '[0-9]{{9}}') THEN {weighted} END AS _bsn_sum
              FROM (SELECT *, CASE WHEN regexp_full_match(bsn, '[0-9]{{8}}') THEN '0' || bsn ELSE bsn END AS bsn9
                    FROM ({inner})))"""


# ---------------------------------------------------------------------------------------------
# Preparing a delivery: the rows exactly as the row rules see them

@dataclass
class PreparedDelivery:
    """One delivery file read and prepared. `table` is a temporary table with `row_number`, every
    canonical column as text as the row rules see it (trimmed, mapped, dates normalised; BRP dates
    also as `<column>_raw`), and for kinds with a BSN: `bsn` (trimmed, as delivered), `bsn9` and
    `bsn_check`. Rows that could not be split into fields are only in `batch.malformed_table`.
    Drop it with `drop_prepared` (it holds BSNs: it never leaves the connection)."""

    table: str
    batch: RawBatch
    source: Source
    kind: Kind
    layout: Layout


def prepare_delivery(con, path: Path, data: bytes, source: Source, kind: Kind, file_label: str) -> PreparedDelivery:
    """Read one delivery file (raises DeliveryUnreadable) and prepare its rows for the row rules.
    Ingestion lands what this gives; the GX oracle test validates the same rows with GX."""
    batch = read_delivery(con, path, data, source, kind, file_label)
    try:
        layout = next(l for l in source.layouts if l.name == batch.layout)
        has_bsn = any(c.type == "bsn" for c in kind.columns)
        select = (f"SELECT {_prepare_select(kind, source, layout, batch.rows_read > PRETEST_TRIM_ROWS)} "
                  f"FROM {batch.table}")
        table = batch.table + "_prep"
        con.execute(f"CREATE TEMP TABLE {table} AS {_bsn_check_sql(select) if has_bsn else select}")
    except BaseException:
        drop_batch(con, batch)
        raise
    return PreparedDelivery(table, batch, source, kind, layout)


def drop_prepared(con, prepared: PreparedDelivery | None) -> None:
    if prepared is not None:
        con.execute(f"DROP TABLE IF EXISTS {prepared.table}")
        drop_batch(con, prepared.batch)


def source_of_file(path: Path, sources: tuple[Source, ...]) -> Source | None:
    """The source a file name belongs to: of the matching patterns the most specific (longest),
    so `trajecten_uaf_extra.csv` is partner uaf_extra's, not uaf's. None when none matches."""
    matching = [s for s in sources if s.matches(Path(path).name)]
    return max(matching, key=lambda s: len(s.pattern)) if matching else None


def prepare_file(con, path: Path, registry_path: Path | None = None) -> PreparedDelivery:
    """`prepare_delivery` for a file, its source found by its name in the registry."""
    registry = load_registry(registry_path)
    source = source_of_file(path, registry.sources)
    if source is None:
        raise LookupError(f"{Path(path).name}: matches no source of the registry")
    return prepare_delivery(con, Path(path), Path(path).read_bytes(), source, registry.kinds[source.kind],
                            Path(path).name)


# ---------------------------------------------------------------------------------------------
# One delivery

def _file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _last_loaded(con, sources: list[str], month_date: dt.date) -> dict[str, tuple]:
    """Per source, the version of the month in force: (source_file, file_hash, rows_in,
    rows_loaded, rows_quarantined) of its latest loaded delivery (one query for all sources)."""
    rows = con.execute(
        """SELECT source, source_file, file_hash, rows_in, rows_loaded, rows_quarantined
           FROM landing.deliveries
           WHERE source IN (SELECT unnest(?::VARCHAR[])) AND delivery_month = ? AND status = 'loaded'
           QUALIFY row_number() OVER (PARTITION BY source ORDER BY loaded_at DESC) = 1""",
        [sources, month_date],
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


DELIVERY_COLUMNS = ("delivery_month", "source", "source_file", "file_hash", "file_size", "status", "rows_in",
                    "rows_loaded", "rows_quarantined", "message")
RAW_STATE_COLUMNS = ("delivery_month", "source", "source_file", "file_hash", "files", "status", "message")


def _insert_now(con, table: str, columns: tuple[str, ...], stamp: str, rows: list[tuple]) -> None:
    """`rows` into `table` in one statement, with `stamp` = now."""
    if rows:
        values = "(" + ", ".join("?" * len(columns)) + ", now()::TIMESTAMP)"
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}, {stamp}) VALUES {', '.join([values] * len(rows))}",
                    [value for row in rows for value in row])


def _record_delivery(con, month_date, source, source_file, file_hash, file_size, status,
                     rows_in=None, rows_loaded=None, rows_quarantined=None, message=None) -> None:
    _insert_now(con, "landing.deliveries", DELIVERY_COLUMNS, "loaded_at", [
        (month_date, source, source_file, file_hash, file_size, status, rows_in, rows_loaded, rows_quarantined, message)])


def _record_raw_states(con, month_date, rows: list[tuple]) -> None:
    """What raw/<month>/ holds now for these sources ((month, source, source_file, file_hash,
    files, status, message) each), replacing what an earlier run saw."""
    if rows:
        con.execute("DELETE FROM landing.raw_state WHERE delivery_month = ? AND source IN (SELECT unnest(?::VARCHAR[]))",
                    [month_date, [row[1] for row in rows]])
        _insert_now(con, "landing.raw_state", RAW_STATE_COLUMNS, "observed_at", rows)


def _record_raw_state(con, month_date, source, source_file, file_hash, files, status, message) -> None:
    _record_raw_states(con, month_date, [(month_date, source, source_file, file_hash, files, status, message)])


@dataclass
class UnchangedSources:
    """What a month's sources without new data leave behind (an unchanged file: its delivery row;
    with no file too: its raw/ state), recorded together in one transaction when the month is
    done: one statement each instead of a transaction per source (a run over unchanged months
    writes these for every source and month)."""
    deliveries: list[tuple] = field(default_factory=list)
    raw_states: list[tuple] = field(default_factory=list)

    def record(self, con, month_date) -> None:
        if self.deliveries or self.raw_states:
            with transaction(con):
                _insert_now(con, "landing.deliveries", DELIVERY_COLUMNS, "loaded_at", self.deliveries)
                _record_raw_states(con, month_date, self.raw_states)


def _final_value(col: str, rules: list[CompiledRule]) -> str:
    """The value that loads: 'onbekend' or NULL where an onbekend/null rule on the column failed."""
    whens = []
    for r in rules:
        if r.column == col and r.on_fail == "onbekend":
            whens.append(f"WHEN f{r.index} THEN 'onbekend'")
        elif r.column == col and r.on_fail == "null":
            whens.append(f"WHEN f{r.index} THEN NULL")
    return f"(CASE {' '.join(whens)} ELSE {quote_ident(col)} END)" if whens else quote_ident(col)


def _landing_select(kind: Kind, source: Source, rules: list[CompiledRule], lineage: str) -> str:
    parts = [lineage]
    if kind.name == "trajecten":
        parts.append(f"{sql_literal(source.partner)} AS partner")
    for col in kind.columns:
        v = _final_value(col.name, rules)
        name = quote_ident(col.name)
        if col.type == "bsn":
            parts.append("person_id")
        elif col.type in ("text", "code"):
            parts.append(f"{v} AS {name}")
        elif col.type in ("integer", "number"):
            parts.append(f"TRY_CAST({v} AS {'INTEGER' if col.type == 'integer' else 'DOUBLE'}) AS {name}")
        elif col.type in ("date", "brp_date"):
            # read as the date rule read it (orchestration/sources/rules.py)
            parts.append(f"CAST({parse_date_sql(v, '%Y-%m-%d')} AS DATE) AS {name}")
            if col.type == "brp_date":
                parts.append(f"{quote_ident(col.name + '_raw')}")
        elif col.type == "month":
            parts.append(f"CAST(try_strptime({v} || '-01', '%Y-%m-%d') AS DATE) AS {name}")
    return ", ".join(parts)


def _counts_and_results(con, checked: str, rules: list[CompiledRule], suite: dict, source: str, month: str,
                        file_hash: str) -> tuple[tuple[int, int, int], list[ExpectationResult]]:
    """In one pass over the checked rows: (rows loaded, rows quarantined, loaded rows with an
    issue) and each rule's result (rows checked, rows failing, the first failing values)."""
    issue_any = " OR ".join(f"f{r.index}" for r in rules if r.on_fail != "quarantine") or "FALSE"
    aggregates = ["count(*)", "count(*) FILTER (WHERE NOT quarantined)", "count(*) FILTER (WHERE quarantined)",
                  f"count(*) FILTER (WHERE NOT quarantined AND ({issue_any}))"]
    for r in rules:
        aggregates += [f"count(*) FILTER (WHERE f{r.index})",
                       f"flatten(min_by([{quote_ident(r.column)}], row_number, {EXAMPLE_COUNT}) FILTER (WHERE f{r.index}))"]
    ((rows, loaded, quarantined, with_issues, *per_rule),) = con.execute(
        f"SELECT {', '.join(aggregates)} FROM {checked}").fetchall()
    inputs = suites.inputs_hash(suite, file_hash)
    results = [
        ExpectationResult(source=source, month=month, suite_name=suite["name"], index=r.index, expectation=r.expectation,
                          success=not unexpected, result=column_map_result(rows, unexpected, examples),
                          file_hash=file_hash, inputs_hash=inputs)
        for r, unexpected, examples in zip(rules, per_rule[0::2], per_rule[1::2])
    ]
    return (loaded, quarantined, with_issues), results


def _load(con, prepared: PreparedDelivery, month: str, month_date: dt.date, source_file: str, file_hash: str,
          key: bytes, rules: list[CompiledRule], suite: dict) -> tuple[int, int, int]:
    """Check and write one prepared delivery. Returns (rows_loaded, rows_quarantined,
    rows_with_issues). Runs inside the caller's transaction."""
    kind, source, batch = prepared.kind, prepared.source, prepared.batch
    checked, pseudonyms = batch.table + "_chk", batch.table + "_pid"
    has_bsn = any(c.type == "bsn" for c in kind.columns)
    try:
        if has_bsn:
            # one HMAC per distinct valid BSN, computed by DuckDB; the key is a bound parameter
            con.execute(
                f"CREATE TEMP TABLE {pseudonyms} AS SELECT bsn9, {hmac_sql('bsn9')} AS person_id "
                f"FROM (SELECT DISTINCT bsn9 FROM {prepared.table} WHERE bsn_check = 'ok')",
                hmac_sql_params(key),
            )
            join = f"LEFT JOIN {pseudonyms} ps ON ps.bsn9 = p.bsn9 AND p.bsn_check = 'ok'"
            person = "ps.person_id"
        else:
            join, person = "", "NULL::VARCHAR AS person_id"
        quarantine_rules = [r for r in rules if r.on_fail == "quarantine"]
        flags = ", ".join(f"NOT {r.passes_sql} AS f{r.index}" for r in rules) or "FALSE AS _none"
        quarantined = " OR ".join(f"f{r.index}" for r in quarantine_rules) or "FALSE"
        con.execute(
            f"CREATE TEMP TABLE {checked} AS SELECT *, ({quarantined}) AS quarantined "
            f"FROM (SELECT p.*, {person}, {flags} FROM {prepared.table} p {join})"
        )

        def lineage(with_hash: bool = True) -> str:
            return (f"{sql_literal(month_date.isoformat())}::DATE AS delivery_month, {sql_literal(source.source)} AS source, "
                    f"{sql_literal(source_file)} AS source_file"
                    + (f", {sql_literal(file_hash)} AS file_hash" if with_hash else "") + ", row_number")

        record_key = f"{quote_ident(kind.record_key)}" if kind.record_key else "NULL::VARCHAR"
        issue_rules = [r for r in rules if r.on_fail != "quarantine"]
        (loaded, quarantined_rows, with_issues), results = _counts_and_results(
            con, checked, rules, suite, source.source, month, file_hash)
        store_results(con, results)
        # Statements that would write nothing are skipped: for the many small partner files the
        # fixed cost of a statement outweighs its work.
        if loaded:
            con.execute(f"INSERT INTO landing.{kind.name} BY NAME SELECT {_landing_select(kind, source, rules, lineage())} "
                        f"FROM {checked} WHERE NOT quarantined")
        if quarantine_rules and quarantined_rows:
            def reported_value(r: CompiledRule) -> str:
                if r.report_column == "bsn" or r.column == "bsn":
                    return "CASE WHEN bsn IS NULL THEN NULL ELSE '******' || right(bsn, 3) END"
                return quote_ident(r.column)

            first = lambda what: "CASE " + " ".join(f"WHEN f{r.index} THEN {what(r)}" for r in quarantine_rules) + " END"
            messages = ", ".join(f"CASE WHEN f{r.index} THEN {r.message_sql} END" for r in quarantine_rules)
            con.execute(
                f"""INSERT INTO landing.quarantine BY NAME
                    SELECT {lineage()},
                           {first(lambda r: sql_literal(r.report_column))} AS column_name,
                           {first(reported_value)} AS value,
                           {first(lambda r: sql_literal(r.rule))} AS rule,
                           concat_ws('; ', {messages}) AS message,
                           {record_key} AS record_key
                    FROM {checked} WHERE quarantined"""
            )
        if batch.rows_malformed:
            con.execute(
                f"""INSERT INTO landing.quarantine BY NAME
                    SELECT {lineage()}, NULL AS column_name, NULL AS value, 'malformed_row' AS rule,
                           message, NULL AS record_key
                    FROM {batch.malformed_table}"""
            )
        if with_issues:
            # one row per failing non-quarantine rule of a loaded row
            selects = " UNION ALL ".join(
                f"""SELECT {lineage(with_hash=False)}, {sql_literal(r.column)} AS column_name,
                           {quote_ident(r.column)} AS value, {sql_literal(r.rule)} AS rule,
                           {r.message_sql} AS message, person_id, {record_key} AS record_key
                    FROM {checked} WHERE f{r.index} AND NOT quarantined"""
                for r in issue_rules)
            con.execute(f"INSERT INTO landing.row_issues BY NAME {selects}")
        return loaded, quarantined_rows + batch.rows_malformed, with_issues
    finally:
        try:
            con.execute(f"DROP TABLE IF EXISTS {checked}; DROP TABLE IF EXISTS {pseudonyms}")
        except duckdb.Error:
            pass  # the transaction failed: its rollback removes these tables (created inside it)


def _delete_version(con, kind: str, source: str, month_date: dt.date, suite_name: str) -> None:
    for table in (f"landing.{kind}", "landing.quarantine", "landing.row_issues"):
        con.execute(f"DELETE FROM {table} WHERE source = ? AND delivery_month = ?", [source, month_date])
    delete_results(con, source, month_date.strftime("%Y-%m"), suite_name)


def _delivery_files_in(month_dir: Path, all_sources: tuple[Source, ...]) -> Iterator[tuple[Path, Source]]:
    """Each file of a month folder that a source picks up, with that source (hidden files and
    Office lock files `~$...` are never deliveries)."""
    if not month_dir.is_dir():
        return
    for path in month_dir.iterdir():
        if path.is_file() and not path.name.startswith((".", "~$")):
            source = source_of_file(path, all_sources)
            if source is not None:
                yield path, source


def _files_by_source(month_dir: Path, all_sources: tuple[Source, ...]) -> dict[str, list[Path]]:
    """The files of a month folder per source, each source's newest first (by modification time,
    then name)."""
    files: dict[str, list[Path]] = {}
    for path, source in _delivery_files_in(month_dir, all_sources):
        files.setdefault(source.source, []).append(path)
    return {name: sorted(paths, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
            for name, paths in files.items()}


def _ingest_source(con, raw_dir: Path, month: str, month_date: dt.date, source: Source, kind: Kind,
                   key: bytes, suite: dict, candidates: list[Path], previous: tuple | None,
                   unchanged: UnchangedSources) -> list[DeliveryResult]:
    if not candidates:
        if previous:
            message = (f"no file matching {source.pattern} in {month}/ any more: the version loaded earlier "
                       f"({previous[0]}) stays in force; put it back in raw/ (a rebuild from raw/ would lose it)")
        else:
            message = f"no file matching {source.pattern} in {month}/"
        unchanged.raw_states.append((month_date, source.source, None, None, 0, "absent", message))
        return [DeliveryResult(source.source, None, "missing", message=message,
                               severity="warn" if kind.name == "uitkeringen" or previous else "info")]
    results = []
    winner, *older = candidates
    rel = lambda p: p.relative_to(raw_dir).as_posix()
    winner_file = rel(winner)
    data = winner.read_bytes()
    file_hash = _file_hash(data)
    for path in older:
        older_data = path.read_bytes()
        older_hash = _file_hash(older_data)
        message = (f"identical to {winner.name} (the same delivery under two names): read once"
                   if older_hash == file_hash else
                   f"superseded by the newer {winner.name} (newest file by modification time wins)")
        _record_delivery(con, month_date, source.source, rel(path), older_hash, len(older_data), "superseded",
                         message=message)
        results.append(DeliveryResult(source.source, rel(path), "superseded", message=message,
                                      severity="info", file_hash=older_hash))

    if previous and previous[1] == file_hash:
        message = f"identical to the version already loaded ({previous[0]}); nothing changed"
        unchanged.deliveries.append((month_date, source.source, winner_file, file_hash, len(data), "unchanged",
                                     previous[2], previous[3], previous[4], message))
        unchanged.raw_states.append((month_date, source.source, winner_file, file_hash, len(candidates), "unchanged",
                                     message))
        results.append(DeliveryResult(source.source, winner_file, "unchanged", previous[2], previous[3], previous[4],
                                      None, message, "info", file_hash))
        return results

    prepared = None
    try:
        try:
            prepared = prepare_delivery(con, winner, data, source, kind, winner_file)
        except DeliveryUnreadable as err:
            # A benefits file blocks its month only when no version of the month is in force: a
            # corrupt re-delivery does not withdraw figures made from a good one (docs/stewards.md).
            blocks = kind.name == "uitkeringen" and not previous
            keep = (f"the version loaded earlier ({previous[0]}) stays in force" if previous
                    else "no earlier version of this month is loaded"
                    + (": the partner's previous snapshot stays in force" if kind.name == "trajecten" else ""))
            message = f"{err} Nothing loaded from this file: {keep}{'; the month cannot be published' if blocks else ''}."
            with transaction(con):
                _record_delivery(con, month_date, source.source, winner_file, file_hash, len(data), "failed",
                                 message=message)
                _record_raw_state(con, month_date, source.source, winner_file, file_hash, len(candidates), "failed",
                                  message)
            results.append(DeliveryResult(source.source, winner_file, "failed", message=message,
                                          severity="error" if blocks else "warn", file_hash=file_hash))
            return results

        batch = prepared.batch
        rules = compile_rules(suite, source.date_format)
        con.begin()
        try:
            _delete_version(con, kind.name, source.source, month_date, suite["name"])
            loaded, quarantined, with_issues = _load(con, prepared, month, month_date, winner_file, file_hash,
                                                     key, rules, suite)
            if loaded + quarantined != batch.rows_in:
                raise AssertionError(f"{winner_file}: rows in {batch.rows_in} != loaded {loaded} + quarantined {quarantined}")
            notes = list(batch.notes)
            if batch.rows_in == 0:
                notes.insert(0, "header only: 0 data rows")
            if previous:
                notes.append(f"replaces the version loaded earlier ({previous[0]})")
            message = "; ".join(notes)
            _record_delivery(con, month_date, source.source, winner_file, file_hash, len(data), "loaded",
                             batch.rows_in, loaded, quarantined, message or None)
            _record_raw_state(con, month_date, source.source, winner_file, file_hash, len(candidates), "loaded",
                              message or None)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        warn = bool(batch.rows_malformed) or any(n.startswith("unknown column") for n in batch.notes)
        results.append(DeliveryResult(source.source, winner_file, "loaded", batch.rows_in, loaded, quarantined,
                                      with_issues, message, "warn" if warn else "info", file_hash))
        return results
    finally:
        drop_prepared(con, prepared)


def unmatched_files(raw_dir: Path, month: str, registry_path: Path | None = None) -> list[str]:
    """A message for each file in raw_dir/<month>/ that no source of the registry picks up (a
    misspelt name, a partner's file in the wrong format, a partner not yet in the registry):
    nothing reads it, so a steward should know. The lead's run summary can print these."""
    registry = load_registry(registry_path)
    month_dir = Path(raw_dir) / month
    if not month_dir.is_dir():
        return []
    messages = []
    for path in sorted(month_dir.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir():
            messages.append(f"{month}/{path.name}/: a folder inside a month folder is not read")
        elif not any(s.matches(path.name) for s in registry.sources):
            similar = [s.pattern for s in registry.sources if path.stem.casefold().startswith(s.pattern.split("*")[0].casefold())]
            hint = f" (the registry expects {', '.join(similar)})" if similar else ""
            messages.append(f"{month}/{path.name}: matches no source of the registry; not read{hint}")
    return messages


def delivery_files(raw_dir: Path, months: list[str]) -> dict[str, Path]:
    """Every file in the month folders `months` of raw_dir that a source of the registry picks
    up, by its path relative to raw_dir (as landing.deliveries records it)."""
    sources = load_registry().sources
    return {f"{month}/{path.name}": path for month in months
            for path, _source in _delivery_files_in(Path(raw_dir) / month, sources)}


def recorded_files(warehouse: Path, column: str) -> set[tuple[str, Any]] | None:
    """(source_file, `column`) of every file landing.deliveries records, whatever became of it;
    an empty set before anything was ingested; None while a run writes the warehouse (DuckDB's
    one writer lock). Read-only: the sensor and `statmon run` read it before a run."""
    if not Path(warehouse).exists():
        return set()
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException:
        return None
    try:
        return set(con.execute(f"SELECT DISTINCT source_file, {column} FROM landing.deliveries "
                               f"WHERE {column} IS NOT NULL").fetchall())
    except duckdb.CatalogException:  # nothing ingested yet
        return set()
    finally:
        con.close()


def unseen_files(raw_dir: Path, warehouse: Path, months: list[str]) -> list[str]:
    """The delivery files of `months` (paths relative to raw_dir) that landing.deliveries does not
    record with their path and size: new deliveries, and changed ones whose size changed. A cheap
    guess, no file is read: `statmon run` uses it to prepare GX while dbt parses (a new delivery
    will be validated by the file-level suites); ingestion itself compares sha256."""
    sizes = {relative: path.stat().st_size for relative, path in delivery_files(raw_dir, months).items()}
    try:
        seen = recorded_files(warehouse, "file_size") if sizes else set()
    except duckdb.Error:  # a guess never stops the run: the run itself reports the warehouse
        seen = None
    if seen is None:
        return sorted(sizes)
    return sorted(file for file, size in sizes.items() if (file, size) not in seen)


def ingest_month(con, raw_dir: Path, month: str, kind: str, key: bytes,
                 registry_path: Path | None = None, suite_path: Path | None = None,
                 ensure_schema: bool = True) -> list[DeliveryResult]:
    """Ingest every source of `kind` for delivery month `month` (YYYY-MM) from raw_dir/<month>/.
    One transaction per source whose file is loaded or fails, one for the month's unchanged and
    absent sources; returns one DeliveryResult per file seen (or per missing source).
    `suite_path`: another row-rule suite than expectations/<kind>.json (tests). `ensure_schema`:
    False when the caller has brought the landing schema up to date (once for many months)."""
    if not MONTH_FOLDER.match(month):
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
    if ensure_schema:
        ensure_landing_schema(con)
    registry = load_registry(registry_path)
    raw_dir = Path(raw_dir)
    month_date = dt.date(int(month[:4]), int(month[5:7]), 1)
    suite = suites.resolved_row_rules(kind, month, path=suite_path)
    files = _files_by_source(raw_dir / month, registry.sources)
    sources = registry.sources_of(kind)
    in_force = _last_loaded(con, [s.source for s in sources], month_date)
    unchanged = UnchangedSources()
    results: list[DeliveryResult] = []
    try:
        for source in sources:
            results += _ingest_source(con, raw_dir, month, month_date, source, registry.kinds[kind], key, suite,
                                      files.get(source.source, []), in_force.get(source.source), unchanged)
    finally:
        unchanged.record(con, month_date)
    return results
