"""Bad deliveries end to end: what one real `statmon run` does with them (the parsing itself is
tested in tests/ingestion). Chain `bad` of conftest.py:
  run 1 (--month 2018-03): trajecten_timnit.csv in Windows-1252, an empty trajecten_uaf.csv,
         a folder `maart 2018/` and a folder `2099-01/` beside the month;
  run 2 (--month 2018-04): uitkeringen.csv without the required column aanvangsdatum_uitkering.
"""
from __future__ import annotations

import csv
import io
import re

import duckdb
import openpyxl

from orchestration.publish.tables import PUBLISHED_TABLES

from reliability_helpers import published_through, query

BAD_MONTH, BROKEN_MONTH = "2018-03", "2018-04"


def _deliveries(ws, month: str) -> dict[str, tuple]:
    rows = query(ws.warehouse,
                 """SELECT source, status, rows_in, rows_loaded, rows_quarantined, message FROM landing.deliveries
                    WHERE strftime(delivery_month, '%Y-%m') = ? AND status <> 'superseded'""", [month])
    return {r[0]: r for r in rows}


def _data_rows_in_file(path) -> int:
    """Rows in, counted from the delivered file itself (not from what ingestion reports)."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True)["trajecten"]
        return sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(v not in (None, "") for v in row))
    data = path.read_bytes().decode("utf-8-sig" if "pasmatch" not in path.name else "cp1252")
    delimiter = ";" if data.split("\n", 1)[0].count(";") else ","
    return sum(1 for row in list(csv.reader(io.StringIO(data), delimiter=delimiter))[1:] if row)


def _assert_other_sources_loaded(ws, month: str, failed: set[str]) -> None:
    deliveries = _deliveries(ws, month)
    loaded = {s for s, r in deliveries.items() if r[1] == "loaded"}
    expected = {p.stem for p in (ws.raw / month).iterdir()} - failed
    assert loaded == expected, deliveries
    for source in loaded:
        _, _, rows_in, rows_loaded, rows_quarantined, _ = deliveries[source]
        path = next(p for p in (ws.raw / month).iterdir() if p.stem == source)
        assert rows_in == _data_rows_in_file(path), source
        assert rows_in == rows_loaded + rows_quarantined, source
        kind = "trajecten" if source.startswith("trajecten_") else source
        in_landing, in_quarantine = query(
            ws.warehouse,
            f"""SELECT (SELECT count(*) FROM landing.{kind} WHERE source = $1 AND strftime(delivery_month, '%Y-%m') = $2),
                       (SELECT count(*) FROM landing.quarantine WHERE source = $1 AND strftime(delivery_month, '%Y-%m') = $2)""",
            [source, month])[0]
        assert (in_landing, in_quarantine) == (rows_loaded, rows_quarantined), source


def test_unreadable_partner_files_fail_alone_and_the_run_succeeds(scenarios, good_run):
    chain = scenarios["bad"].wait()
    ws, result = chain.ws, chain.steps["bad_run"]
    # partner files failing is a warning: the partner's previous snapshot stays in force
    assert result.rc == 0, result.describe()
    timnit, uaf = _deliveries(ws, BAD_MONTH)["trajecten_timnit"], _deliveries(ws, BAD_MONTH)["trajecten_uaf"]
    assert timnit[1:5] == ("failed", None, None, None)
    kept = "no earlier version of this month is loaded: the partner's previous snapshot stays in force."
    assert ("trajecten_timnit.csv: not valid UTF-8 (byte 0xEB on line 2); the registry expects UTF-8. "
            "It decodes as Windows-1252: re-export it as UTF-8 (or change the registry's encoding). "
            f"Nothing loaded from this file: {kept}") in timnit[5]
    assert uaf[1:5] == ("failed", None, None, None)
    assert ("trajecten_uaf.csv: the file is empty (0 bytes). Expected a CSV with a header row. "
            f"Nothing loaded from this file: {kept}") in uaf[5]
    # the steward reads the same messages in the run's log, and the summary names the failed files
    assert "trajecten_timnit.csv: not valid UTF-8 (byte 0xEB on line 2)" in result.stderr
    assert "trajecten_uaf.csv: the file is empty (0 bytes)" in result.stderr
    assert re.search(r"^2018-03 +\d+ +\d+  published, 2 warning\(s\)$", result.stdout, re.M), result.stdout
    for name in ("trajecten_timnit.csv: not valid UTF-8", "trajecten_uaf.csv: the file is empty"):
        assert re.search(rf"^2018-03: 2018-03/{name}.*; 2018-03 stays published$", result.stdout, re.M), result.stdout
    assert re.search(r"run [0-9a-f]{8}: 1 month\(s\) in [0-9.]+ s: ok$", result.stdout, re.M)
    # every other source of the month loaded, rows in = loaded + quarantined
    _assert_other_sources_loaded(ws, BAD_MONTH, {"trajecten_timnit", "trajecten_uaf"})
    # the partners' February snapshots stay in force for March
    for partner in ("timnit", "uaf"):
        snapshot_months = query(ws.warehouse,
                                """SELECT DISTINCT strftime(state_snapshot_month, '%Y-%m') FROM intermediate.int_trajectories_as_of_month
                                   WHERE partner = ? AND strftime(as_of_month, '%Y-%m') = ?""", [partner, BAD_MONTH])
        assert snapshot_months and max(snapshot_months)[0] == "2018-02", partner
    # the month was published
    assert published_through(ws.published_dir) == BAD_MONTH


def test_folders_that_are_not_months_or_lie_in_the_future_are_skipped_and_said(scenarios):
    chain = scenarios["bad"].wait()
    ws, result = chain.ws, chain.steps["bad_run"]
    assert re.search(r"^[a-z ]+: maart 2018/: not a delivery month folder \(expected YYYY-MM, e\.g\. 2018-03\); skipped$",
                     result.stderr, re.M), result.stderr
    assert re.search(r"^[a-z ]+: 2099-01/: month lies in the future \(today is \d{4}-\d{2}-\d{2}\); skipped$",
                     result.stderr, re.M), result.stderr
    months = {r[0] for r in query(ws.warehouse, "SELECT DISTINCT strftime(delivery_month, '%Y-%m') FROM landing.deliveries")}
    assert "2099-01" not in months
    assert not query(ws.warehouse, "SELECT * FROM landing.deliveries WHERE source_file LIKE 'maart%' OR source_file LIKE '2099-01/%'")
    # raw/ is only read: the odd folders are still there
    assert (ws.raw / "maart 2018" / "uitkeringen.csv").exists() and (ws.raw / "2099-01" / "uitkeringen.csv").exists()


def test_benefits_file_without_a_required_column_blocks_the_month_and_keeps_the_last_publication(scenarios, tmp_path):
    chain = scenarios["bad"].wait()
    ws, result = chain.ws, chain.steps["broken_run"]
    assert result.rc == 1, result.describe()
    benefits = _deliveries(ws, BROKEN_MONTH)["uitkeringen"]
    assert benefits[1:5] == ("failed", None, None, None)
    assert benefits[5].startswith(f"{BROKEN_MONTH}/uitkeringen.csv: required column(s) missing: aanvangsdatum_uitkering (closest layout: ")
    assert benefits[5].endswith("Nothing loaded from this file: no earlier version of this month is loaded; the month cannot be published.")
    assert "required column(s) missing: aanvangsdatum_uitkering" in result.stderr
    assert "check failed [error]: landing/uitkeringen delivery" in result.stdout
    assert re.search(r"^2018-04 +\d+ +\d+  blocked \(error\): not published$", result.stdout, re.M), result.stdout
    assert f"{BROKEN_MONTH}: blocked [error]: uitkeringen benefits_delivery_unusable: " in result.stdout
    assert re.search(r"run [0-9a-f]{8}: 1 month\(s\) in [0-9.]+ s: FAILED \(2018-04 blocked by an error\)$", result.stdout, re.M)
    # the blocking rule is on the steward's list
    blocking = query(ws.warehouse,
                     """SELECT severity, passed, description FROM landing.check_results
                        WHERE rule = 'benefits_delivery_unusable' AND strftime(delivery_month, '%Y-%m') = ?""", [BROKEN_MONTH])
    assert blocking and blocking[0][:2] == ("error", False), blocking
    assert "could not be loaded: " in blocking[0][2] and "aanvangsdatum_uitkering" in blocking[0][2]
    # the other sources of the month still load
    _assert_other_sources_loaded(ws, BROKEN_MONTH, {"uitkeringen"})
    assert not query(ws.warehouse, "SELECT * FROM landing.uitkeringen WHERE strftime(delivery_month, '%Y-%m') = ?", [BROKEN_MONTH])
    # nothing of April is published: the publication still ends with March
    assert published_through(ws.published_dir) == BAD_MONTH
    assert not query(ws.published_dir / "published.duckdb",
                     f"SELECT * FROM caseload_monthly WHERE month > DATE '{BAD_MONTH}-01'")
    # March may be revised by April's partner snapshots (a trajectory registered in March that
    # first shows up in April), but no published figure changes silently: every row that differs
    # from the publication before this run is a revision recorded by this run's publication
    before_file = tmp_path / "published_before.duckdb"
    before_file.write_bytes(chain.steps["published_file_after_bad"])
    after_file = ws.published_dir / "published.duckdb"
    latest = query(after_file, "SELECT publication_id FROM publication_log ORDER BY published_at DESC LIMIT 1")[0][0]
    for spec in PUBLISHED_TABLES:
        before, after = _rows_by_key(before_file, spec), _rows_by_key(after_file, spec)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        revised = {k for (k,) in query(after_file, "SELECT row_key FROM revisions WHERE table_name = ? AND publication_id = ?",
                                       [spec.name, latest])}
        assert not [k for k in changed if BROKEN_MONTH in k], spec.name
        # year totals included: the 2018 total over the same months is a revision too
        assert changed <= revised, (spec.name, sorted(changed - revised)[:5])


def _key_text(value) -> str:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)


def _rows_by_key(path, spec) -> dict[str, tuple]:
    """A published table's rows by their key, written as the revisions table writes it."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(f'SELECT * FROM "{spec.name}"')
        names = [d[0] for d in cursor.description]
        rows = {}
        for row in cursor.fetchall():
            record = dict(zip(names, row))
            rows[", ".join(f"{k}={_key_text(record[k])}" for k in spec.keys)] = row
        return rows
    finally:
        con.close()
