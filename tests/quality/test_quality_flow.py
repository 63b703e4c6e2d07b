"""The quality results as Dagster data flow: the landing assets record the row rules,
landing/expectation_results adds the file rules after every landing asset, and Data Docs, the
`delivery` checks and dbt come after it. Real Dagster materializations of the landing part of the
graph on demo deliveries, a real DuckDB file, real GX; and a delivery is validated once per
version: a run over unchanged months does not import GX at all."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.landing import EXPECTATION_RESULTS, SOURCE_KINDS, dq_waivers, expectation_results, landing_assets
from orchestration.assets.publication import data_docs
from orchestration.checks import landing_checks
from orchestration.partitions import run_tags_for_months
from orchestration.resources import WarehouseResource

MONTHS = ["2018-01", "2018-02"]


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory) -> Path:
    from orchestration.demo import generate

    raw = tmp_path_factory.mktemp("demo") / "raw"
    generate(raw, scale=0.1, seed=11, start=MONTHS[0], end=MONTHS[-1])
    return raw


def materialize(raw: Path, warehouse: Path, months: list[str]) -> dg.ExecuteInProcessResult:
    """The landing part of the monthly graph (landing assets, waivers, expectation results, Data
    Docs and every check on them) for `months`, as one run."""
    return dg.materialize(
        [*landing_assets, dq_waivers, expectation_results, data_docs, *landing_checks],
        resources={"warehouse": WarehouseResource(warehouse_path=str(warehouse), raw_dir=str(raw))},
        tags=run_tags_for_months(months),
    )


@pytest.fixture(scope="module")
def first_run(demo_raw, tmp_path_factory):
    # demo deliveries: pseudonymised with the demo key kept beside the warehouse
    warehouse = tmp_path_factory.mktemp("flow") / "warehouse" / "monitor.duckdb"
    result = materialize(demo_raw, warehouse, MONTHS)
    assert result.success
    return result, warehouse


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_what_reads_the_results_depends_on_the_asset_that_completes_them():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    results = graph.get(EXPECTATION_RESULTS)
    assert {dg.AssetKey(["landing", kind]) for kind in SOURCE_KINDS} | {dg.AssetKey(["landing", "dq_waivers"])} \
        <= set(results.parent_keys)
    # dbt reads landing.expectation_results (marts.dq_issues and the gate after it), Data Docs renders it
    assert {dg.AssetKey(["intermediate", "int_dq_findings"]), dg.AssetKey(["data_docs"])} <= set(results.child_keys)
    # the delivery checks report what that asset recorded
    checks = defs.resolve_asset_graph().asset_check_keys
    for kind in SOURCE_KINDS:
        assert dg.AssetCheckKey(dg.AssetKey(["landing", kind]), "delivery") in checks


def test_data_docs_list_every_delivery_validated_in_the_month(first_run):
    result, warehouse = first_run
    validated = set(query(warehouse, """SELECT DISTINCT source, suite_name FROM landing.expectation_results
                                        WHERE delivery_month = DATE '2018-02-01'"""))
    sources = {s for (s,) in query(warehouse, """SELECT source FROM landing.deliveries
                                                  WHERE delivery_month = DATE '2018-02-01' AND status = 'loaded'""")}
    # every delivery of the month has its row rules and its file rules recorded
    assert {s for s, _suite in validated} == sources and "uitkeringen" in sources
    assert {("uitkeringen", "landing_uitkeringen_rows"), ("uitkeringen", "file_rules.uitkeringen")} <= validated
    overview = (warehouse.parent / "data_docs" / "2018-02" / "index.html").read_text()
    listed = set(re.findall(r'<tr class="(?:passed|failed)"><td>([^<]+)</td><td><a [^>]+>([^<]+)</a>', overview))
    assert listed == validated


def test_checks_report_the_recorded_results(first_run):
    result, warehouse = first_run
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    for kind in SOURCE_KINDS:
        assert (f"landing/{kind}", "row_rules") in evaluations and (f"landing/{kind}", "delivery") in evaluations
    recorded = query(warehouse, """SELECT count(*) FROM landing.expectation_results WHERE suite_name = 'landing_uitkeringen_rows'
                                   AND strftime(delivery_month, '%Y-%m') IN ('2018-01', '2018-02')""")[0][0]
    row_rules = evaluations["landing/uitkeringen", "row_rules"]
    assert row_rules.metadata["checked"].value == recorded > 0
    failed_file_rules = query(warehouse, """SELECT count(*) FROM landing.check_results WHERE origin = 'file_rule'
                                            AND source = 'uitkeringen' AND NOT passed""")[0][0]
    assert evaluations["landing/uitkeringen", "delivery"].metadata["failed"].value == failed_file_rules


def test_an_unchanged_month_is_not_validated_again(first_run, demo_raw, tmp_path):
    """A second run over the same deliveries re-checks nothing: the recorded results stand (same
    validation time), and no GX is imported (a fresh process runs the graph and reports)."""
    _result, warehouse = first_run
    shutil.copytree(warehouse.parent, tmp_path / "warehouse")  # the warehouse, its demo key and Data Docs
    copy = tmp_path / "warehouse" / "monitor.duckdb"
    before = query(copy, "SELECT source, suite_name, expectation_index, validated_at FROM landing.expectation_results ORDER BY ALL")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "from test_quality_flow import materialize, MONTHS\n"
        "result = materialize(Path(sys.argv[1]), Path(sys.argv[2]), MONTHS)\n"
        "assert result.success\n"
        "print('gx imported:', 'great_expectations' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(demo_raw), str(copy), str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "gx imported: False" in done.stdout
    after = query(copy, "SELECT source, suite_name, expectation_index, validated_at FROM landing.expectation_results ORDER BY ALL")
    assert after == before
