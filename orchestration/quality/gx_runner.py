"""Row rules: the GX Core suite `expectations/<kind>.json` validated by Great Expectations on the
parsed batch of each (source, month), the rows as parsed before quarantine (schema `parsed`).

Ingestion compiles the same suite to DuckDB SQL to split a delivery into landed and quarantined
rows; this module runs the suite with GX itself, so the counts GX reports are an independent
account of what ingestion did. GX runs in the GX worker process (gx_worker.py), never in the caller's: the caller
reads each batch from DuckDB as an Arrow table and stores the results; the worker (one ephemeral
context, pandas datasource, suites built once) validates. GX costs ~5-8 s to import, which the
worker pays on a core the pipeline leaves idle.

Suite JSON (GX 1.x): {"name", "expectations": [{"type", "kwargs", "meta"}], "meta"}. Each
expectation's meta: `rule` (stable id, required), `on_fail` (quarantine | onbekend | null, read by
ingestion), `code_list` (a dbt seed name whose codes fill kwargs.value_set when the suite is
loaded), `severity` (error | warn, default warn), `description` (plain words, optional)."""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from orchestration.config import EXPECTATIONS_DIR, SEEDS_DIR
from orchestration.db import transaction
from orchestration.quality import gx_worker
from orchestration.quality.outcomes import ExpectationOutcome
from orchestration.quality.tables import ensure_quality_tables, table_exists

DATASOURCE_NAME = "statmon_dataframes"
# How many example values a failed expectation keeps (in its detail and in GX's result).
EXAMPLE_COUNT = 5
_CONTEXT = None


def gx_context():
    """The process's GX context: ephemeral, progress bars off, one pandas datasource."""
    global _CONTEXT
    if _CONTEXT is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.data_sources.add_pandas(DATASOURCE_NAME)
        _CONTEXT = context
    return _CONTEXT


# ---------------------------------------------------------------------------- suites


def read_codes(seed_name: str, seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """The `code` column of a dbt seed (as text: '01' stays '01')."""
    path = seeds_dir / f"{seed_name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"meta.code_list {seed_name!r}: no seed {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row["code"].strip() for row in csv.DictReader(handle) if (row.get("code") or "").strip()]


def load_suite_dict(path: Path) -> dict[str, Any]:
    """A suite file as a dict, code lists resolved into value_set, key names of GX 1.x."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    suite = {
        "name": raw.get("name") or raw.get("expectation_suite_name") or Path(path).stem,
        "meta": raw.get("meta") or {},
        "expectations": [],
    }
    for index, expectation in enumerate(raw.get("expectations", [])):
        expectation_type = expectation.get("type") or expectation.get("expectation_type")
        kwargs = dict(expectation.get("kwargs") or {})
        meta = dict(expectation.get("meta") or {})
        if not meta.get("rule"):
            raise ValueError(f"{path}: expectation {index} ({expectation_type}) has no meta.rule")
        if meta.get("code_list"):
            kwargs["value_set"] = read_codes(meta["code_list"])
        suite["expectations"].append({"type": expectation_type, "kwargs": kwargs, "meta": meta})
    return suite


def build_suite(suite_dict: dict[str, Any]):
    """A GX ExpectationSuite from a suite dict (registered in the process's context)."""
    from great_expectations.core import ExpectationSuite

    context = gx_context()
    suite = ExpectationSuite(name=suite_dict["name"], expectations=suite_dict["expectations"], meta=suite_dict.get("meta") or {})
    return context.suites.add_or_update(suite)


_SUITES: dict[str, tuple[str, Any]] = {}  # suite name -> (the dict it was built from, as JSON; the suite)


def suite_for(suite_dict: dict[str, Any]):
    """The built suite of `suite_dict`, built once per process and rebuilt when the dict changes
    (a suite file edited between runs of a long-lived process, or a test's own suite)."""
    key = json.dumps(suite_dict, sort_keys=True, default=str)
    cached = _SUITES.get(suite_dict["name"])
    if cached is None or cached[0] != key:
        cached = (key, build_suite(suite_dict))
        _SUITES[suite_dict["name"]] = cached
    return cached[1]


def prepare_suites() -> None:
    """Build every suite of expectations/ (row rules and file rules) ahead of use: the GX worker
    does this at start-up, while the pipeline is still ingesting."""
    for path in [*sorted(EXPECTATIONS_DIR.glob("*.json")), *sorted((EXPECTATIONS_DIR / "file_rules").glob("*.json"))]:
        suite_for(load_suite_dict(path))


def row_rules_path(kind: str) -> Path:
    return EXPECTATIONS_DIR / f"{kind}.json"


def _parameter_names(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return [value["$PARAMETER"]]
        return [name for item in value.values() for name in _parameter_names(item)]
    if isinstance(value, list):
        return [name for item in value for name in _parameter_names(item)]
    return []


def suite_parameters(suite_dict: dict[str, Any], kind: str, month: str) -> dict[str, Any]:
    """Values for the suite's {"$PARAMETER": name} placeholders for one delivery month, from
    ingestion's own resolver, so that GX and the SQL split read the same values (code lists from
    the seeds, the folder's year and month)."""
    if not any(_parameter_names(e["kwargs"]) for e in suite_dict["expectations"]):
        return {}
    from orchestration.sources.rules import expectation_parameters

    return expectation_parameters(kind, month)


# ---------------------------------------------------------------------------- validation


def validate_dataframe(suite, dataframe, asset_name: str, parameters: dict[str, Any] | None = None):
    """Run `suite` on `dataframe` with GX; the ExpectationSuiteValidationResult."""
    context = gx_context()
    datasource = context.data_sources.get(DATASOURCE_NAME)
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(asset_name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": dataframe})
    return batch.validate(
        suite,
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLE_COUNT},
        expectation_parameters=parameters or {},
    )


def _column_of(kwargs: dict[str, Any]) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


def mask_bsn_like(value: Any) -> Any:
    """The value with every text of 8 or 9 digits (what a BSN looks like) masked to its last 3
    digits, in nested lists and dicts too: GX keeps example values in its results, and no table
    a steward reads may hold a BSN, not even a rejected one."""
    if isinstance(value, str):
        return "******" + value[-3:] if value.isdigit() and 8 <= len(value) <= 9 else value
    if isinstance(value, list):
        return [mask_bsn_like(item) for item in value]
    if isinstance(value, dict):
        return {key: mask_bsn_like(item) for key, item in value.items()}
    return value


def _example(value: Any, column: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(empty)"
    text = str(value)
    # Never show a BSN, even a rejected one: digits of BSN length are masked to the last 3.
    if column == "bsn" or (text.isdigit() and 8 <= len(text) <= 9):
        text = "******" + text[-3:]
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def describe(result: dict[str, Any], meta: dict[str, Any], expectation_type: str, column: str | None,
             source: str, month: str, success: bool) -> str:
    """The plain-words detail of one expectation result."""
    what = meta.get("description") or (f"{meta.get('rule', expectation_type)} ({column})" if column else meta.get("rule", expectation_type))
    where = f"{source} {month}"
    if "unexpected_count" in result and result.get("element_count") is not None:
        count, total = result.get("unexpected_count") or 0, result.get("element_count") or 0
        if success:
            return f"{what}: all {total} rows pass ({where})"
        examples = ", ".join(dict.fromkeys(_example(v, column) for v in result.get("partial_unexpected_list") or []))
        return f"{what}: {count} of {total} rows fail ({where})" + (f"; e.g. {examples}" if examples else "")
    observed = result.get("observed_value")
    status = "passes" if success else "fails"
    return f"{what}: {status} ({where})" + (f"; observed {observed}" if observed is not None else "")


def outcomes_of(validation_result, source: str, month: str) -> list[ExpectationOutcome]:
    outcomes = []
    for item in validation_result.results:
        config = item.expectation_config
        meta = dict(config.meta or {})
        kwargs = dict(config.kwargs or {})
        column = _column_of(kwargs)
        result = dict(item.result or {})
        if item.exception_info and item.exception_info.get("raised_exception"):
            detail = f"the expectation could not run: {item.exception_info.get('exception_message')}"
        else:
            detail = describe(result, meta, config.type, column, source, month, bool(item.success))
        outcomes.append(
            ExpectationOutcome(
                rule=meta.get("rule", config.type),
                column=column,
                source=source,
                month=month,
                success=bool(item.success),
                unexpected_count=result.get("unexpected_count"),
                element_count=result.get("element_count"),
                severity=meta.get("severity", "warn"),
                detail=detail,
                expectation_type=config.type,
                suite_name=validation_result.suite_name,
            )
        )
    return outcomes


def month_start(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


@dataclass(frozen=True)
class BatchValidation:
    """What a GX validation of one (source, month) batch gives back to the caller: plain data,
    no GX objects, so that it crosses from the GX worker cheaply."""

    source: str
    month: str
    suite_name: str
    rows: int
    outcomes: list[ExpectationOutcome]
    result_json: str  # GX's ExpectationSuiteValidationResult as JSON, BSN-like values masked


def validate_arrow_batch(suite_dict: dict[str, Any], table, asset_name: str, parameters: dict[str, Any],
                         source: str, month: str) -> BatchValidation:
    """Validate one batch (an Arrow table, as DuckDB gives it) with GX in this process. Called in the
    GX worker by `validate_batches`; callable in-process too (the tests compare the two)."""
    dataframe = table.to_pandas()
    result = validate_dataframe(suite_for(suite_dict), dataframe, asset_name, parameters)
    return BatchValidation(
        source=source,
        month=month,
        suite_name=result.suite_name,
        rows=len(dataframe),
        outcomes=outcomes_of(result, source, month),
        result_json=json.dumps(mask_bsn_like(result.to_json_dict()), default=str),
    )


# Batches handed to the worker ahead of the one being collected: enough to keep it busy while
# the caller stores results and reads the next batch, few enough to bound the memory they hold.
BATCHES_IN_FLIGHT = 2


def validate_batches(jobs: Iterable[tuple[dict[str, Any], Any, str, dict[str, Any], str, str]]) -> Iterator[BatchValidation]:
    """Validate each job (the arguments of `validate_arrow_batch`) in the GX worker; results in
    the order of the jobs. `jobs` is consumed lazily, at most BATCHES_IN_FLIGHT ahead."""
    pending: list[tuple[Any, str]] = []
    for job in jobs:
        pending.append((gx_worker.submit(validate_arrow_batch, *job), f"validating {job[4]} {job[5]} ({job[0]['name']})"))
        if len(pending) >= BATCHES_IN_FLIGHT:
            future, what = pending.pop(0)
            yield gx_worker.result(future, what)
    for future, what in pending:
        yield gx_worker.result(future, what)


def store_results(con, validation: BatchValidation) -> None:
    """Replace the stored results of this suite for (source, month): flat rows in
    landing.expectation_results, GX's JSON in landing.gx_validation_results."""
    source, month, suite_name, outcomes = validation.source, validation.month, validation.suite_name, validation.outcomes
    first_day = month_start(month)
    now = dt.datetime.now()
    with transaction(con):
        for table in ("landing.expectation_results", "landing.gx_validation_results"):
            con.execute(
                f"DELETE FROM {table} WHERE source = ? AND delivery_month = ? AND suite_name = ?",
                [source, first_day, suite_name],
            )
        con.executemany(
            "INSERT INTO landing.expectation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (first_day, source, suite_name, o.expectation_type, o.column, o.rule, o.severity, o.success,
                 o.element_count, o.unexpected_count, o.detail, now)
                for o in outcomes
            ],
        )
        con.execute(
            "INSERT INTO landing.gx_validation_results VALUES (?, ?, ?, ?, ?)",
            [first_day, source, suite_name, validation.result_json, now],
        )


def forget_results(con, suite_name: str, months: list[str], batches: list[tuple[str, str]]) -> None:
    """Drop stored results of `suite_name` in `months` for (source, month) batches that no longer
    exist (their rows were removed): results describe only data that is there."""
    if not months:
        return
    keep = {f"{source} {month}" for source, month in batches}
    for table in ("landing.expectation_results", "landing.gx_validation_results"):
        con.execute(
            f"""DELETE FROM {table} WHERE suite_name = ?
                AND strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
                AND source || ' ' || strftime(delivery_month, '%Y-%m') NOT IN (SELECT unnest(?::VARCHAR[]))""",
            [suite_name, list(months), sorted(keep)],
        )


def batches_of(con, table: str, months: list[str]) -> list[tuple[str, str]]:
    """The (source, YYYY-MM) batches of `table` in `months`, in order."""
    if not months:
        return []
    placeholders = ", ".join("?" for _ in months)
    return con.execute(
        f"""SELECT DISTINCT source, strftime(CAST(delivery_month AS DATE), '%Y-%m') AS month
            FROM {table} WHERE strftime(CAST(delivery_month AS DATE), '%Y-%m') IN ({placeholders})
            ORDER BY month, source""",
        list(months),
    ).fetchall()


def arrow_of(con, query: str, params: list):
    """A query's rows as an Arrow table: the GX worker turns it into the pandas DataFrame GX reads
    (several times faster than .df() for text columns, and pickled as whole buffers on the way).
    (con.sql would avoid Arrow's extra copy but refuses to run while the caller's connection holds
    an unfinished result, which we cannot rule out.)"""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        return con.execute(query, params).to_arrow_table()


def referenced_columns(suite_dict: dict[str, Any]) -> list[str]:
    columns: list[str] = []
    for expectation in suite_dict["expectations"]:
        kwargs = expectation["kwargs"]
        for name in [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *(kwargs.get("column_list") or [])]:
            if name and name not in columns:
                columns.append(name)
    return columns


def batch_columns(con, table: str, suite_dict: dict[str, Any]) -> list[str]:
    """The columns of `table` a suite needs, plus row_number. A table-level expectation (on the
    column set, say) needs them all. A column the suite names but the table lacks is left to GX
    to report."""
    schema, name = table.split(".")
    present = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name]).fetchall()]
    if any(e["type"].startswith("expect_table_") and "row_count" not in e["type"] for e in suite_dict["expectations"]):
        return present
    wanted = ["row_number", *referenced_columns(suite_dict)]
    return [c for c in present if c in wanted]


def _row_rule_jobs(con, kind: str, suite_dict: dict[str, Any], batches: list[tuple[str, str]]):
    """The worker jobs of the row rules of `kind`, one per batch, read lazily."""
    columns = ", ".join(f'"{c}"' for c in batch_columns(con, f"parsed.{kind}", suite_dict))
    return (
        (
            suite_dict,
            arrow_of(con, f"SELECT {columns} FROM parsed.{kind} WHERE source = ? AND CAST(delivery_month AS DATE) = ? "
                          "ORDER BY row_number", [source, month_start(month)]),
            f"parsed_{kind}",
            suite_parameters(suite_dict, kind, month),
            source,
            month,
        )
        for source, month in batches
    )


def _warehouse_of(con) -> str:
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0] or ""


# Validations started by the landing step, waiting for the row_rules check of the same run:
# (warehouse, kind, months) -> (suite dict, batches, [(future, what)]). In-process executor only;
# under a multiprocess executor the check finds nothing here and validates itself.
_STARTED: dict[tuple[str, str, tuple[str, ...]], tuple[dict[str, Any], list[tuple[str, str]], list]] = {}
# A backfill validates in the check, BATCHES_IN_FLIGHT at a time: starting every month's batches
# at once would hold them all in memory. A monthly refresh (one or two months) starts at landing.
MAX_STARTED_MONTHS = 2


def start_parsed_batch_validation(con, kind: str, months: list[str]) -> bool:
    """Start validating the parsed batches of `kind` in `months` in the GX worker now, while the
    pipeline lands the next source; `validate_parsed_batch` (the row_rules check) collects the
    results. Called by the landing step once its rows are in. False when there is nothing to start."""
    key = (_warehouse_of(con), kind, tuple(months))
    _forget_started(key)
    suite_path = row_rules_path(kind)
    if not suite_path.exists() or not table_exists(con, "parsed", kind):
        return False
    suite_dict = load_suite_dict(suite_path)
    batches = batches_of(con, f"parsed.{kind}", months)
    if not batches or len({month for _source, month in batches}) > MAX_STARTED_MONTHS:
        return False
    futures = [(gx_worker.submit(validate_arrow_batch, *job), f"validating {job[4]} {job[5]} ({suite_dict['name']})")
               for job in _row_rule_jobs(con, kind, suite_dict, batches)]
    _STARTED[key] = (suite_dict, batches, futures)
    return True


def _forget_started(key) -> None:
    started = _STARTED.pop(key, None)
    for future, _what in (started[2] if started else []):
        future.cancel()


def validate_parsed_batch(con, kind: str, months: list[str], *, suite_path: Path | None = None) -> list[ExpectationOutcome]:
    """Validate `expectations/<kind>.json` with GX on parsed.<kind>, one validation per
    (source, month) of `months`; store the results (replacing earlier ones of that source and
    month) and return one outcome per expectation and batch. No parsed table or no suite file:
    nothing to validate, []. Validations the landing step started for the same suite and batches
    (`start_parsed_batch_validation`) are collected instead of run again."""
    ensure_quality_tables(con)
    started = _STARTED.pop((_warehouse_of(con), kind, tuple(months)), None) if suite_path is None else None
    suite_path = suite_path or row_rules_path(kind)
    if not suite_path.exists() or not table_exists(con, "parsed", kind):
        return []
    suite_dict = load_suite_dict(suite_path)
    batches = batches_of(con, f"parsed.{kind}", months)
    forget_results(con, suite_dict["name"], months, batches)
    if not batches:
        return []
    if started is not None and started[0] == suite_dict and started[1] == batches:
        validations = (gx_worker.result(future, what) for future, what in started[2])
    else:
        for future, _what in (started[2] if started else []):
            future.cancel()
        validations = validate_batches(_row_rule_jobs(con, kind, suite_dict, batches))
    outcomes: list[ExpectationOutcome] = []
    for validation in validations:
        store_results(con, validation)
        outcomes.extend(validation.outcomes)
    return outcomes
