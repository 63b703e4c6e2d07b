"""GX Data Docs (static HTML) for one delivery month, from the validation results stored by
gx_runner / file_rules in landing.gx_validation_results: a file-based GX context under
`out_dir/gx`, the suites as they ran, the results in its validations store, then GX's own site
builder. `out_dir/index.html` is a static overview of the month (works offline) linking to GX's
pages; GX's own index is `out_dir/gx/uncommitted/data_docs/local_site/index.html`.

The caller reads the stored results from DuckDB; the site is written by the GX worker process
(gx_worker.py), where GX is already imported."""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import shutil
from pathlib import Path

from orchestration.quality.tables import ensure_quality_tables


def build_data_docs(con, month: str, out_dir: Path) -> Path:
    """Build the Data Docs site of `month` (YYYY-MM) under out_dir; return its index.html.
    The site holds exactly that month: an earlier site in out_dir/gx is replaced."""
    from orchestration.quality import gx_worker

    ensure_quality_tables(con)
    rows = con.execute(
        """SELECT source, suite_name, result_json, validated_at FROM landing.gx_validation_results
           WHERE delivery_month = ?::DATE ORDER BY suite_name, source""",
        [f"{month}-01"],
    ).fetchall()
    return gx_worker.call(write_data_docs, rows, month, Path(out_dir).resolve(),
                          what=f"building the Data Docs of {month} in {out_dir}")


def write_data_docs(rows: list[tuple], month: str, out_dir: Path) -> Path:
    """The GX part of `build_data_docs`, in this process (the GX worker): `rows` are
    (source, suite_name, result_json, validated_at) of landing.gx_validation_results."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out_dir = Path(out_dir)
    project_dir = out_dir / "gx"
    if (project_dir / "great_expectations.yml").exists():
        shutil.rmtree(project_dir)  # a site we generated before: rebuild it for this month only
    out_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(out_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)

    suites: dict[str, dict[str, dict]] = {}
    results = []
    pages = []
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
        pages.append((source, suite_name, result, key))
    context.build_data_docs()
    index = project_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"
    if not index.exists():
        raise RuntimeError(f"GX did not write the Data Docs index {index}")
    site = index.parent
    links = []
    for source, suite_name, result, key in pages:
        urls = context.get_docs_sites_urls(resource_identifier=key, only_if_exists=True)
        page = next((u["site_url"] for u in urls if u.get("site_url")), None)
        links.append((source, suite_name, result, Path(page.removeprefix("file://")) if page else None))
    write_overview(out_dir / "index.html", month, links, index)
    return index


def write_overview(path: Path, month: str, links, gx_index: Path) -> None:
    """A static page (no scripts, no CDN) listing the month's validations with links to GX's
    pages: GX's own index builds its table with scripts from the internet, which offline
    workstations cannot load; the validation pages themselves are readable without them."""
    def cell(text) -> str:
        return f"<td>{html.escape(str(text))}</td>"

    rows = []
    for source, suite_name, result, page in sorted(links, key=lambda item: (item[0], item[1])):
        failed = [r for r in result.results if not r.success]
        rules = sorted({(r.expectation_config.meta or {}).get("rule", r.expectation_config.type) for r in failed})
        link = (f'<a href="{html.escape(os.path.relpath(page, path.parent))}">{html.escape(suite_name)}</a>'
                if page else html.escape(suite_name))
        rows.append(
            f"<tr class=\"{'failed' if failed else 'passed'}\">{cell(source)}<td>{link}</td>"
            f"{cell('passed' if not failed else 'failed')}{cell(len(result.results))}{cell(len(failed))}{cell(', '.join(rules))}</tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="6">No validation results for this month.</td></tr>'
    path.write_text(
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Data quality {html.escape(month)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
th{{background:#1f4e78;color:#fff}}tr.failed td:nth-child(3){{color:#b00;font-weight:bold}}tr.passed td:nth-child(3){{color:#070}}</style></head>
<body><h1>Great Expectations results, delivery month {html.escape(month)}</h1>
<p>One row per delivery and suite; the suite links to its Great Expectations page with every expectation,
what was expected and what was found. GX's own site: <a href="{html.escape(os.path.relpath(gx_index, path.parent))}">Data Docs index</a>.</p>
<table><tr><th>source</th><th>suite</th><th>status</th><th>expectations</th><th>failed</th><th>failed rules</th></tr>
{body}
</table></body></html>
""",
        encoding="utf-8",
    )
