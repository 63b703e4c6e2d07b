"""Re-deliveries: a changed file replaces the rows of its (source, month) everywhere; a
byte-identical one is a no-op; of several files for one source the newest wins; raw/ is never
modified; a crash inside a delivery's transaction leaves nothing half-written."""
from __future__ import annotations

import hashlib
import os
import time

import pytest

from ingestion_helpers import KEY, by_result, ingest_all
from orchestration.sources.ingest import ingest_month
from orchestration.sources.registry import load_registry

TABLES = ("landing.uitkeringen", "landing.quarantine", "landing.row_issues")


def snapshot(con) -> dict:
    tables = {t: con.execute(f"SELECT * EXCLUDE (file_hash) FROM {t} ORDER BY ALL").fetchall()
              if t != "landing.row_issues" else con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
              for t in (*TABLES, "landing.trajecten", "landing.brp", "landing.klantbeeld", "landing.formatie")}
    tables["landing.expectation_results"] = con.execute(
        "SELECT * EXCLUDE (file_hash, inputs_hash) FROM landing.expectation_results ORDER BY ALL").fetchall()
    return tables


def tree_digest(root) -> dict:
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_identical_redelivery_is_a_no_op(con, raw_dir):
    ingest_all(con, raw_dir, "2018-03")
    before = snapshot(con)
    results = ingest_all(con, raw_dir, "2018-03")
    assert {r.status for r in results if r.status != "missing"} == {"unchanged"}
    (uitkeringen,) = by_result(results, "uitkeringen")
    assert (uitkeringen.rows_in, uitkeringen.rows_loaded, uitkeringen.rows_quarantined) == (14, 5, 9)
    assert snapshot(con) == before


def test_an_unchanged_month_records_what_each_source_had(con, raw_dir):
    """The second ingestion of a month records, for every source of the registry, what raw/ held
    (one landing.raw_state row each: `unchanged` with its file, or `absent`) and one `unchanged`
    delivery row per file, with the version in force's counts (written together per month)."""
    ingest_all(con, raw_dir, "2018-03")
    before = con.execute("SELECT source, source_file, file_hash, rows_in, rows_loaded, rows_quarantined "
                         "FROM landing.deliveries WHERE status = 'loaded' ORDER BY source").fetchall()
    (raw_dir / "2018-03" / "trajecten_nova.csv").unlink()  # a partner's file gone: its loaded version stays
    ingest_all(con, raw_dir, "2018-03")
    unchanged = con.execute("SELECT source, source_file, file_hash, rows_in, rows_loaded, rows_quarantined "
                            "FROM landing.deliveries WHERE status = 'unchanged' ORDER BY source").fetchall()
    assert unchanged == [row for row in before if row[0] != "trajecten_nova"]
    states = dict(con.execute("SELECT source, status FROM landing.raw_state WHERE delivery_month = '2018-03-01'").fetchall())
    assert set(states) == {s.source for s in load_registry().sources}
    assert states.pop("trajecten_nova") == "absent"
    assert set(states.values()) == {"unchanged"}
    assert con.execute("SELECT count(*) FROM landing.raw_state GROUP BY source HAVING count(*) > 1").fetchall() == []


def test_changed_redelivery_replaces_that_source_and_month_only(con, raw_dir):
    ingest_all(con, raw_dir, "2018-03")
    ingest_all(con, raw_dir, "2016-06")
    other_sources = con.execute(
        "SELECT * FROM landing.trajecten WHERE NOT (source = 'trajecten_uaf' AND delivery_month = '2018-03-01') ORDER BY ALL"
    ).fetchall()
    path = raw_dir / "2018-03" / "trajecten_uaf.csv"
    # the redelivery drops one trajectory, changes an outcome and has one bad BSN
    path.write_text(
        "bsn,initiatief,aanmelddatum,startdatum,einddatum,uitkomst,uitkomstdatum,uren_per_week\n"
        "799642630,UAF,2018-01-15,2018-02-01,2018-03-20,OPLEIDING_HBO_WO,2018-03-20,\n"
        "799642631,UAF,2018-02-15,,,,,\n", encoding="utf-8")
    (result,) = by_result(ingest_month(con, raw_dir, "2018-03", "trajecten", KEY), "trajecten_uaf")
    assert (result.status, result.rows_in, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1, 1)
    assert "replaces the version loaded earlier (2018-03/trajecten_uaf.csv)" in result.message
    new_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    assert con.execute(
        "SELECT row_number, uitkomst, file_hash FROM landing.trajecten WHERE source = 'trajecten_uaf' AND delivery_month = '2018-03-01'"
    ).fetchall() == [(1, "OPLEIDING_HBO_WO", new_hash)]
    # the row rules' results are those of the new version: 2 rows checked, the bad BSN found
    assert con.execute(
        """SELECT DISTINCT element_count, file_hash FROM landing.expectation_results
           WHERE source = 'trajecten_uaf' AND delivery_month = '2018-03-01'""").fetchall() == [(2, new_hash)]
    assert con.execute(
        """SELECT unexpected_count FROM landing.expectation_results
           WHERE source = 'trajecten_uaf' AND delivery_month = '2018-03-01' AND rule = 'bsn_invalid'""").fetchall() == [(1,)]
    assert con.execute("SELECT row_number, rule FROM landing.quarantine WHERE source = 'trajecten_uaf'").fetchall() == [
        (2, "bsn_invalid")]
    assert con.execute(
        "SELECT * FROM landing.trajecten WHERE NOT (source = 'trajecten_uaf' AND delivery_month = '2018-03-01') ORDER BY ALL"
    ).fetchall() == other_sources
    # the uitkeringen quarantine of the same month is untouched
    assert con.execute("SELECT count(*) FROM landing.quarantine WHERE source = 'uitkeringen'").fetchone()[0] == 9
    assert con.execute(
        "SELECT status FROM landing.deliveries WHERE source = 'trajecten_uaf' AND delivery_month = '2018-03-01' ORDER BY loaded_at"
    ).fetchall() == [("loaded",), ("loaded",)]


def test_newest_of_several_files_wins_and_the_others_are_superseded(con, raw_dir):
    month = raw_dir / "2018-03"
    older = month / "trajecten_timnit.csv"
    newer = month / "trajecten_timnit_correctie.csv"
    newer.write_text(older.read_text(encoding="utf-8").replace("LOPEND", "ON_HOLD"), encoding="utf-8")
    now = time.time()
    os.utime(older, (now - 3600, now - 3600))
    os.utime(newer, (now, now))
    results = by_result(ingest_month(con, raw_dir, "2018-03", "trajecten", KEY), "trajecten_timnit")
    assert [(r.source_file, r.status) for r in results] == [
        ("2018-03/trajecten_timnit.csv", "superseded"), ("2018-03/trajecten_timnit_correctie.csv", "loaded")]
    assert results[0].message == "superseded by the newer trajecten_timnit_correctie.csv (newest file by modification time wins)"
    assert con.execute(
        "SELECT DISTINCT source_file, uitkomst FROM landing.trajecten WHERE source = 'trajecten_timnit' AND uitkomst IS NOT NULL ORDER BY 2"
    ).fetchall() == [("2018-03/trajecten_timnit_correctie.csv", "ON_HOLD"), ("2018-03/trajecten_timnit_correctie.csv", "WERK")]
    assert con.execute(
        "SELECT source_file, status FROM landing.deliveries WHERE source = 'trajecten_timnit' ORDER BY status DESC"
    ).fetchall() == [("2018-03/trajecten_timnit.csv", "superseded"), ("2018-03/trajecten_timnit_correctie.csv", "loaded")]


def test_same_mtime_the_last_name_wins(con, raw_dir):
    month = raw_dir / "2018-03"
    a, b = month / "trajecten_timnit.csv", month / "trajecten_timnit_v2.csv"
    b.write_bytes(a.read_bytes())
    stamp = time.time() - 60
    os.utime(a, (stamp, stamp))
    os.utime(b, (stamp, stamp))
    results = by_result(ingest_month(con, raw_dir, "2018-03", "trajecten", KEY), "trajecten_timnit")
    assert [(r.source_file, r.status) for r in results] == [
        ("2018-03/trajecten_timnit.csv", "superseded"), ("2018-03/trajecten_timnit_v2.csv", "loaded")]


def test_raw_dir_is_never_modified(con, raw_dir):
    before = tree_digest(raw_dir)
    ingest_all(con, raw_dir, "2018-03")
    ingest_all(con, raw_dir, "2016-06")
    ingest_all(con, raw_dir, "2018-03")
    assert tree_digest(raw_dir) == before


def test_a_crash_inside_the_transaction_leaves_the_previous_version(con, raw_dir):
    """The delivery's writes happen in one transaction: when the load fails halfway (here: the
    write to row_issues raises), the earlier version stays whole and no delivery is recorded."""
    ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY)
    before = snapshot(con)
    deliveries_before = con.execute("SELECT count(*) FROM landing.deliveries").fetchone()[0]
    path = raw_dir / "2018-03" / "uitkeringen.csv"
    path.write_bytes(path.read_bytes().replace(b"U001", b"U001B"))
    # row_issues is written after landing, quarantine and the rules' results
    con.execute("ALTER TABLE landing.row_issues RENAME COLUMN message TO message_away")
    try:
        with pytest.raises(Exception, match="message"):
            ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY)
    finally:
        con.execute("ALTER TABLE landing.row_issues RENAME COLUMN message_away TO message")
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM landing.deliveries").fetchone()[0] == deliveries_before
    (result,) = ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY)
    assert result.status == "loaded"
    assert con.execute("SELECT registratienummer_uitkering FROM landing.uitkeringen WHERE row_number = 1").fetchone() == ("U001B",)


def raw_state(con, source: str) -> tuple:
    return con.execute("SELECT source_file, files, status, message FROM landing.raw_state WHERE source = ?",
                       [source]).fetchall()[0]


def test_what_raw_holds_is_recorded_per_source_and_replaced(con, raw_dir):
    """landing.raw_state is the present (one row per source and month, rewritten when a run looks
    at the month); landing.deliveries the history of attempts."""
    (raw_dir / "2018-03" / "trajecten_agros.xlsx").unlink()  # agros delivered nothing this month
    ingest_all(con, raw_dir, "2018-03")
    assert raw_state(con, "uitkeringen")[:3] == ("2018-03/uitkeringen.csv", 1, "loaded")
    assert raw_state(con, "trajecten_agros") == (None, 0, "absent", "no file matching trajecten_agros*.xlsx in 2018-03/")
    ingest_all(con, raw_dir, "2018-03")
    assert raw_state(con, "uitkeringen")[:3] == ("2018-03/uitkeringen.csv", 1, "unchanged")
    sources = {r[0] for r in con.execute("SELECT source FROM landing.raw_state").fetchall()}
    assert con.execute("SELECT count(*) FROM landing.raw_state").fetchone()[0] == len(sources) == len(load_registry().sources)


def test_a_loaded_file_removed_from_raw_stays_in_force_and_the_steward_is_told(con, raw_dir):
    """Decision: raw/ is the archive of deliveries (only retention deletes from it). A file removed
    after it was loaded keeps its version in force rather than withdrawing figures; the message
    asks to put it back, since a rebuild from raw/ would lose it."""
    ingest_all(con, raw_dir, "2018-03")
    before = snapshot(con)
    (raw_dir / "2018-03" / "klantbeeld.csv").unlink()
    (result,) = by_result(ingest_month(con, raw_dir, "2018-03", "klantbeeld", KEY), "klantbeeld")
    assert (result.status, result.severity) == ("missing", "warn")
    assert result.message == ("no file matching klantbeeld*.csv in 2018-03/ any more: the version loaded earlier "
                              "(2018-03/klantbeeld.csv) stays in force; put it back in raw/ (a rebuild from raw/ would "
                              "lose it)")
    assert raw_state(con, "klantbeeld") == (None, 0, "absent", result.message)
    assert snapshot(con) == before


def test_the_same_file_under_two_names_is_read_once(con, raw_dir):
    month = raw_dir / "2018-03"
    copy = month / "uitkeringen (kopie).csv"
    copy.write_bytes((month / "uitkeringen.csv").read_bytes())
    later = time.time() + 60
    os.utime(copy, (later, later))
    results = by_result(ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY), "uitkeringen")
    assert [(r.source_file, r.status) for r in results] == [
        ("2018-03/uitkeringen.csv", "superseded"), ("2018-03/uitkeringen (kopie).csv", "loaded")]
    assert results[0].message == "identical to uitkeringen (kopie).csv (the same delivery under two names): read once"
    assert con.execute("SELECT count(*), count(DISTINCT source_file) FROM landing.uitkeringen").fetchone() == (5, 1)
    assert raw_state(con, "uitkeringen")[:3] == ("2018-03/uitkeringen (kopie).csv", 2, "loaded")


def test_unseen_files_lists_what_ingestion_has_not_recorded(con, raw_dir, tmp_path):
    """`statmon run`'s early guess (no file read) of whether a delivery is new: every delivery
    file before ingestion, none after, a re-delivery of another size again; never a file no source
    of the registry reads, nor a month outside the run."""
    from orchestration.sources.ingest import unseen_files

    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    (raw_dir / "2018-03" / "notes.txt").write_text("not a delivery", encoding="utf-8")
    delivery_files = sorted(f"2018-03/{p.name}" for p in (raw_dir / "2018-03").iterdir() if p.name != "notes.txt")
    assert unseen_files(raw_dir, tmp_path / "nowhere.duckdb", ["2018-03"]) == delivery_files

    ingest_all(con, raw_dir, "2018-03")
    con.close()  # it reads the warehouse read-only, as before a run: no writer may hold it
    assert unseen_files(raw_dir, warehouse, ["2018-03"]) == []
    assert unseen_files(raw_dir, warehouse, ["2016-06"]) != []  # not ingested, and not this month's

    with open(raw_dir / "2018-03" / "trajecten_uaf.csv", "a", encoding="utf-8") as handle:
        handle.write("799642631,UAF,2018-02-15,,,,,\n")
    assert unseen_files(raw_dir, warehouse, ["2018-03"]) == ["2018-03/trajecten_uaf.csv"]
