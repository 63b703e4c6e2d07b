"""GX Data Docs (static HTML) for one delivery month, from the validation results stored by
gx_runner / file_rules in landing.gx_validation_results: a file-based GX context under
`out_dir/gx`, the suites as they ran, the results in its validations store, then GX's own site
builder. Stewards open `out_dir/gx/uncommitted/data_docs/local_site/index.html`."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from orchestration.quality.tables import ensure_quality_tables


def build_data_docs(con, month: str, out_dir: Path) -> Path:
    """Build the Data Docs site of `month` (YYYY-MM) under out_dir; return its index.html.
    The site holds exactly that month: an earlier site in out_dir/gx is replaced."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    ensure_quality_tables(con)
    rows = con.execute(
        """SELECT source, suite_name, result_json, validated_at FROM landing.gx_validation_results
           WHERE delivery_month = ?::DATE ORDER BY suite_name, source""",
        [f"{month}-01"],
    ).fetchall()

    out_dir = Path(out_dir)
    project_dir = out_dir / "gx"
    if (project_dir / "great_expectations.yml").exists():
        shutil.rmtree(project_dir)  # a site we generated before: rebuild it for this month only
    out_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(out_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)

    suites: dict[str, dict[str, dict]] = {}
    results = []
    for source, suite_name, result_json, validated_at in rows:
        result = expectationSuiteValidationResultSchema.load(json.loads(result_json))
        expectations = suites.setdefault(suite_name, {})
        for item in result.results:
            configuration = item.expectation_config.to_json_dict()
            configuration.pop("id", None)
            expectations.setdefault(json.dumps(configuration, sort_keys=True, default=str), configuration)
        results.append((source, suite_name, result, validated_at))

    for suite_name, expectations in suites.items():
        context.suites.add_or_update(ExpectationSuite(name=suite_name, expectations=list(expectations.values())))
    for source, suite_name, result, validated_at in results:
        run_time = validated_at if isinstance(validated_at, dt.datetime) else dt.datetime.now()
        run_id = RunIdentifier(run_name=f"{source}-{month}", run_time=run_time.replace(tzinfo=dt.timezone.utc))
        result.meta["run_id"] = run_id
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
            run_id=run_id,
            batch_identifier=f"{source}-{month}",
        )
        context.validation_results_store.set(key, result)
    context.build_data_docs()
    index = project_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"
    if not index.exists():
        raise RuntimeError(f"GX did not write the Data Docs index {index}")
    return index
