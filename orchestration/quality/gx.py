"""Great Expectations in the pipeline, where it is the right tool: the file-level suites on the
landed rows (file_rules.py) and the Data Docs site (data_docs.py). The row rules do not run GX in
production (they are compiled to SQL: orchestration/sources/rules.py); the tests use GX as their
oracle.

`import great_expectations` costs ~5 s, so it is imported here, only when a file suite has to
validate a changed delivery (and in data_docs.py when the month's results changed): a run over
unchanged months never imports it. `statmon run` imports it earlier, while dbt parses in another
process, when raw/ holds a new delivery (orchestration/run.py). (Importing it on a thread while the
landing steps run was measured and dropped: both are Python holding the GIL, and the seconds only
moved from one step to the other.)"""
from __future__ import annotations

from typing import Any

from orchestration.quality.expectation_results import EXAMPLE_COUNT, ExpectationResult, column_of
from orchestration.quality.suites import gx_suite

DATASOURCE_NAME = "statmon_dataframes"
_context = None


def context():
    """The process's GX context: ephemeral, progress bars off, one pandas datasource."""
    global _context
    if _context is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.data_sources.add_pandas(DATASOURCE_NAME)
        _context = ctx
    return _context


def validate(resolved_suite: dict[str, Any], dataframe, *, result_format: dict | None = None):
    """GX's ExpectationSuiteValidationResult of the resolved suite on a pandas DataFrame."""
    ctx = context()
    datasource = ctx.data_sources.get(DATASOURCE_NAME)
    name = f"rows_{resolved_suite['name']}"
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": dataframe})
    return batch.validate(gx_suite(resolved_suite), result_format=result_format or
                          {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLE_COUNT})


def results_of(validation, resolved_suite: dict[str, Any], source: str, month: str, file_hash: str | None,
               inputs_hash: str | None) -> list[ExpectationResult]:
    """GX's validation result as ExpectationResults, in the order of the suite."""
    def identity(exp_type: str, kwargs: dict, meta: dict) -> tuple:
        return exp_type, column_of(kwargs), (meta or {}).get("rule")

    by_index = {}
    for item in validation.results:
        config = item.expectation_config
        wanted = identity(config.type, dict(config.kwargs or {}), dict(config.meta or {}))
        index = next(i for i, e in enumerate(resolved_suite["expectations"])
                     if i not in by_index and identity(e["type"], e["kwargs"], e["meta"]) == wanted)
        exception = (item.exception_info or {}).get("exception_message") \
            if (item.exception_info or {}).get("raised_exception") else None
        by_index[index] = ExpectationResult(
            source=source, month=month, suite_name=resolved_suite["name"], index=index,
            expectation=resolved_suite["expectations"][index], success=bool(item.success),
            result=dict(item.result or {}), exception=exception, file_hash=file_hash, inputs_hash=inputs_hash)
    return [by_index[i] for i in sorted(by_index)]
