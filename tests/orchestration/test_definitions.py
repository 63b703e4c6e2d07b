"""The code location loads and holds the graph the README describes."""
import dagster as dg

from orchestration.definitions import defs
from orchestration.partitions import months_of_run, run_tags_for_months


def test_graph_has_landing_dbt_and_publication_assets():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for kind in ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten"):
        assert f"landing/{kind}" in keys
    for mart in ("caseload_monthly", "outflow_monthly", "initiative_outcomes", "initiative_flows", "cohort_progress",
                 "cohort_progress_settlement", "participation_by_gender", "dq_issues"):
        assert f"marts/{mart}" in keys
    assert {"publication", "council_report"} <= keys


def test_landing_assets_are_monthly_and_backfill_in_one_run():
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["landing", "uitkeringen"]))
    assert node.partitions_def.get_first_partition_key() == "2014-01"
    assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_dbt_tests_are_asset_checks_and_landing_has_gx_checks():
    check_keys = {f"{k.asset_key.to_user_string()}:{k.name}" for k in defs.resolve_asset_graph().asset_check_keys}
    assert "landing/uitkeringen:row_rules" in check_keys
    assert "landing/uitkeringen:delivery" in check_keys
    # dbt tests on the marts: the key and value rules in one check per mart, the invariants by name
    assert "marts/caseload_monthly:caseload_monthly_keys_and_values" in check_keys
    assert "marts/caseload_monthly:caseload_households_within_caseload" in check_keys
    # no `error` check per not_null / unique / accepted_values rule any more: keys_and_values holds
    # them (the code lists with a single `unique` test keep it; `warn` findings are tests of their own)
    from orchestration.assets.dbt import manifest

    per_rule = [t["name"] for t in manifest["nodes"].values() if t["resource_type"] == "test"
                and (t.get("test_metadata") or {}).get("name") in ("not_null", "unique", "accepted_values",
                                                                    "unique_combination")
                and t["config"]["severity"] == "error" and not t["attached_node"].startswith("seed.")]
    assert per_rule == []


def test_the_run_months_reach_dbt_as_a_source_in_the_lineage():
    """landing.run_months is a dbt source, upstream of every model that rebuilds by run month."""
    graph = defs.resolve_asset_graph()
    run_months = dg.AssetKey(["landing", "run_months"])
    downstream = {k.to_user_string() for k in graph.get(run_months).child_keys}
    assert {"staging/stg_uitkeringen__benefits", "staging/stg_brp__persons", "intermediate/int_person_months",
            "intermediate/int_benefit_spells"} <= downstream, downstream


def test_schedule_and_sensor_start_the_monthly_job():
    schedule = defs.resolve_schedule_def("monthly_refresh_schedule")
    assert schedule.job_name == "monthly_refresh"
    assert schedule.cron_schedule == "0 6 10 * *"
    sensor = defs.resolve_sensor_def("raw_delivery_sensor")
    assert sensor.job_name == "monthly_refresh"


def test_run_tags_cover_a_range_of_months():
    tags = run_tags_for_months(["2017-11", "2018-02"])
    assert months_of_run(tags) == ["2017-11", "2017-12", "2018-01", "2018-02"]
    assert months_of_run(run_tags_for_months(["2018-05"])) == ["2018-05"]
    assert months_of_run({}) == []


def test_a_dbt_build_with_errors_fails_but_failing_tests_do_not():
    from orchestration.build_record import build_failure as dbt_build_failure

    failing_test_only = {"results": [{"unique_id": "model.x.a", "status": "success"},
                                     {"unique_id": "test.x.t", "status": "fail"}]}
    assert dbt_build_failure(failing_test_only) is None
    model_error = {"results": [{"unique_id": "model.x.a", "status": "error"},
                               {"unique_id": "model.x.b", "status": "skipped"}]}
    assert dbt_build_failure(model_error) == "1 node(s) in error: model.x.a"
    assert "before it wrote run_results.json" in dbt_build_failure(None)
