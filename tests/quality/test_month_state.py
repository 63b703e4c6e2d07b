"""The state of each delivery and month (orchestration/quality/month_state.py): a function of what
raw/ holds now, the versions in force and the registry, never of earlier failed attempts. Real
DuckDB, the real registry; the same through real `statmon run` processes: tests/reliability/
test_month_state_runs.py."""
import pytest
import yaml

from orchestration.config import REGISTRY_FILE
from orchestration.quality.blocking import blocking_months, publishable_through, waiting_months
from orchestration.quality.file_rules import run_file_rules
from orchestration.quality.month_state import delivery_outcomes, delivery_states, record_vanished_folders
from orchestration.sources.registry import RegistryError, load_registry, parse_registry

from quality_helpers import NEXT_YEAR, add_benefits, add_delivery, add_simple, add_trajectories, add_waiver, observe

ALWAYS = ("uitkeringen", "brp", "klantbeeld", "formatie")


def full_month(con, month):
    """Every delivery the registry expects in the month, loaded."""
    add_benefits(con, month, range(20))
    for kind in ("brp", "klantbeeld", "formatie"):
        add_simple(con, kind, month, 5)
    for source in load_registry().sources_of("trajecten"):
        if source.expected_in(month):
            add_trajectories(con, month, source.partner, [1])


def state_of(con, month, source):
    (state,) = [s for s in delivery_states(con, [month]) if s.source == source]
    return state.state


def failed_rules(con, month):
    return sorted((o.rule, o.source) for o in delivery_outcomes(con, [month]) if not o.passed)


def test_every_state_of_the_table(con):
    full_month(con, "2016-01")
    add_delivery(con, "2016-01", "brp", status="failed", message="not UTF-8")       # corrupt re-delivery
    observe(con, "2016-01", "klantbeeld")                                          # loaded, then removed
    con.execute("DELETE FROM landing.deliveries WHERE source = 'trajecten_uaf'")
    add_delivery(con, "2016-01", "trajecten_uaf", status="failed", message="empty")  # never loaded
    assert state_of(con, "2016-01", "uitkeringen") == "in_force"
    assert state_of(con, "2016-01", "brp") == "failed_kept"
    assert state_of(con, "2016-01", "klantbeeld") == "gone"
    assert state_of(con, "2016-01", "trajecten_uaf") == "failed"
    assert state_of(con, "2016-01", "trajecten_aandeslag") == "not_expected"   # active from 2018-01
    assert failed_rules(con, "2016-01") == [("delivery_failed", "brp"), ("delivery_failed", "trajecten_uaf"),
                                            ("delivery_file_gone", "klantbeeld")]
    # nothing blocks: the versions in force stay, a partner file is never an error
    assert blocking_months(con) == [] and waiting_months(con) == []
    assert publishable_through(con) == "2016-01"


def test_missing_deliveries_follow_the_registry(con):
    """Only a source the registry expects in the month is missing: a partner before its first
    month (aandeslag from 2018-01) is not."""
    full_month(con, "2017-12")
    add_trajectories(con, "2018-01", "agros", [1])  # the first partner file of January: nothing else yet
    missing = [s for rule, s in failed_rules(con, "2018-01") if rule == "delivery_missing"]
    registry = load_registry()
    expected = [s.source for s in registry.sources if s.expected_in("2018-01") and s.source != "trajecten_agros"]
    assert sorted(missing) == sorted(expected)
    assert {"uitkeringen", "brp", "klantbeeld", "formatie", "trajecten_aandeslag"} <= set(missing)
    assert "trajecten_aandeslag" not in [s for rule, s in failed_rules(con, "2017-12") if rule == "delivery_missing"]
    # the benefits delivery is missing: the month waits, no error, not published
    assert waiting_months(con) == ["2018-01"] and blocking_months(con) == []
    assert publishable_through(con) == "2017-12"
    outcome = next(o for o in delivery_outcomes(con, ["2018-01"]) if o.rule == "delivery_missing" and o.source == "uitkeringen")
    assert outcome.severity == "warn" and outcome.metadata["record_key"] == "uitkeringen 2018-01"


def test_a_failed_attempt_blocks_only_while_its_file_is_in_raw(con):
    full_month(con, "2018-01")
    add_delivery(con, "2018-02", "uitkeringen", status="failed", message="wrong encoding")
    assert blocking_months(con) == ["2018-02"]
    # a good file replaces it
    add_benefits(con, "2018-02", range(20))
    assert blocking_months(con) == [] and state_of(con, "2018-02", "uitkeringen") == "in_force"
    # the history keeps the failed attempt for the steward
    assert con.execute("SELECT count(*) FROM landing.deliveries WHERE status = 'failed'").fetchone()[0] == 1


def test_a_corrupt_redelivery_then_the_original_put_back(con):
    full_month(con, "2018-06")
    add_delivery(con, "2018-06", "uitkeringen", status="failed", message="delimiter ','")
    assert failed_rules(con, "2018-06") == [("delivery_failed", "uitkeringen")]
    add_delivery(con, "2018-06", "uitkeringen", status="unchanged")  # byte-identical to the version in force
    assert failed_rules(con, "2018-06") == []


def test_a_partner_that_stopped_or_started_later(con):
    registry = load_registry()
    uaf = registry.source("trajecten_uaf")
    assert uaf.active_from == "2016-01" and uaf.active_until is None
    assert not uaf.expected_in("2015-12") and uaf.expected_in("2016-01") and uaf.expected_in("2030-01")
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    entry = next(e for e in data["sources"] if e.get("partner") == "uaf")
    entry["active_until"] = "2018-06"
    stopped = parse_registry(data).source("trajecten_uaf")
    assert stopped.expected_in("2018-06") and not stopped.expected_in("2018-07")
    for bad, fault in (({"active_from": "2018-6"}, "must be a month YYYY-MM"),
                       ({"active_from": "2018-07", "active_until": "2018-06"}, "is after active_until")):
        broken = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
        next(e for e in broken["sources"] if e.get("partner") == "uaf").update(bad)
        with pytest.raises(RegistryError, match=fault):
            parse_registry(broken)


def test_registry_months_match_the_demo_partners():
    """The registry says from when each partner delivers; the demo data delivers from the month the
    memo gives for each initiative. They must agree, or every demo month before a partner's start
    would be a delivery_missing finding (and the demo would hide a registry error)."""
    from orchestration.demo.population import PARTNER_FIRST_MONTH

    registry = load_registry()
    for partner, first in PARTNER_FIRST_MONTH.items():
        source = registry.source(f"trajecten_{partner}")
        assert (source.active_from or "2014-01") == first, partner
        assert source.active_until is None, partner
    assert {s.partner for s in registry.sources if s.kind == "trajecten"} == set(PARTNER_FIRST_MONTH)
    for kind in ALWAYS:
        assert registry.source(kind).active_from is None and registry.source(kind).active_until is None


def test_a_vanished_folder_keeps_its_versions_in_force_and_says_so(con, tmp_path):
    raw = tmp_path / "raw"
    for month in ("2018-01", "2018-02", "2018-03"):
        full_month(con, month)
        (raw / month).mkdir(parents=True)
    (raw / "2018-03").rename(raw / "2018-3")
    assert record_vanished_folders(con, raw, ["2018-01"]) == ["2018-03"]
    assert state_of(con, "2018-03", "uitkeringen") == "gone"
    gone = [o for o in delivery_outcomes(con, ["2018-03"]) if o.rule == "delivery_file_gone"]
    assert {o.source for o in gone} >= set(ALWAYS)
    assert "raw/2018-03/ no longer exists" in gone[0].description and "stays in force" in gone[0].description
    assert publishable_through(con) == "2018-03"
    # a month whose only trace is a failed attempt is forgotten with its folder
    add_delivery(con, "2018-04", "uitkeringen", status="failed", message="empty")
    assert blocking_months(con) == ["2018-04"]
    assert record_vanished_folders(con, raw, ["2018-01"]) == ["2018-03", "2018-04"]
    assert blocking_months(con) == [] and publishable_through(con) == "2018-03"


def test_delivery_findings_are_recorded_for_every_month_and_replaced(con):
    full_month(con, "2018-01")
    add_trajectories(con, "2018-02", "agros", [1])
    run_file_rules(con, "uitkeringen", ["2018-02"])
    run_file_rules(con, "trajecten", ["2018-02"])
    recorded = "SELECT source FROM landing.check_results WHERE rule = 'delivery_missing' ORDER BY 1"
    assert ("uitkeringen",) in con.execute(recorded).fetchall()
    assert ("trajecten_pasmatch",) in con.execute(recorded).fetchall()
    # pasmatch delivers after all, and the benefits delivery arrives: a run of the kinds replaces the findings
    add_trajectories(con, "2018-02", "pasmatch", [1])
    add_benefits(con, "2018-02", range(20))
    run_file_rules(con, "uitkeringen", ["2018-02"])
    run_file_rules(con, "trajecten", ["2018-02"])
    assert ("uitkeringen",) not in con.execute(recorded).fetchall()
    assert ("trajecten_pasmatch",) not in con.execute(recorded).fetchall()


def test_a_waived_missing_delivery_passes(con):
    full_month(con, "2018-01")
    add_trajectories(con, "2018-02", "agros", [1])
    add_waiver(con, "delivery_missing", "uitkeringen 2018-02", NEXT_YEAR)
    outcome = next(o for o in run_file_rules(con, "uitkeringen", ["2018-02"]) if o.rule == "delivery_missing")
    assert outcome.passed and outcome.metadata["waived"]
    assert waiting_months(con) == []
