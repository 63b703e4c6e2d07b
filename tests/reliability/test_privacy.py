"""No BSN from the deliveries is stored or shown anywhere the monitor writes; the keyed pseudonym
is stable per key and differs between keys; without a key the pipeline runs only on demo data."""
from __future__ import annotations

import hashlib
import hmac
import shutil

import duckdb
import pytest

from reliability_helpers import (
    MONTHS,
    PROJECT_DIR,
    TEST_KEY,
    Workspace,
    bsns_in_text,
    collect_bsns,
    query,
    scan_duckdb,
    scan_file,
    scan_parquet,
    scan_sqlite,
)


@pytest.fixture(scope="module")
def delivered_bsns(demo_deliveries) -> set[str]:
    return collect_bsns(demo_deliveries)


def test_the_scanner_finds_the_bsns_where_they_are(delivered_bsns, good_run):
    """Control: the collection and the scan work (else the test below could not fail)."""
    assert len(delivered_bsns) > 400
    assert any(len(b) == 8 for b in delivered_bsns), "no 8-digit form collected"
    found = scan_file(good_run.ws.raw / MONTHS[-1] / "uitkeringen.csv", delivered_bsns)
    assert len(found) > 100
    # an 8-digit BSN as klantbeeld delivers it (leading zero dropped) is found too
    eight = next(b for b in delivered_bsns if len(b) == 8)
    assert bsns_in_text(f"x;{eight};y", delivered_bsns) == {eight}
    assert bsns_in_text(f"x;{eight}0;y", delivered_bsns) <= {f"{eight}0"} & delivered_bsns


def _scan_installation(ws: Workspace, bsns: set[str]) -> dict[str, set]:
    found: dict[str, set] = {}

    def note(where: str, hits) -> None:
        if hits:
            found[where] = hits

    # every column of every table of the warehouse (the quarantine included: it masks the BSN)
    for where, hits in scan_duckdb(ws.warehouse, bsns).items():
        note(f"warehouse {where}", hits)
    for name in ("published.duckdb", "stewards.duckdb"):
        for where, hits in scan_duckdb(ws.published_dir / name, bsns).items():
            note(f"{name} {where}", hits)
    parquet = list((ws.published_dir / ".published-versions").rglob("*.parquet"))
    assert parquet, "no Parquet files published"
    for path in parquet:
        note(str(path), scan_parquet(path, bsns))
    reports = list(ws.reports.rglob("*.html"))
    assert reports, "no council report written"
    for path in reports:
        note(str(path), scan_file(path, bsns))
    # the Dagster instance: the event log and run storage (SQLite), compute logs, anything else
    sqlite_files = [p for p in ws.dagster_home.rglob("*.db") if p.is_file()]
    assert sqlite_files, "no Dagster event log found"
    for path in ws.dagster_home.rglob("*"):
        if path.is_file():
            note(str(path), scan_sqlite(path, bsns) if path.suffix == ".db" else scan_file(path, bsns))
    return found


def test_no_bsn_is_stored_or_shown_anywhere(delivered_bsns, good_run, scenarios, tmp_path):
    bad = scenarios["bad"].wait()  # its quarantine and failed-file messages are scanned too
    found = {}
    for ws in (good_run.ws, bad.ws):
        found.update(_scan_installation(ws, delivered_bsns))
        # the stewards' worklist
        out = tmp_path / ws.root.name
        result = ws.statmon("dq", "--format", "xlsx", "--out", str(out))
        assert result.rc == 0, result.describe()
        worklists = list(out.rglob("*.xlsx"))
        assert worklists, result.stdout
        for path in worklists:
            if hits := scan_file(path, delivered_bsns):
                found[str(path)] = hits
    # what the runs printed (the Dagster console log, dbt's output, the summary)
    for name, run in [("good run", good_run.result), *[(k, v) for k, v in bad.steps.items() if hasattr(v, "stdout")]]:
        if hits := bsns_in_text(run.stdout + run.stderr, delivered_bsns):
            found[f"output of {name}"] = hits
    # dbt's own logs (shared by every dbt run of this project directory)
    for path in (PROJECT_DIR / "dbt_project" / "logs").rglob("*"):
        if path.is_file() and (hits := scan_file(path, delivered_bsns)):
            found[str(path)] = hits
    assert found == {}


def test_without_a_key_the_pipeline_refuses_data_that_is_not_demo(good_run, tmp_path):
    ws = Workspace(tmp_path / "real")
    shutil.copytree(good_run.ws.raw, ws.raw, ignore=shutil.ignore_patterns(".statmon-demo"))
    result = ws.run(env=ws.env(STATMON_PSEUDONYM_KEY=None))
    assert result.rc == 2
    assert result.stderr.strip() == (
        f"statmon run: STATMON_PSEUDONYM_KEY is not set and {ws.raw.resolve()} is not demo data "
        f"(no .statmon-demo marker). Set STATMON_PSEUDONYM_KEY to the municipality's pseudonymisation "
        f"secret (it is never stored in the repository); without it the pipeline only runs on data made "
        f"by `statmon demo-data`.")
    assert not ws.warehouse.exists()
    # an empty key is no key
    assert ws.run(env=ws.env(STATMON_PSEUDONYM_KEY="  ")).rc == 2


def _person_ids(raw, month: str, key: bytes, tmp_path) -> dict[int, str]:
    """person_id per row of the month's uitkeringen, ingested with `key` into a fresh warehouse."""
    from orchestration.db import ensure_landing_schema
    from orchestration.sources.ingest import ingest_month

    path = tmp_path / f"w-{hashlib.sha256(key).hexdigest()[:8]}.duckdb"
    con = duckdb.connect(str(path))
    try:
        ensure_landing_schema(con)
        ingest_month(con, raw, month, "uitkeringen", key)
        return dict(con.execute("SELECT row_number, person_id FROM landing.uitkeringen").fetchall())
    finally:
        con.close()


def test_the_same_key_gives_the_same_pseudonyms_and_another_key_others(good_run, tmp_path):
    month = MONTHS[-1]
    in_good_run = dict(query(good_run.ws.warehouse,
                             "SELECT row_number, person_id FROM landing.uitkeringen WHERE strftime(delivery_month, '%Y-%m') = ?",
                             [month]))
    again = _person_ids(good_run.ws.raw, month, TEST_KEY.encode(), tmp_path)
    other = _person_ids(good_run.ws.raw, month, b"another municipality's key", tmp_path)
    assert len(in_good_run) > 100
    assert again == in_good_run
    assert other.keys() == in_good_run.keys()
    assert not set(other.values()) & set(in_good_run.values())
    # and it is the contract's pseudonym: the first 32 hex characters of HMAC-SHA256(key, 9-digit BSN)
    line = (good_run.ws.raw / month / "uitkeringen.csv").read_text(encoding="utf-8-sig").splitlines()[1].split(";")
    bsn = line[4].strip().zfill(9)
    expected = hmac.new(TEST_KEY.encode(), bsn.encode(), hashlib.sha256).hexdigest()[:32]
    assert in_good_run[1] == expected


def test_nothing_calls_home(good_run):
    """dbt's anonymous usage events are off (dbt_project.yml `flags`), and so is Dagster's
    telemetry: dbt's debug log of the run records the flag and no event it would send."""
    import yaml

    from orchestration import config

    dbt_log = (config.dbt_target_path(good_run.ws.warehouse) / "dbt.log").read_text(encoding="utf-8")
    assert "Running with dbt=" in dbt_log  # dbt logged this run here (else the test could not fail)
    assert "'send_anonymous_usage_stats': 'False'" in dbt_log and "'send_anonymous_usage_stats': 'True'" not in dbt_log
    assert "Sending event" not in dbt_log
    dagster_yaml = yaml.safe_load((good_run.ws.dagster_home / "dagster.yaml").read_text())
    assert dagster_yaml["telemetry"] == {"enabled": False}
