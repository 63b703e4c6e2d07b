"""GX Data Docs (static HTML) for one delivery month, from the results recorded in
landing.expectation_results: the row rules as ingestion recorded them from the compiled SQL and
the file rules as GX found them, both in GX's result shape. A file-based GX context under
`out_dir/gx` gets the suites as they ran and one validation result per delivery and suite; GX's
own site builder renders them. `out_dir/index.html` is a static overview of the month (works
offline) linking to GX's pages; GX's own index is `out_dir/gx/uncommitted/data_docs/local_site/index.html`.

The site is rebuilt only when the month's results changed since it was built (their hash is kept
in `out_dir/statmon-data-docs.json`): a run with nothing new does not import GX for it."""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import shutil
from pathlib import Path

STAMP = "statmon-data-docs.json"
GX_INDEX = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "index.html"


def month_results(con, month: str) -> list[tuple]:
    """The month's recorded results: (source, suite_name, expectation_index, expectation_type,
    kwargs, rule, severity, success, result, validated_at), by suite, source and position."""
    return con.execute(
        """SELECT source, suite_name, expectation_index, expectation_type, kwargs, rule, severity, success, result,
                  validated_at
           FROM landing.expectation_results WHERE delivery_month = ?::DATE
           ORDER BY suite_name, source, expectation_index""",
        [f"{month}-01"],
    ).fetchall()


def build_data_docs(con, month: str, out_dir: Path) -> Path:
    """Build the Data Docs site of `month` (YYYY-MM) under out_dir, unless the one there was
    built from the same results; return GX's index.html. The site holds exactly that month: an
    earlier site in out_dir/gx is replaced."""
    out_dir = Path(out_dir).resolve()
    rows = month_results(con, month)
    fingerprint = hashlib.sha256(json.dumps([row[:-1] for row in rows], default=str).encode()).hexdigest()
    stamp, index = out_dir / STAMP, out_dir / GX_INDEX
    if stamp.exists() and index.exists() and (out_dir / "index.html").exists():
        if json.loads(stamp.read_text()) == {"month": month, "results": fingerprint}:
            return index
    stamp.unlink(missing_ok=True)
    index = write_data_docs(rows, month, out_dir)
    stamp.write_text(json.dumps({"month": month, "results": fingerprint}))
    return index


def write_data_docs(rows: list[tuple], month: str, out_dir: Path) -> Path:
    """The site of `rows` (as `month_results` gives them), written with GX."""
    import great_expectations as gx
    from great_expectations.core import (ExpectationSuite, ExpectationSuiteValidationResult,
                                         ExpectationValidationResult)
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    out_dir = Path(out_dir)
    project_dir = out_dir / "gx"
    if (project_dir / "great_expectations.yml").exists():
        shutil.rmtree(project_dir)  # a site we generated before: rebuild it for this month only
    out_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(out_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)

    validations: dict[tuple[str, str], list] = {}
    suites: dict[str, dict[str, dict]] = {}
    validated_at: dict[tuple[str, str], dt.datetime] = {}
    for source, suite_name, _index, exp_type, kwargs, rule, severity, success, result, at in rows:
        configuration = {"type": exp_type, "kwargs": json.loads(kwargs or "{}"), "meta": {"rule": rule, "severity": severity}}
        suites.setdefault(suite_name, {}).setdefault(json.dumps(configuration, sort_keys=True, default=str), configuration)
        validations.setdefault((source, suite_name), []).append(ExpectationValidationResult(
            success=bool(success), expectation_config=ExpectationConfiguration(**configuration),
            result=json.loads(result or "{}")))
        validated_at[source, suite_name] = at

    for suite_name, expectations in suites.items():
        context.suites.add_or_update(ExpectationSuite(name=suite_name, expectations=list(expectations.values())))
    pages = []
    for (source, suite_name), results in validations.items():
        at = validated_at[source, suite_name]
        run_id = RunIdentifier(run_name=f"{source}-{month}",
                               run_time=(at if isinstance(at, dt.datetime) else dt.datetime.now()).replace(tzinfo=dt.timezone.utc))
        passed = sum(r.success for r in results)
        validation = ExpectationSuiteValidationResult(
            success=passed == len(results), results=results, suite_name=suite_name,
            statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                        "unsuccessful_expectations": len(results) - passed,
                        "success_percent": 100.0 * passed / len(results) if results else None},
            meta={"run_id": run_id, "source": source, "delivery_month": month})
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
            run_id=run_id,
            batch_identifier=f"{source}-{month}",
        )
        context.validation_results_store.set(key, validation)
        pages.append((source, suite_name, validation, key))
    context.build_data_docs()
    index = out_dir / GX_INDEX
    if not index.exists():
        raise RuntimeError(f"GX did not write the Data Docs index {index}")
    links = []
    for source, suite_name, validation, key in pages:
        urls = context.get_docs_sites_urls(resource_identifier=key, only_if_exists=True)
        page = next((u["site_url"] for u in urls if u.get("site_url")), None)
        links.append((source, suite_name, validation, Path(page.removeprefix("file://")) if page else None))
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
