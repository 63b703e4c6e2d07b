"""The row rules are GX Core suites: GX itself loads every expectations/<kind>.json, and GX run on
the parsed batch finds, per expectation, exactly the rows the SQL compilation of that expectation
finds (so the split ingestion makes in SQL is the one GX would make)."""
from __future__ import annotations

import json

import pytest

from ingestion_helpers import ingest_all
from orchestration.ingest import SOURCE_KINDS
from orchestration.sources.rules import (compile_rules, gx_suite, load_suite_json, suite_parameters,
                                         suite_path)


@pytest.fixture(scope="module")
def gx():
    import great_expectations

    return great_expectations


def test_suites_are_gx_suites_with_rule_metadata(gx):
    for kind in SOURCE_KINDS:
        data = json.loads(suite_path(kind).read_text(encoding="utf-8"))
        suite = gx.ExpectationSuite(**data)
        assert suite.name == f"landing_{kind}_rows"
        assert len(suite.expectations) == len(data["expectations"]) > 0
        for exp in data["expectations"]:
            assert exp["meta"]["on_fail"] in ("quarantine", "onbekend", "null")
            assert exp["meta"]["rule"]
            # code lists come from the seeds through a parameter, never copied into the JSON
            if "code_list" in exp["meta"]:
                assert exp["kwargs"]["value_set"] == {"$PARAMETER": f"codes_{exp['meta']['code_list']}"}
    resolved = gx_suite("uitkeringen", "2018-03")
    statistiekcode = next(e for e in resolved.expectations if e.column == "statistiekcode")
    assert set(statistiekcode.value_set) == {"01", "02", "03", "11", "12", "14"}


def test_gx_on_the_parsed_batch_agrees_with_the_sql_split(gx, con, raw_dir):
    ingest_all(con, raw_dir, "2018-03")
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_pandas("parsed")
    compared = 0
    for kind in SOURCE_KINDS:
        suite = gx.ExpectationSuite(**load_suite_json(kind))
        for (source,) in con.execute(f"SELECT DISTINCT source FROM parsed.{kind} ORDER BY 1").fetchall():
            frame = con.execute(
                f"SELECT * FROM parsed.{kind} WHERE source = ? AND delivery_month = '2018-03-01' ORDER BY row_number",
                [source]).df()
            batch = datasource.add_dataframe_asset(source).add_batch_definition_whole_dataframe("all").get_batch(
                batch_parameters={"dataframe": frame})
            result = batch.validate(suite, expectation_parameters=suite_parameters(kind, "2018-03"))
            date_format = "YYYY-MM-DD"
            rules = compile_rules(kind, "2018-03", date_format)
            by_expectation = {(r.expectation_config.type, r.expectation_config.kwargs["column"]): r
                              for r in result.results}
            assert len(by_expectation) == len(rules)
            for rule in rules:
                gx_result = by_expectation[(rule.type, rule.column)]
                sql_count = con.execute(
                    f"SELECT count(*) FROM parsed.{kind} WHERE source = ? AND NOT {rule.passes_sql}", [source]
                ).fetchone()[0]
                gx_count = gx_result.result.get("unexpected_count", 0) or 0
                assert (source, rule.rule, rule.column, gx_count) == (source, rule.rule, rule.column, sql_count)
                compared += 1
    assert compared > 60
    # the fixture month does exercise the rules
    failing = con.execute("SELECT count(*) FROM landing.quarantine").fetchone()[0]
    assert failing >= 12
